"""Writing notices once: the outbox messages of a step, reminder or escalation, and the record that makes a retried
activity write nothing twice. Shared by the appraisal's activities and the cycle's calibration notices."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from domain.audit import AuditEntry
from domain.calendar import ZONE_NAMES
from domain.nip import NIP_LENGTH
from domain.stages import Role
from domain.worklist import WorkItem
from persistence.ports import AbstractUnitOfWork, OutboxMessage
from workflows.contracts import SYSTEM, NoticeKind, RecordStepResult

_NIP = re.compile(rf"\d{{{NIP_LENGTH}}}")


@dataclass(frozen=True)
class Notice:
    """A reminder or an escalation about a deadline, as the audit log and the outbox keep it."""

    key: str  # idempotency key: a retried activity writes nothing twice
    workflow_id: str
    kind: NoticeKind
    about: str  # the audit entry's subject: the employee's NIP, or the cycle
    step: str  # what is due: an appraisal step, or "calibration"
    deadline: datetime
    level: int
    recipients: list[str]
    occurred_at: datetime
    subject: str
    body: str
    recorded_as: str  # the step name of its idempotency record
    details: dict[str, Any] = field(default_factory=dict)  # more for the audit entry
    work: WorkItem | None = None  # where the appraisal stands after it (an escalation marks it overdue)


def send(uow: AbstractUnitOfWork, notice: Notice) -> RecordStepResult:
    """The audit entry and one outbox message per recipient, committed once per key (an earlier attempt's result
    otherwise)."""
    earlier = recorded(uow, notice.key)
    if earlier is not None:
        return earlier
    uow.audit.append(
        AuditEntry(
            occurred_at=notice.occurred_at,
            actor=SYSTEM,
            actor_role=Role.SYSTEM,
            action=f"notice.{notice.kind.value}",
            subject=notice.about,
            after={
                "step": notice.step,
                "deadline": notice.deadline.isoformat(),
                "level": notice.level,
                "recipients": notice.recipients,
                **notice.details,
            },
            workflow_id=notice.workflow_id,
            idempotency_key=notice.key,
        )
    )
    if notice.work is not None:
        uow.worklist.put(notice.work)
    outbox_ids = enqueue(
        uow, notice.key, notice.workflow_id, notice.recipients, subject=notice.subject, body=notice.body
    )
    result = RecordStepResult(idempotency_key=notice.key, newly_recorded=True, outbox_ids=outbox_ids)
    return commit_once(uow, notice.key, notice.workflow_id, notice.recorded_as, result)


def recorded(uow: AbstractUnitOfWork, key: str) -> RecordStepResult | None:
    """What an earlier attempt with this idempotency key recorded, if one did."""
    stored = uow.steps.get(key)
    return RecordStepResult.model_validate({**stored, "newly_recorded": False}) if stored is not None else None


def enqueue(
    uow: AbstractUnitOfWork,
    key: str,
    workflow_id: str,
    recipients: list[str],
    *,
    subject: str,
    body: str,
    emails: Mapping[str, str | None] | None = None,
) -> list[int]:
    """One outbox message per recipient (e-mail where the roster has an address, else the log), each keyed.

    `emails`: the recipients' addresses when the caller has read them already (employees.emails); read here if not.
    """
    ids: list[int] = []
    people = list(dict.fromkeys(recipients))
    if emails is None:
        emails = uow.employees.emails(people)
    for nip in people:
        channel, recipient = route(nip, emails.get(nip))
        message_id, _ = uow.outbox.enqueue(
            OutboxMessage(
                channel=channel,
                recipient=recipient,
                subject=subject[:300],
                body=body,
                workflow_id=workflow_id,
                idempotency_key=f"{key}/{nip}",
            )
        )
        ids.append(message_id)
    return ids


def route(nip: str, email: str | None) -> tuple[str, str]:
    """(channel, recipient) of a notice to `nip`: e-mail where the roster has an address, else the log."""
    return ("email", email) if email else ("log", nip)


def recipient_of(idempotency_key: str | None) -> str | None:
    """The NIP a message was queued for: the last part of its key, as `enqueue` writes it (`{notice key}/{nip}`)."""
    nip = (idempotency_key or "").rpartition("/")[2]
    return nip if _NIP.fullmatch(nip) else None


@dataclass(frozen=True)
class Requeued:
    queued: int
    readdressed: list[tuple[int, str, str]]  # (message id, the address it had, the one it goes to now)


def requeue(uow: AbstractUnitOfWork, message_ids: Collection[int] | None, *, now: datetime) -> Requeued:
    """Queue given-up messages again (those of `message_ids`, or all), each to where the roster says its recipient
    is reached now: an address corrected after a 550 is what the retry goes to, and someone given an address since
    gets an e-mail instead of a log line. A NIP the roster does not know keeps the address it had, and so does
    a message a dispatcher may be sending right now (given up mid-send: its claim still runs)."""
    given_up = uow.outbox.given_up(message_ids)
    nips = {message.id: recipient_of(message.idempotency_key) for message in given_up}
    emails = uow.employees.emails({nip for nip in nips.values() if nip is not None})
    readdressed: list[tuple[int, str, str]] = []
    for message in given_up:
        nip = nips[message.id]
        in_hand = message.next_attempt_at is not None and message.next_attempt_at > now
        if nip is None or nip not in emails or in_hand:
            continue
        channel, recipient = route(nip, emails[nip])
        if (channel, recipient) != (message.channel, message.recipient):
            uow.outbox.readdress(message.id, channel=channel, recipient=recipient)
            readdressed.append((message.id, message.recipient, recipient))
    return Requeued(uow.outbox.requeue(message_ids, now=now), readdressed)


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


def when(value: datetime, utc_offset_hours: int | None = None) -> str:
    """A deadline as the notices print it: in the cycle's zone ('31-01-2027 23.59 WIT', Deadlines.utc_offset_hours),
    or, for a cycle that did not keep it, in Indonesia's three ('31-01-2027 21.59 WIB / 22.59 WITA / 23.59 WIT', each
    zone with its date when they are not all on the same day)."""
    zones = [(h, name) for h, name in ZONE_NAMES.items() if h == utc_offset_hours] or list(ZONE_NAMES.items())
    local = [(value.astimezone(timezone(timedelta(hours=hours))), name) for hours, name in zones]
    one_day = len({instant.date() for instant, _ in local}) == 1
    parts = [f"{instant:%H.%M} {name}" if one_day else f"{instant:%d-%m-%Y %H.%M} {name}" for instant, name in local]
    return f"{local[0][0]:%d-%m-%Y} {' / '.join(parts)}" if one_day else " / ".join(parts)
