"""Idempotent step records, the append-only audit log and the notification outbox.

All three are written by activities that Temporal may retry, so each write is keyed and a repeated key inserts
nothing: the first write wins and later calls read it back.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from domain.audit import AuditEntry
from domain.errors import NotFound
from domain.stages import Role
from persistence.orm import AuditLogRow, OutboxRow, StepRecordRow
from persistence.ports import OutboxMessage
from persistence.repositories._sql import backend, keyed_insert

_STEPS: Table = StepRecordRow.__table__  # type: ignore[assignment]
_AUDIT: Table = AuditLogRow.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]
# Built once: every step a person takes runs these (see keyed_insert).
_STEP_RESULT = select(_STEPS.c.result).where(_STEPS.c.idempotency_key == bindparam("key"))
_OUTBOX_ID = select(_OUTBOX.c.id).where(_OUTBOX.c.idempotency_key == bindparam("key"))


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


def _entry(row: AuditLogRow) -> AuditEntry:
    return AuditEntry(
        occurred_at=row.occurred_at,
        actor=row.actor,
        actor_role=Role(row.actor_role),
        on_behalf_of=row.on_behalf_of,
        action=row.action,
        subject=row.subject,
        reason=row.reason,
        before=row.before,
        after=row.after,
        workflow_id=row.workflow_id,
        idempotency_key=row.idempotency_key,
    )


class SqlAuditLog:
    """Append and read only: there is deliberately no update or delete, and the database refuses both anyway."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(self, entry: AuditEntry) -> bool:
        """Add the entry; False when an entry with the same idempotency key exists (a retried activity)."""
        values = entry.model_dump(mode="json")
        values["occurred_at"] = entry.occurred_at
        if entry.idempotency_key is None:
            self._session.execute(insert(AuditLogRow).values(**values))
            return True
        inserted = self._session.execute(
            keyed_insert(backend(self._session), _AUDIT, "idempotency_key", "id"), values
        ).scalar_one_or_none()
        return inserted is not None

    def list(
        self,
        *,
        subject: str | None = None,
        workflow_id: str | None = None,
        action: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[AuditEntry]:
        """Entries in the order they were written, optionally filtered."""
        query = select(AuditLogRow)
        if subject is not None:
            query = query.where(AuditLogRow.subject == subject)
        if workflow_id is not None:
            query = query.where(AuditLogRow.workflow_id == workflow_id)
        if action is not None:
            query = query.where(AuditLogRow.action == action)
        query = query.order_by(AuditLogRow.id).limit(limit)
        return [_entry(row) for row in self._session.scalars(query)]

    def count_by_action(
        self, actions: Collection[str], *, workflow_id_prefix: str, workflow_id_length: int
    ) -> dict[str, int]:
        """How many entries of each of `actions` were made by the workflows whose id starts with the prefix and has
        the length; an action without any is left out. Counted by the database, from the index on (action,
        workflow_id): a province's audit log holds millions of entries."""
        query = (
            select(AuditLogRow.action, func.count())
            .where(*_actions_of(actions, workflow_id_prefix, workflow_id_length))
            .group_by(AuditLogRow.action)
        )
        return dict(self._session.execute(query).all())

    def count_workflows(self, actions: Collection[str], *, workflow_id_prefix: str, workflow_id_length: int) -> int:
        """How many workflows whose id starts with the prefix and has the length made at least one entry of
        `actions`."""
        query = select(func.count(func.distinct(AuditLogRow.workflow_id))).where(
            *_actions_of(actions, workflow_id_prefix, workflow_id_length)
        )
        return self._session.scalar(query) or 0


def _actions_of(actions: Collection[str], prefix: str, length: int) -> tuple[ColumnElement[bool], ...]:
    # Equality, not LIKE: SQLite's LIKE ignores letter case, and cycle ids may differ only in it.
    workflow_id = AuditLogRow.workflow_id
    return (
        AuditLogRow.action.in_(list(actions)),
        func.substr(workflow_id, 1, len(prefix)) == prefix,
        func.length(workflow_id) == length,
    )


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
    )


class SqlOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def enqueue(self, message: OutboxMessage) -> tuple[int, bool]:
        """Queue a notification; returns (its id, newly queued). A repeated idempotency key queues nothing."""
        values = message.model_dump(exclude={"id", "sent_at", "attempts"})
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

    def pending(self, *, limit: int = 100) -> list[OutboxMessage]:
        """Unsent messages, oldest first."""
        rows = self._session.scalars(
            select(OutboxRow).where(OutboxRow.sent_at.is_(None)).order_by(OutboxRow.id).limit(limit)
        )
        return [_message(row) for row in rows]

    def mark_sent(self, message_id: int, *, at: datetime | None = None) -> None:
        self._updated(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(sent_at=at or datetime.now(UTC), attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow.attempts),
            message_id,
        )

    def record_failure(self, message_id: int) -> int:
        """Count a failed attempt; returns the number of attempts so far."""
        return self._updated(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow.attempts),
            message_id,
        )

    def _updated(self, statement: Any, message_id: int) -> int:
        attempts = self._session.execute(statement).scalar_one_or_none()
        if attempts is None:
            raise NotFound(f"pesan notifikasi {message_id} tidak ditemukan", field="id")
        return int(attempts)
