"""Activities of the development plan's workflow (workflows/development_plan.py): write a step (the plan's row, the
audit entry, a notice to whoever acts next) and send a reminder or an escalation (the row marked overdue with it).

Each writes once per idempotency key (services.notices), so a retried activity writes nothing twice; business
failures are final, anything else is retried (activities.errors).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import activity

from activities.errors import business_errors, storable
from domain.audit import AuditEntry
from domain.development import PlanRecord
from persistence.ports import AbstractUnitOfWork
from services import notices
from workflows.contracts import NoticeKind, RecordStepResult
from workflows.plan_contracts import PlanNotice, RecordPlanStep

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
STEP = "development_plan"  # what a plan's notice is about, in the audit log


class DevelopmentPlanActivities:
    """Built once by the worker with its unit-of-work factory; the methods are the activities."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    @activity.defn(name="plan.record")
    async def record(self, step: RecordPlanStep) -> RecordStepResult:
        return await asyncio.to_thread(self.record_sync, step)

    @activity.defn(name="plan.send_notice")
    async def send_notice(self, notice: PlanNotice) -> RecordStepResult:
        return await asyncio.to_thread(self.send_notice_sync, notice)

    def record_sync(self, step: RecordPlanStep) -> RecordStepResult:
        record = step.record
        with business_errors(), storable("rencana pengembangan"), self._uow_factory() as uow:
            earlier = notices.recorded(uow, step.idempotency_key)
            if earlier is not None:
                return earlier
            uow.plans.put(record)
            uow.audit.append(
                AuditEntry(
                    occurred_at=step.occurred_at,
                    actor=step.actor,
                    actor_role=step.actor_role,
                    action=step.action,
                    subject=record.employee_nip,
                    reason=step.reason,
                    # What the plan holds is about a person's shortcomings: the log keeps where it stands, not its text.
                    before={"step": step.step_from.value},
                    after={"step": record.step.value, "predicate": record.predicate.value},
                    workflow_id=record.workflow_id,
                    idempotency_key=step.idempotency_key,
                )
            )
            outbox_ids = notices.enqueue(
                uow,
                step.idempotency_key,
                record.workflow_id,
                step.notify,
                subject=f"Rencana pengembangan kinerja {record.employee_name}: {record.step.label}",
                body=_body(record, step.utc_offset_hours),
            )
            result = RecordStepResult(idempotency_key=step.idempotency_key, newly_recorded=True, outbox_ids=outbox_ids)
            return notices.commit_once(uow, step.idempotency_key, record.workflow_id, step.action, result)

    def send_notice_sync(self, notice: PlanNotice) -> RecordStepResult:
        record = notice.record
        assert record.deadline is not None  # the workflow sends notices only for a step with a deadline
        zone = notice.utc_offset_hours
        due = notices.when(record.deadline, zone)
        if notice.kind is NoticeKind.REMINDER:
            subject = f"Pengingat: {record.step.label} untuk {record.employee_name}"
            body = (
                f"Langkah '{record.step.label}' rencana pengembangan kinerja jatuh tempo {due}.\n{_body(record, zone)}"
            )
        else:
            subject = f"Eskalasi tingkat {notice.level}: rencana pengembangan {record.employee_name} terlambat"
            body = f"Langkah '{record.step.label}' melewati batas waktu {due}.\n{_body(record, zone)}"
        with business_errors(), self._uow_factory() as uow:
            earlier = notices.recorded(uow, notice.idempotency_key)
            if earlier is not None:
                return earlier
            uow.plans.put(record)
            return notices.send(
                uow,
                notices.Notice(
                    key=notice.idempotency_key,
                    workflow_id=record.workflow_id,
                    kind=notice.kind,
                    about=record.employee_nip,
                    step=STEP,
                    deadline=record.deadline,
                    level=notice.level,
                    recipients=notice.recipients,
                    occurred_at=notice.occurred_at,
                    subject=subject,
                    body=body,
                    recorded_as=f"plan.{notice.kind.value}",
                ),
            )


def _body(record: PlanRecord, utc_offset_hours: int | None) -> str:
    lines = [
        f"Pegawai: {record.employee_name} (NIP {record.employee_nip}), periode {record.period},"
        f" predikat akhir {record.predicate.label}.",
        f"Tahap rencana pengembangan: {record.step.label}.",
    ]
    if record.deadline is not None:
        lines.append(f"Batas waktu: {notices.when(record.deadline, utc_offset_hours)}.")
    return "\n".join(lines)
