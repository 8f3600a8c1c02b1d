"""The audit log sealed in hash chains (domain.audit_chain), so that an entry changed behind the application's back
is found by `kinerja audit verifikasi`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Each row gets its chain, its sequence in it, the previous entry's hash and its own; `audit_chain_heads` holds each
chain's last entry. The entries written before this migration are sealed here, in id order, into chain 0 (the
append-only trigger on UPDATE is lifted for this one update and put back in the same transaction). Columns are added
in place (no table copy on SQLite, which would lose the table's triggers). Downgrading drops the seals.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import RowMapping

from domain.audit import AuditEntry
from domain.audit_chain import CHAINS, GENESIS, seal
from domain.stages import Role

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH = sa.String(64)
SEALS = ("chain", "seq", "previous_hash", "hash")
_BATCH = 2000
_AUDIT_REFUSAL = "audit_log hanya dapat ditambah; perubahan dan penghapusan ditolak"
_SQLITE_NO_UPDATE = (
    f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '{_AUDIT_REFUSAL}'); END"
)
_AUDIT = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("occurred_at", sa.DateTime()),
    *(sa.column(name, sa.String()) for name in ("actor", "actor_role", "on_behalf_of", "action", "subject", "reason")),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("workflow_id", sa.String()),
    sa.column("idempotency_key", sa.String()),
    sa.column("chain", sa.SmallInteger()),
    sa.column("seq", sa.BigInteger()),
    sa.column("previous_hash", HASH),
    sa.column("hash", HASH),
)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("chain", sa.SmallInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("previous_hash", HASH, nullable=True))
    op.add_column("audit_log", sa.Column("hash", HASH, nullable=True))
    op.create_index("ix_audit_log_chain_seq", "audit_log", ["chain", "seq"], unique=True)
    heads = op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", HASH, nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_heads")),
    )
    seq, last = _seal_existing()
    op.bulk_insert(
        heads,
        [{"chain": 0, "seq": seq, "hash": last}] + [{"chain": n, "seq": 0, "hash": GENESIS} for n in range(1, CHAINS)],
    )


def _seal_existing() -> tuple[int, str]:
    """Seal the rows already written, in id order, into chain 0; returns chain 0's head."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
    seq, previous, after_id = 0, GENESIS, 0
    while (
        rows := bind.execute(sa.select(_AUDIT).where(_AUDIT.c.id > after_id).order_by(_AUDIT.c.id).limit(_BATCH))
        .mappings()
        .all()
    ):
        for row in rows:
            seq += 1
            digest = seal(_entry(row), 0, seq, previous)
            bind.execute(
                sa.update(_AUDIT)
                .where(_AUDIT.c.id == row["id"])
                .values(chain=0, seq=seq, previous_hash=previous, hash=digest)
            )
            previous, after_id = digest, row["id"]
    if postgres:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete")
    else:
        op.execute(_SQLITE_NO_UPDATE)
    return seq, previous


def _entry(row: RowMapping) -> AuditEntry:
    occurred_at: datetime = row["occurred_at"]  # naive on SQLite, where every stored instant is UTC
    return AuditEntry(
        occurred_at=occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC),
        actor=row["actor"],
        actor_role=Role(row["actor_role"]),
        on_behalf_of=row["on_behalf_of"],
        action=row["action"],
        subject=row["subject"],
        reason=row["reason"],
        before=_document(row["before"]),
        after=_document(row["after"]),
        workflow_id=row["workflow_id"],
        idempotency_key=row["idempotency_key"],
    )


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def downgrade() -> None:
    op.drop_table("audit_chain_heads")
    op.drop_index("ix_audit_log_chain_seq", table_name="audit_log")
    for column in reversed(SEALS):
        op.drop_column("audit_log", column)
