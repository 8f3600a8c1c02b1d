"""Writing notices once: the outbox messages of a step, reminder or escalation, and the record that makes a retried
activity write nothing twice. Shared by the appraisal's activities and the cycle's calibration notices."""

from __future__ import annotations

from datetime import UTC, datetime

from persistence.ports import AbstractUnitOfWork, OutboxMessage
from workflows.contracts import RecordStepResult


def recorded(uow: AbstractUnitOfWork, key: str) -> RecordStepResult | None:
    """What an earlier attempt with this idempotency key recorded, if one did."""
    stored = uow.steps.get(key)
    return RecordStepResult.model_validate({**stored, "newly_recorded": False}) if stored is not None else None


def enqueue(
    uow: AbstractUnitOfWork, key: str, workflow_id: str, recipients: list[str], *, subject: str, body: str
) -> list[int]:
    """One outbox message per recipient (e-mail where the roster has an address, else the log), each keyed."""
    ids: list[int] = []
    for nip in dict.fromkeys(recipients):
        person = uow.employees.get(nip)
        email = person.email if person else None
        message_id, _ = uow.outbox.enqueue(
            OutboxMessage(
                channel="email" if email else "log",
                recipient=email or nip,
                subject=subject[:300],
                body=body,
                workflow_id=workflow_id,
                idempotency_key=f"{key}/{nip}",
            )
        )
        ids.append(message_id)
    return ids


def commit_once(
    uow: AbstractUnitOfWork, key: str, workflow_id: str, step: str, result: RecordStepResult
) -> RecordStepResult:
    """Record `result` under `key` and commit; if a concurrent attempt got there first, its writes stand and ours are
    rolled back when the unit of work closes."""
    stored, new = uow.steps.record_once(key, workflow_id, step, result.model_dump(mode="json"))
    if not new:
        return RecordStepResult.model_validate({**stored, "newly_recorded": False})
    uow.commit()
    return result


def when(value: datetime) -> str:
    """A deadline as the notices print it."""
    return value.astimezone(UTC).strftime("%d-%m-%Y %H:%M UTC")
