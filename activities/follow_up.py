"""What the follow-up workflows' activities share (the development plan, the periodic evaluation): a step written once
per idempotency key with its row, its audit entry and a notice to whoever acts next; a reminder or an escalation
written once with the row it marks (services.notices). Business failures are final, anything else is retried
(activities.errors)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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


class Sent(Protocol):
    """A follow-up workflow's notice as its activity receives it (workflows.plan_contracts, period_contracts)."""

    @property
    def idempotency_key(self) -> str: ...
    @property
    def kind(self) -> NoticeKind: ...
    @property
    def level(self) -> int: ...
    @property
    def recipients(self) -> list[str]: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def utc_offset_hours(self) -> int | None: ...


@dataclass(frozen=True)
class About:
    """What a notice is about: the follow-up's workflow, employee, open step and its deadline."""

    workflow_id: str
    employee_nip: str
    employee_name: str
    step: str  # the open step's label
    deadline: datetime


def notice_of(sent: Sent, about: About, *, what: str, audit_step: str, recorded: str, details: str) -> notices.Notice:
    """The reminder or escalation `sent` about `what` as services.notices writes it: its subject, a first line with
    the deadline in the cycle's zone, then `details`; `recorded`: the prefix of its idempotency record's step."""
    due = notices.when(about.deadline, sent.utc_offset_hours)
    if sent.kind is NoticeKind.REMINDER:
        subject = f"Pengingat: {about.step} untuk {about.employee_name}"
        first = f"Langkah '{about.step}' {what} jatuh tempo {due}."
    else:
        subject = f"Eskalasi tingkat {sent.level}: {what} {about.employee_name} terlambat"
        first = f"Langkah '{about.step}' {what} melewati batas waktu {due}."
    return notices.Notice(
        key=sent.idempotency_key,
        workflow_id=about.workflow_id,
        kind=sent.kind,
        about=about.employee_nip,
        step=audit_step,
        deadline=about.deadline,
        level=sent.level,
        recipients=sent.recipients,
        occurred_at=sent.occurred_at,
        subject=subject,
        body=f"{first}\n{details}",
        recorded_as=f"{recorded}.{sent.kind.value}",
    )
