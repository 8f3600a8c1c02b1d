"""What a call wrote: every table of the domain database, and the history of the workflows it was about.

A refused call must write nothing. Rather than trust a list of the tables a call might touch, `Snapshot` digests
every table (reflected from the migrated database, so a table added by a later migration is covered too) and counts
the events of the named workflows' histories with the real Temporal client.

Two columns are left out, and why: `access_tokens.last_used_at` and `auth_sessions.last_seen_at` record that a
credential was presented (at most once a minute), which a refused call does too; they are the sign-in's own
bookkeeping, not something the call did to the appraisal, and the tokens' other columns are still compared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, MetaData, Table, func, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

PRESENTED = {("access_tokens", "last_used_at"), ("auth_sessions", "last_seen_at")}
SHOWN = ("audit_log", "outbox")  # the tables issue 17 names: their new rows are printed when a refusal wrote


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, tuple[int, str]]  # table: (row count, digest of its rows)
    histories: dict[str, int]  # workflow id: events in its history (0: no such workflow)

    def changes(self, after: Snapshot) -> list[str]:
        changed = [
            f"table {name}: {count} rows -> {after.tables[name][0]}"
            + ("" if count != after.tables[name][0] else " (rows changed)")
            for name, (count, digest) in self.tables.items()
            if after.tables.get(name) != (count, digest)
        ]
        changed += [
            f"Temporal history of {workflow_id}: {events} events -> {after.histories.get(workflow_id)}"
            for workflow_id, events in self.histories.items()
            if after.histories.get(workflow_id) != events
        ]
        return changed


class Recorder:
    """Snapshots of one database and one Temporal namespace."""

    def __init__(self, engine: Engine, client: Client) -> None:
        self._engine, self._client = engine, client
        metadata = MetaData()
        metadata.reflect(engine)
        self._tables: list[Table] = [t for t in metadata.sorted_tables if t.name != "alembic_version"]

    @property
    def table_names(self) -> list[str]:
        return [table.name for table in self._tables]

    async def snapshot(self, workflow_ids: Iterable[str]) -> Snapshot:
        histories = {workflow_id: await self.history_length(workflow_id) for workflow_id in workflow_ids if workflow_id}
        return Snapshot(tables=self._tables_now(), histories=histories)

    def _tables_now(self) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        with self._engine.connect() as connection:
            for table in self._tables:
                columns = [column for column in table.columns if (table.name, column.name) not in PRESENTED]
                rows = sorted(repr(tuple(row)) for row in connection.execute(select(*columns)))
                found[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return found

    def count(self, table_name: str) -> int:
        table = next(t for t in self._tables if t.name == table_name)
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())

    def newest(self, table_name: str, rows: int) -> list[str]:
        """The last `rows` rows of a table, for a failure message."""
        table = next(t for t in self._tables if t.name == table_name)
        key = next(iter(table.primary_key.columns))
        with self._engine.connect() as connection:
            found = connection.execute(select(table).order_by(key.desc()).limit(rows)).all()
        return [repr(tuple(row)) for row in found]

    async def history_length(self, workflow_id: str) -> int:
        try:
            described = await self._client.get_workflow_handle(workflow_id).describe()
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                return 0
            raise
        return int(described.raw_description.workflow_execution_info.history_length)
