"""The append-only audit log, sealed in hash chains (domain.audit_chain), and what its verification reads."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator

from sqlalchemy import ColumnElement, Table, func, insert, select, text, tuple_
from sqlalchemy.orm import Session

from domain.audit import AuditEntry
from domain.audit_chain import CHAINS, ChainHead, SealedEntry, chain_for, seal
from domain.stages import Role
from persistence.orm import AuditChainHeadRow, AuditLogRow
from persistence.repositories._sql import backend, keyed_insert

_AUDIT: Table = AuditLogRow.__table__  # type: ignore[assignment]
_HEADS: Table = AuditChainHeadRow.__table__  # type: ignore[assignment]
# Session.info key: the chain this transaction holds, with its head after the transaction's last entry. The unit of
# work drops it at commit and rollback (persistence.uow).
HELD_CHAIN = "kinerja.audit_chain"
# A no-op UPDATE: it locks the head (and on SQLite begins the write transaction) and reads it in one statement.
_TAKE_HEAD = text("UPDATE audit_chain_heads SET seq = seq WHERE chain = :chain RETURNING seq, hash")
_MOVE_HEAD = text("UPDATE audit_chain_heads SET seq = :seq, hash = :hash WHERE chain = :chain")
_IN_CHUNK = 500  # ids per IN (...): well under any database's limit on bound parameters


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
        """Add the entry, sealed at the end of its chain; False when an entry with the same idempotency key exists (a
        retried activity), and then nothing is written.

        The unit of work's first entry takes the head of one chain (domain.audit_chain.chain_for): an UPDATE that
        locks the head's row until commit on PostgreSQL and takes the write lock on SQLite, so no other writer can
        append to that chain meanwhile. Its later entries go to the same chain, so a transaction holds one head and
        two transactions never wait on each other's heads in opposite orders."""
        values = entry.model_dump(mode="json")
        values["occurred_at"] = entry.occurred_at
        chain, seq, previous = self._head(entry)
        digest = seal(entry, chain, seq + 1, previous)
        values.update(chain=chain, seq=seq + 1, previous_hash=previous, hash=digest)
        if entry.idempotency_key is None:
            self._session.execute(insert(AuditLogRow), values)
        elif (
            self._session.execute(
                keyed_insert(backend(self._session), _AUDIT, "idempotency_key", "id"), values
            ).scalar_one_or_none()
            is None
        ):
            return False
        self._session.execute(_MOVE_HEAD, {"chain": chain, "seq": seq + 1, "hash": digest})
        self._session.info[HELD_CHAIN] = (chain, seq + 1, digest)
        return True

    def _head(self, entry: AuditEntry) -> tuple[int, int, str]:
        held: tuple[int, int, str] | None = self._session.info.get(HELD_CHAIN)
        if held is not None:
            return held
        chain = chain_for(entry)
        seq, previous = self._session.execute(_TAKE_HEAD, {"chain": chain}).one()
        return chain, seq, previous

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

    def latest(self, action: str, workflow_ids: Collection[str]) -> dict[str, AuditEntry]:
        """workflow id → its latest entry of `action`, for these workflows (one without any is left out): one
        statement by the (action, workflow_id) index, where a page of tasks used to ask once per task."""
        found: dict[str, AuditEntry] = {}
        ids = sorted(workflow_ids)
        for start in range(0, len(ids), _IN_CHUNK):
            query = (
                select(AuditLogRow)
                .where(AuditLogRow.action == action, AuditLogRow.workflow_id.in_(ids[start : start + _IN_CHUNK]))
                .order_by(AuditLogRow.id)
            )
            for row in self._session.scalars(query):
                found[row.workflow_id or ""] = _entry(row)  # in id order: the last one written wins
        return found

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

    def of_workflows(
        self, actions: Collection[str], *, workflow_id_prefix: str, workflow_id_length: int
    ) -> builtins.list[AuditEntry]:
        """The entries of `actions` made by the workflows whose id starts with the prefix and has the length, in the
        order they were written; for rare actions (a cycle's withdrawals), read through the index on (action,
        workflow_id)."""
        query = (
            select(AuditLogRow)
            .where(*_actions_of(actions, workflow_id_prefix, workflow_id_length))
            .order_by(AuditLogRow.id)
        )
        return [_entry(row) for row in self._session.scalars(query)]

    def count_workflows(self, actions: Collection[str], *, workflow_id_prefix: str, workflow_id_length: int) -> int:
        """How many workflows whose id starts with the prefix and has the length made at least one entry of
        `actions`."""
        query = select(func.count(func.distinct(AuditLogRow.workflow_id))).where(
            *_actions_of(actions, workflow_id_prefix, workflow_id_length)
        )
        return self._session.scalar(query) or 0

    # What `kinerja audit verifikasi` reads (services.audit_chain).

    def heads(self) -> builtins.list[ChainHead]:
        rows = self._session.execute(select(_HEADS.c.chain, _HEADS.c.seq, _HEADS.c.hash).order_by(_HEADS.c.chain))
        return [ChainHead(chain=chain, seq=seq, hash=digest) for chain, seq, digest in rows]

    def chain_entries(self, chain: int, *, after: int = 0, batch: int = 2000) -> Iterator[SealedEntry]:
        """One chain's rows past sequence `after`, in sequence order, read a batch at a time by the (chain, seq)
        index."""
        while True:
            rows = self._session.scalars(
                select(AuditLogRow)
                .where(AuditLogRow.chain == chain, AuditLogRow.seq > after)
                .order_by(AuditLogRow.seq, AuditLogRow.id)
                .limit(batch)
            ).all()
            yield from (_sealed(row) for row in rows)
            if len(rows) < batch:
                return
            after = rows[-1].seq or 0

    def unsealed(self, *, limit: int) -> builtins.list[SealedEntry]:
        """Rows without a seal or outside every chain: written behind the application's back."""
        query = (
            select(AuditLogRow)
            .where(
                (AuditLogRow.seq.is_(None)) | (AuditLogRow.chain.is_(None)) | AuditLogRow.chain.not_in(range(0, CHAINS))
            )
            .order_by(AuditLogRow.id)
            .limit(limit)
        )
        return [_sealed(row) for row in self._session.scalars(query)]

    def hashes_at(self, places: Collection[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """(chain, seq) → the hash stored there now, for these places (a place with no row is left out)."""
        wanted = sorted(places)
        found: dict[tuple[int, int], str] = {}
        for start in range(0, len(wanted), _IN_CHUNK):
            query = select(AuditLogRow.chain, AuditLogRow.seq, AuditLogRow.hash).where(
                tuple_(AuditLogRow.chain, AuditLogRow.seq).in_(wanted[start : start + _IN_CHUNK])
            )
            for chain, seq, digest in self._session.execute(query):
                if chain is not None and seq is not None and digest is not None:
                    found[chain, seq] = digest
        return found


def _actions_of(actions: Collection[str], prefix: str, length: int) -> tuple[ColumnElement[bool], ...]:
    # Equality, not LIKE: SQLite's LIKE ignores letter case, and cycle ids may differ only in it.
    workflow_id = AuditLogRow.workflow_id
    return (
        AuditLogRow.action.in_(list(actions)),
        func.substr(workflow_id, 1, len(prefix)) == prefix,
        func.length(workflow_id) == length,
    )


def _sealed(row: AuditLogRow) -> SealedEntry:
    return SealedEntry(
        id=row.id, chain=row.chain, seq=row.seq, previous=row.previous_hash, hash=row.hash, entry=_entry(row)
    )
