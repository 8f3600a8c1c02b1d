"""Activities of the development plan's workflow (workflows/development_plan.py): write a step (the plan's row, the
audit entry, a notice to whoever acts next) and send a reminder or an escalation (the row marked overdue with it).

Each writes once per idempotency key (services.notices), so a retried activity writes nothing twice; business
failures are final, anything else is retried (activities.errors).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import activity

from activities.follow_up import About, notice_of, write_notice, write_step
from domain.audit import AuditEntry
from domain.development import PlanAction, PlanRecord
from persistence.ports import AbstractUnitOfWork
from services import notices
from workflows.contracts import RecordStepResult
from workflows.plan_contracts import PlanNotice, RecordPlanStep

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
STEP = "development_plan"  # what a plan's notice is about, in the audit log
WHAT = "rencana pengembangan kinerja"


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
        entry = AuditEntry(
            occurred_at=step.occurred_at,
            actor=step.actor,
            actor_role=step.actor_role,
            action=step.action,
            subject=record.employee_nip,
            reason=step.reason,  # the employee's reason for asking a change, as for any step
            # What the plan holds is about a person's shortcomings: the log keeps where it stands, not the plan.
            before={"step": step.step_from.value},
            after={
                "step": record.step.value,
                "predicate": record.predicate.value,
                # who appraises from now on, where the supervision team gave the plan another penilai
                **(
                    {"penilai_nip": record.penilai_nip, "atasan_nip": record.atasan_nip}
                    if step.action == PlanAction.REASSIGN.value
                    else {}
                ),
            },
            workflow_id=record.workflow_id,
            idempotency_key=step.idempotency_key,
        )
        return write_step(
            self._uow_factory,
            entry,
            lambda uow: uow.plans.put(record),
            what=WHAT,
            notify=step.notify,
            subject=f"Rencana pengembangan kinerja {record.employee_name}: {record.step.label}",
            body=_body(record, step.utc_offset_hours),
        )

    def send_notice_sync(self, notice: PlanNotice) -> RecordStepResult:
        record = notice.record
        assert record.deadline is not None  # the workflow sends notices only for a step with a deadline
        about = About(record.workflow_id, record.employee_nip, record.employee_name, record.step.label, record.deadline)
        details = _body(record, notice.utc_offset_hours)
        sent = notice_of(notice, about, what=WHAT, audit_step=STEP, recorded="plan", details=details)
        return write_notice(self._uow_factory, sent, lambda uow: uow.plans.put(record))


def _body(record: PlanRecord, utc_offset_hours: int | None) -> str:
    lines = [
        f"Pegawai: {record.employee_name} (NIP {record.employee_nip}), periode {record.period},"
        f" predikat akhir {record.predicate.label}.",
        f"Tahap rencana pengembangan: {record.step.label}.",
    ]
    if record.deadline is not None:
        lines.append(f"Batas waktu: {notices.when(record.deadline, utc_offset_hours)}.")
    return "\n".join(lines)
