"""Delivering the outbox: when a message may next be tried, its last error, and when delivery was given up.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The outbox has held every reminder, escalation and step notice since 0001, but nothing sent them. The dispatcher
(services/dispatch.py, run by every worker) claims due messages by setting `next_attempt_at` (a lease another
dispatcher respects), backs off after a failed attempt by setting it later, and gives up after the configured number
of attempts or a permanent refusal (`failed_at`).

Every message already waiting was queued before anything could send it: reminders and escalations for deadlines long
past, some for cycles already closed. Sending them all at the first pass after the upgrade would bury people in stale
notices, so they are given up here, with a reason `kinerja notifikasi` shows; `kinerja notifikasi ulangi` sends any
an operator still wants. A downgrade drops the columns, so every unsent message is waiting again, as in 0006.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
BACKLOG = "diantrekan sebelum Kinerja mengirim notifikasi (migrasi 0007); kirim dengan kinerja notifikasi ulangi"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("next_attempt_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("failed_at", TIMESTAMP, nullable=True))
    outbox = sa.table(
        "outbox", sa.column("sent_at", TIMESTAMP), sa.column("failed_at", TIMESTAMP), sa.column("last_error", sa.Text)
    )
    op.execute(
        outbox.update()
        .where(outbox.c.sent_at.is_(None))
        .values(failed_at=sa.func.current_timestamp(), last_error=BACKLOG)
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("failed_at")
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
