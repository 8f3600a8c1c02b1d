"""What a stored calibration lists, one row each, so the calibration page reads a page of them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

A stored calibration is one JSON document: a proposal with every employee's entry and its changes, or, once locked,
the committee's decision with every employee's predicate. The calibration page lists the proposal's changes, or the
decision's moved predicates (final differs from the review's), fifty at a time; it read and parsed the whole list to
show fifty (a province's instansi: 1,386 changes, 25,000 decided predicates). `calibration_lines` holds them in the
document's order, written with each save of the calibration (persistence.repositories.appraisal), and filled here
for the calibrations stored before. The document stays whole: the workflow and the decision read it as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_LOCKED = "locked"  # services.calibration_store.LOCKED as of this revision
_CALIBRATIONS = sa.table(
    "calibrations", sa.column("id", sa.Integer()), sa.column("status", sa.String()), sa.column("content", sa.JSON())
)
_LINES = sa.table(
    "calibration_lines",
    sa.column("calibration_id", sa.Integer()),
    sa.column("position", sa.Integer()),
    sa.column("content", sa.JSON()),
)


def upgrade() -> None:
    op.create_table(
        "calibration_lines",
        sa.Column("calibration_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["calibration_id"], ["calibrations.id"], name="fk_calibration_lines_calibration_id_calibrations"
        ),
        sa.PrimaryKeyConstraint("calibration_id", "position", name="pk_calibration_lines"),
    )
    bind = op.get_bind()
    ids = bind.execute(sa.select(_CALIBRATIONS.c.id).order_by(_CALIBRATIONS.c.id)).scalars().all()
    for calibration_id in ids:  # a few per instansi and year; each document read alone (they are large)
        status, content = bind.execute(
            sa.select(_CALIBRATIONS.c.status, _CALIBRATIONS.c.content).where(_CALIBRATIONS.c.id == calibration_id)
        ).one()
        lines = listed(status == _LOCKED, content if isinstance(content, dict) else {})
        if lines:
            bind.execute(
                _LINES.insert(),
                [{"calibration_id": calibration_id, "position": n, "content": line} for n, line in enumerate(lines)],
            )


def listed(locked: bool, content: dict[str, Any]) -> list[dict[str, Any]]:
    """A proposal's changes; a locked decision's predicates that differ from the review's."""
    if locked:
        predicates = (content.get("decision") or {}).get("predicates") or []
        return [p for p in predicates if p.get("final") != p.get("original")]
    return list(content.get("changes") or [])


def downgrade() -> None:
    op.drop_table("calibration_lines")
