"""Idempotent step records and the notification outbox (the audit log is persistence.repositories.audit).

Both are written by activities that Temporal may retry, so each write is keyed and a repeated key inserts
nothing: the first write wins and later calls read it back.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, false, func, insert, or_, select, update
from sqlalchemy.orm import Session

from domain.errors import NotFound
from persistence.orm import AuditLogRow, OutboxRow, StepRecordRow
from persistence.ports import GivenUp, OutboxBacklog, OutboxCounts, OutboxMessage, WorkflowIds
from persistence.repositories._sql import backend, keyed_insert

_STEPS: Table = StepRecordRow.__table__  # type: ignore[assignment]
_AUDIT: Table = AuditLogRow.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]
# Built once: every step a person takes runs these (see keyed_insert).
_STEP_RESULT = select(_STEPS.c.result).where(_STEPS.c.idempotency_key == bindparam("key"))
_OUTBOX_ID = select(_OUTBOX.c.id).where(_OUTBOX.c.idempotency_key == bindparam("key"))


_IN_CHUNK = 500  # ids per IN (...): well under any database's limit on bound parameters


class SqlStepRecordRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record_once(self, key: str, workflow_id: str, step: str, result: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store `result` under `key` unless a result is stored already; returns (stored result, newly written).

        `result` must be JSON data (dump pydantic models with mode="json"); what comes back is its JSON round trip,
        so the first call and a retry see exactly the same value.
        """
        stored: dict[str, Any] = json.loads(json.dumps(result))
        inserted = self._session.execute(
            keyed_insert(backend(self._session), _STEPS, "idempotency_key", "idempotency_key"),
            {
                "idempotency_key": key,
                "workflow_id": workflow_id,
                "step": step,
                "recorded_at": datetime.now(UTC),
                "result": stored,
            },
        ).scalar_one_or_none()
        if inserted is not None:
            return stored, True
        row = self._session.execute(
            select(StepRecordRow.workflow_id, StepRecordRow.step, StepRecordRow.result).where(
                StepRecordRow.idempotency_key == key
            )
        ).one()
        if (row.workflow_id, row.step) != (workflow_id, step):
            # Two different steps computing the same key is a programming error, not a retry.
            raise ValueError(f"idempotency key {key!r} already belongs to {row.workflow_id}/{row.step}")
        return dict(row.result), False

    def get(self, key: str) -> dict[str, Any] | None:
        result = self._session.scalar(_STEP_RESULT, {"key": key})
        return dict(result) if result is not None else None


def _message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        created_at=row.created_at,
        channel=row.channel,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        workflow_id=row.workflow_id,
        idempotency_key=row.idempotency_key,
        sent_at=row.sent_at,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        failed_at=row.failed_at,
    )


_UNSENT = and_(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None))
_ENQUEUED = {"id", "sent_at", "attempts", "next_attempt_at", "last_error", "failed_at"}  # set by delivery, not here
ERROR_LENGTH = 2000


def _about(workflows: WorkflowIds) -> ColumnElement[bool]:
    """Messages about these workflows (none when there are none: a message about no workflow, such as an account's
    one-time link, is nobody's instansi's)."""
    column = OutboxRow.workflow_id
    conditions: list[ColumnElement[bool]] = []
    if workflows.exact:
        conditions.append(column.in_(workflows.exact))
    conditions += [
        and_(column.startswith(prefix, autoescape=True), func.length(column) == length)
        for prefix, length in workflows.prefixed
    ]
    return or_(*conditions) if conditions else false()


class SqlOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def enqueue(self, message: OutboxMessage) -> tuple[int, bool]:
        """Queue a notification; returns (its id, newly queued). A repeated idempotency key queues nothing."""
        values = message.model_dump(exclude=_ENQUEUED)
        if message.idempotency_key is None:
            new_id = self._session.execute(insert(OutboxRow).values(**values).returning(OutboxRow.id)).scalar_one()
            return new_id, True
        inserted = self._session.execute(
            keyed_insert(backend(self._session), _OUTBOX, "idempotency_key", "id"), values
        ).scalar_one_or_none()
        if inserted is not None:
            return inserted, True
        existing = self._session.scalar(_OUTBOX_ID, {"key": message.idempotency_key})
        assert existing is not None  # the conflict above proves the row exists
        return existing, False

    def get(self, message_id: int) -> OutboxMessage | None:
        row = self._session.get(OutboxRow, message_id)
        return _message(row) if row is not None else None

    def pending(self, *, limit: int = 100) -> list[OutboxMessage]:
        """Unsent messages, oldest first (also those given up)."""
        rows = self._session.scalars(
            select(OutboxRow).where(OutboxRow.sent_at.is_(None)).order_by(OutboxRow.id).limit(limit)
        )
        return [_message(row) for row in rows]

    def claim(
        self, *, channels: Collection[str], now: datetime, until: datetime, limit: int
    ) -> builtins.list[OutboxMessage]:
        """Up to `limit` messages on `channels` due at `now`, oldest first, each claimed until `until`.

        A claim is a lease: no other dispatcher takes the message before `until`, and if this one dies before it
        records the outcome, the message is due again then. The update re-checks that each row is still due, so two
        dispatchers never both claim one; on PostgreSQL the rows another dispatcher is claiming are skipped (FOR
        UPDATE SKIP LOCKED), not waited for. The caller commits.
        """
        due = and_(
            _UNSENT,
            OutboxRow.channel.in_(channels),
            or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
        )
        candidates = select(OutboxRow.id).where(due).order_by(OutboxRow.id).limit(limit)
        if backend(self._session) == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list(self._session.scalars(candidates))
        if not ids:
            return []
        claimed = self._session.scalars(
            update(OutboxRow).where(OutboxRow.id.in_(ids), due).values(next_attempt_at=until).returning(OutboxRow),
            execution_options={"synchronize_session": False},
        )
        return sorted((_message(row) for row in claimed), key=lambda message: message.id or 0)

    def mark_sent(self, message_id: int, *, at: datetime | None = None, claimed_until: datetime | None = None) -> bool:
        """Record the message as sent. With `claimed_until` (the caller's claim), only while that claim holds: False
        if another dispatcher has taken the message since (the caller's lease ran out) or it was sent meanwhile. An
        operator who gave it up while it was being sent (`kinerja notifikasi batalkan`) is overruled: it did go out,
        and shown as given up it would be sent again by `ulangi`."""
        return self._outcome(
            message_id,
            claimed_until,
            fence=OutboxRow.sent_at.is_(None),
            sent_at=at or datetime.now(UTC),
            attempts=OutboxRow.attempts + 1,
            next_attempt_at=None,
            last_error=None,
            failed_at=None,
        )

    def record_failure(
        self,
        message_id: int,
        *,
        error: str,
        retry_at: datetime | None,
        at: datetime | None = None,
        claimed_until: datetime | None = None,
    ) -> bool:
        """Count a failed attempt and keep its error; try again at `retry_at`, or (None) give up. With
        `claimed_until`, only while the caller's claim holds (as mark_sent)."""
        return self._outcome(
            message_id,
            claimed_until,
            attempts=OutboxRow.attempts + 1,
            last_error=error[:ERROR_LENGTH],
            next_attempt_at=retry_at,
            failed_at=None if retry_at is not None else at or datetime.now(UTC),
        )

    def release(self, message_ids: Collection[int], *, at: datetime, claimed_until: datetime) -> int:
        """Give back claimed messages that were not tried (the server failed, the dispatcher is stopping): due again
        at `at`, no attempt counted. Only those the caller's claim still holds; returns how many."""
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(message_ids), _UNSENT, OutboxRow.next_attempt_at == claimed_until)
            .values(next_attempt_at=at),
            execution_options={"synchronize_session": False},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def _outcome(
        self,
        message_id: int,
        claimed_until: datetime | None,
        *,
        fence: ColumnElement[bool] = _UNSENT,
        **values: Any,
    ) -> bool:
        statement = update(OutboxRow).where(OutboxRow.id == message_id).values(**values).returning(OutboxRow.id)
        if claimed_until is not None:
            statement = statement.where(fence, OutboxRow.next_attempt_at == claimed_until)
        if self._session.execute(statement).scalar_one_or_none() is not None:
            return True
        if claimed_until is None or self._session.get(OutboxRow, message_id) is None:
            raise NotFound(f"pesan notifikasi {message_id} tidak ditemukan", field="id")
        return False

    def counts(self) -> OutboxCounts:
        rows = self._session.execute(
            select(
                OutboxRow.channel,
                OutboxRow.sent_at.is_not(None),
                OutboxRow.failed_at.is_not(None),
                func.count(),
            ).group_by(OutboxRow.channel, OutboxRow.sent_at.is_not(None), OutboxRow.failed_at.is_not(None))
        ).all()
        waiting: dict[str, int] = {}
        failed = sent = 0
        for channel, is_sent, is_failed, count in rows:
            if is_sent:
                sent += count
            elif is_failed:
                failed += count
            else:
                waiting[channel] = waiting.get(channel, 0) + count
        return OutboxCounts(
            waiting=sum(waiting.values()), failed=failed, sent=sent, waiting_by_channel=dict(sorted(waiting.items()))
        )

    def backlog(self) -> OutboxBacklog:
        """Waiting per channel, given up, and the oldest waiting: from the unsent rows, through the index on
        sent_at, for a metrics scrape every few seconds on an outbox of millions sent."""
        rows = self._session.execute(
            select(OutboxRow.channel, OutboxRow.failed_at.is_not(None), func.count(), func.min(OutboxRow.created_at))
            .where(OutboxRow.sent_at.is_(None))
            .group_by(OutboxRow.channel, OutboxRow.failed_at.is_not(None))
        ).all()
        waiting: dict[str, int] = {}
        failed, oldest = 0, None
        for channel, is_failed, count, first in rows:
            if is_failed:
                failed += count
                continue
            waiting[channel] = count
            oldest = first if oldest is None or first < oldest else oldest
        return OutboxBacklog(waiting_by_channel=waiting, failed=failed, oldest_waiting_at=oldest)

    def backlog_about(self, workflows: WorkflowIds) -> OutboxBacklog:
        """The backlog (waiting per channel, given up, the oldest waiting) of the notices about these workflows: an
        operator's view of their instansi's appraisals, from the unsent rows only."""
        rows = self._session.execute(
            select(OutboxRow.channel, OutboxRow.failed_at.is_not(None), func.count(), func.min(OutboxRow.created_at))
            .where(OutboxRow.sent_at.is_(None), _about(workflows))
            .group_by(OutboxRow.channel, OutboxRow.failed_at.is_not(None))
        ).all()
        waiting: dict[str, int] = {}
        failed, oldest = 0, None
        for channel, is_failed, count, first in rows:
            if is_failed:
                failed += count
                continue
            waiting[channel] = count
            oldest = first if oldest is None or first < oldest else oldest
        return OutboxBacklog(waiting_by_channel=dict(sorted(waiting.items())), failed=failed, oldest_waiting_at=oldest)

    def unsent_about(self, workflows: WorkflowIds, *, given_up: bool, limit: int) -> builtins.list[OutboxMessage]:
        """The unsent notices about these workflows, oldest first: those given up (`given_up`), or those waiting."""
        state = OutboxRow.failed_at.is_not(None) if given_up else OutboxRow.failed_at.is_(None)
        rows = self._session.scalars(
            select(OutboxRow)
            .where(OutboxRow.sent_at.is_(None), state, _about(workflows))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        return [_message(row) for row in rows]

    def failed(self, *, limit: int = 100) -> builtins.list[OutboxMessage]:
        """Messages whose delivery was given up, oldest first."""
        rows = self._session.scalars(
            select(OutboxRow)
            .where(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_not(None))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        return [_message(row) for row in rows]

    def given_up(self, message_ids: Collection[int] | None = None) -> builtins.list[GivenUp]:
        """Where each given-up message (those of `message_ids`, or all) was to go, without its body: after an outage
        given up with `batalkan` there may be tens of thousands."""
        row = OutboxRow
        query = select(row.id, row.idempotency_key, row.channel, row.recipient, row.next_attempt_at).where(
            row.sent_at.is_(None), row.failed_at.is_not(None)
        )
        if message_ids is not None:
            query = query.where(row.id.in_(list(message_ids)))
        return [GivenUp.model_validate(found, from_attributes=True) for found in self._session.execute(query)]

    def readdress(self, message_id: int, *, channel: str, recipient: str) -> None:
        """Send an unsent message elsewhere: the recipient's address changed on the roster since it was queued."""
        self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.sent_at.is_(None))
            .values(channel=channel, recipient=recipient),
            execution_options={"synchronize_session": False},
        )

    def requeue(self, message_ids: Collection[int] | None = None, *, now: datetime | None = None) -> int:
        """Queue given-up messages again (those of `message_ids`, or all), with a fresh count of attempts; returns how
        many. The last error stays until the next attempt replaces it. A `next_attempt_at` still ahead of `now` is
        kept: it may be the claim of a dispatcher sending the message right now (given up by `batalkan` mid-send),
        which must keep fencing its outcome, or a back-off of at most an hour."""
        ahead = OutboxRow.next_attempt_at > (now or datetime.now(UTC))
        statement = (
            update(OutboxRow)
            .where(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_not(None))
            .values(failed_at=None, next_attempt_at=case((ahead, OutboxRow.next_attempt_at), else_=None), attempts=0)
        )
        if message_ids is not None:
            statement = statement.where(OutboxRow.id.in_(message_ids))
        result = self._session.execute(statement, execution_options={"synchronize_session": False})
        return int(result.rowcount)  # type: ignore[attr-defined]

    def give_up(self, *, created_before: datetime, reason: str, at: datetime) -> int:
        """Give up every waiting message created before `created_before` (an operator's decision: notices that waited
        too long to be worth sending); returns how many. `requeue` takes any of them back."""
        result = self._session.execute(
            update(OutboxRow)
            .where(_UNSENT, OutboxRow.created_at < created_before)
            .values(failed_at=at, last_error=reason[:ERROR_LENGTH]),
            execution_options={"synchronize_session": False},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
