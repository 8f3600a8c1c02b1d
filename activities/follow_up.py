"""What the follow-up workflows' activities share (the development plan, the periodic evaluation): a step written once
per idempotency key with its row, its audit entry and a notice to whoever acts next; a reminder or an escalation
written once with the row it marks (services.notices). Business failures are final, anything else is retried
(activities.errors)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from activities.errors import business_errors, storable
from domain.audit import AuditEntry
from persistence.ports import AbstractUnitOfWork
from services import notices
from workflows.contracts import NoticeKind, RecordStepResult

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
Put = Callable[[AbstractUnitOfWork], None]


def write_step(
    uow_factory: UnitOfWorkFactory,
    entry: AuditEntry,
    put: Put,
    *,
    what: str,
    notify: list[str],
    subject: str,
    body: str,
) -> RecordStepResult:
    """The step's row (`put`), its audit entry and the notices to `notify`, committed once per the entry's key."""
    key, workflow_id = entry.idempotency_key, entry.workflow_id
    assert key is not None and workflow_id is not None
    with business_errors(), storable(what), uow_factory() as uow:
        earlier = notices.recorded(uow, key)
        if earlier is not None:
            return earlier
        put(uow)
        uow.audit.append(entry)
        outbox_ids = notices.enqueue(uow, key, workflow_id, notify, subject=subject, body=body)
        result = RecordStepResult(idempotency_key=key, newly_recorded=True, outbox_ids=outbox_ids)
        return notices.commit_once(uow, key, workflow_id, entry.action, result)


def write_notice(uow_factory: UnitOfWorkFactory, notice: notices.Notice, put: Put) -> RecordStepResult:
    """A reminder or escalation with the row it marks (`put`), committed once per its key."""
    with business_errors(), uow_factory() as uow:
        earlier = notices.recorded(uow, notice.key)
        if earlier is not None:
            return earlier
        put(uow)
        return notices.send(uow, notice)


def notice_words(
    kind: NoticeKind, level: int, *, what: str, step: str, employee_name: str, deadline: datetime, zone: int | None
) -> tuple[str, str]:
    """The subject and first line of a reminder or an escalation about `what` (its step `step`)."""
    due = notices.when(deadline, zone)
    if kind is NoticeKind.REMINDER:
        return f"Pengingat: {step} untuk {employee_name}", f"Langkah '{step}' {what} jatuh tempo {due}."
    subject = f"Eskalasi tingkat {level}: {what} {employee_name} terlambat"
    return subject, f"Langkah '{step}' {what} melewati batas waktu {due}."
