"""What the calibration page shows of a stored proposal besides its changes, in a column of its own.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

The page reads a proposal's message and its counts after the changes on every view. They are two small parts of
a document holding every employee's entry (a province's instansi: 3.7 MB of JSON, 0.5 MB compressed), and reading
a part of it reads and decompresses all of it (7.5 ms in PostgreSQL per view). `calibrations.summary` holds the two,
written with each save (persistence.repositories.appraisal; NULL for a locked decision, whose page lists whom it
moved), and filled here for the proposals stored before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_PROPOSED = "proposed"  # services.calibration_store.PROPOSED as of this revision
_PARTS = ("message", "counts_after")  # services.calibration_store.SUMMARY_PARTS as of this revision
_CALIBRATIONS = sa.table(
    "calibrations",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("content", sa.JSON()),
    sa.column("summary", sa.JSON()),
)


def upgrade() -> None:
    op.add_column("calibrations", sa.Column("summary", JSON, nullable=True))
    bind = op.get_bind()
    ids = bind.execute(
        sa.select(_CALIBRATIONS.c.id).where(_CALIBRATIONS.c.status == _PROPOSED).order_by(_CALIBRATIONS.c.id)
    )
    for calibration_id in ids.scalars().all():  # a few per instansi and year; each document read alone
        content = bind.execute(
            sa.select(_CALIBRATIONS.c.content).where(_CALIBRATIONS.c.id == calibration_id)
        ).scalar_one()
        content = content if isinstance(content, dict) else {}
        bind.execute(
            _CALIBRATIONS.update()
            .where(_CALIBRATIONS.c.id == calibration_id)
            .values(summary={part: content.get(part) for part in _PARTS})
        )


def downgrade() -> None:
    op.drop_column("calibrations", "summary")
