"""A review's cycle and the predicate it stands at, kept beside its content, so that a cycle's predicates are counted
per unit by an index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

The calibration page (services.calibration_board) and the closing report count a cycle's predicates per unit. They
read every review of the cycle (its JSON content) to do it: at a province's 100,000 appraisals, every view of the
page. `reviews.cycle_id` and `reviews.predicate` are written with each review from now (activities.appraisal), and
filled here for the reviews stored before: the cycle from the workflow id (`appraisal-<cycle>-<NIP of 18 digits>`),
the predicate from the content (the final predicate, set by calibration or an objection decision, over the
matrix's). `ix_reviews_cycle_predicate` serves the count (with the NIP and the workflow id on PostgreSQL, so the
count does not read the table).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 2000
_WORKFLOW_ID = re.compile(r"^appraisal-(?P<cycle>.+)-\d{18}$")  # workflows.contracts as of this revision
_REVIEWS = sa.table(
    "reviews",
    sa.column("id", sa.Integer()),
    sa.column("workflow_id", sa.String()),
    sa.column("content", sa.JSON()),
    sa.column("cycle_id", sa.String()),
    sa.column("predicate", sa.String()),
)


def upgrade() -> None:
    op.add_column("reviews", sa.Column("cycle_id", sa.String(64), nullable=True))
    op.add_column("reviews", sa.Column("predicate", sa.String(32), nullable=True))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(_REVIEWS.c.id, _REVIEWS.c.workflow_id, _REVIEWS.c.content)
            .where(_REVIEWS.c.id > last)
            .order_by(_REVIEWS.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        updates = [{"row_id": row.id, **_derived(row.workflow_id, row.content)} for row in rows]
        bind.execute(
            _REVIEWS.update()
            .where(_REVIEWS.c.id == sa.bindparam("row_id"))
            .values(cycle_id=sa.bindparam("cycle"), predicate=sa.bindparam("standing")),
            updates,
        )
        last = rows[-1].id
    op.create_index(
        "ix_reviews_cycle_predicate",
        "reviews",
        ["cycle_id", "predicate"],
        postgresql_include=["employee_nip", "workflow_id"],
    )


def _derived(workflow_id: str, content: Any) -> dict[str, str | None]:
    match = _WORKFLOW_ID.match(workflow_id)
    content = content if isinstance(content, dict) else {}
    standing = content.get("final_predicate") or (content.get("result") or {}).get("predicate")
    return {"cycle": match["cycle"] if match else None, "standing": standing}


def downgrade() -> None:
    op.drop_index("ix_reviews_cycle_predicate", table_name="reviews")
    op.drop_column("reviews", "predicate")
    op.drop_column("reviews", "cycle_id")
