"""Activities of an appraisal's periodic evaluation (workflows/periodic.py): write a step (the period's row, the
audit entry, a notice to whoever acts next) and send a reminder or an escalation (the row marked overdue with it),
each once per idempotency key (activities.follow_up)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import activity

from activities.follow_up import About, notice_of, write_notice, write_step
from domain.audit import AuditEntry
from domain.periods import PeriodRecord
from persistence.ports import AbstractUnitOfWork
from services import notices
from workflows.contracts import RecordStepResult
from workflows.period_contracts import PeriodNotice, RecordPeriodStep

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
STEP = "periodic_evaluation"  # what a period's notice is about, in the audit log
WHAT = "evaluasi kinerja periodik"


class PeriodicActivities:
    """Built once by the worker with its unit-of-work factory; the methods are the activities."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    @activity.defn(name="period.record")
    async def record(self, step: RecordPeriodStep) -> RecordStepResult:
        return await asyncio.to_thread(self.record_sync, step)

    @activity.defn(name="period.send_notice")
    async def send_notice(self, notice: PeriodNotice) -> RecordStepResult:
        return await asyncio.to_thread(self.send_notice_sync, notice)

    def record_sync(self, step: RecordPeriodStep) -> RecordStepResult:
        record = step.record
        entry = AuditEntry(
            occurred_at=step.occurred_at,
            actor=step.actor,
            actor_role=step.actor_role,
            action=step.action,
            subject=record.employee_nip,
            # Where it stands and what was recorded, counted: the feedback's text stays in the period's row.
            before={"step": step.step_from.value, "periode": record.number},
            after={"step": record.step.value, "realisasi": len(record.realisations)}
            | (
                {"deadline_before": step.deadline_before.isoformat(), "deadline": record.deadline.isoformat()}
                if step.deadline_before is not None and record.deadline is not None
                else {}
            ),
            workflow_id=record.workflow_id,
            idempotency_key=step.idempotency_key,
        )
        return write_step(
            self._uow_factory,
            entry,
            lambda uow: uow.periods.put(record),
            what=WHAT,
            notify=step.notify,
            subject=f"Evaluasi kinerja {record.label} {record.employee_name}: {record.step.label}",
            body=_body(record, step.utc_offset_hours),
        )

    def send_notice_sync(self, notice: PeriodNotice) -> RecordStepResult:
        record = notice.record
        assert record.deadline is not None  # the workflow sends notices only for a step with a deadline
        about = About(record.workflow_id, record.employee_nip, record.employee_name, record.step.label, record.deadline)
        details = _body(record, notice.utc_offset_hours)
        sent = notice_of(
            notice, about, what=f"{WHAT} {record.label}", audit_step=STEP, recorded="period", details=details
        )
        return write_notice(self._uow_factory, sent, lambda uow: uow.periods.put(record))


def _body(record: PeriodRecord, utc_offset_hours: int | None) -> str:
    lines = [
        f"Pegawai: {record.employee_name} (NIP {record.employee_nip}),"
        f" {record.label} (s.d. {record.last_day:%d-%m-%Y}).",
        f"Tahap: {record.step.label}.",
    ]
    if record.deadline is not None:
        lines.append(f"Batas waktu: {notices.when(record.deadline, utc_offset_hours)}.")
    return "\n".join(lines)
