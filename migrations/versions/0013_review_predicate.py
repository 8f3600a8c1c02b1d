"""A review's cycle, unit and the predicate it stands at, kept beside its content, so that a cycle's predicates are
counted per unit by an index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

The calibration page (services.calibration_board) and the closing report count a cycle's predicates per unit. They
read every review of the cycle (its JSON content) to do it: at a province's 100,000 appraisals, every view of the
page. `reviews.cycle_id`, `.unit_code` and `.predicate` are written with each review from now (activities.appraisal),
and filled here for the reviews stored before: the cycle from the workflow id (`appraisal-<cycle>-<NIP of 18
digits>`), the unit from the appraisal's worklist entry (the roster's where it has none), the predicate from the
content (the final predicate, set by calibration or an objection decision, over the matrix's).
`ix_reviews_cycle_unit` serves the count from the index alone (the workflow id INCLUDEd on PostgreSQL), and the
partial `ix_worklist_withdrawn` finds the cycle's withdrawn appraisals that it leaves out.
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
    sa.column("employee_nip", sa.String()),
    sa.column("content", sa.JSON()),
    sa.column("cycle_id", sa.String()),
    sa.column("unit_code", sa.String()),
    sa.column("predicate", sa.String()),
)
_WORKLIST = sa.table("worklist", sa.column("workflow_id", sa.String()), sa.column("unit_code", sa.String()))
_EMPLOYEES = sa.table("employees", sa.column("nip", sa.String()), sa.column("unit_code", sa.String()))
WITHDRAWN = sa.text("step = 'withdrawn'")


def upgrade() -> None:
    op.add_column("reviews", sa.Column("cycle_id", sa.String(64), nullable=True))
    op.add_column("reviews", sa.Column("unit_code", sa.String(32), nullable=True))
    op.add_column("reviews", sa.Column("predicate", sa.String(32), nullable=True))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                _REVIEWS.c.id,
                _REVIEWS.c.workflow_id,
                _REVIEWS.c.content,
                sa.func.coalesce(_WORKLIST.c.unit_code, _EMPLOYEES.c.unit_code).label("unit"),
            )
            .select_from(
                _REVIEWS.outerjoin(_WORKLIST, _WORKLIST.c.workflow_id == _REVIEWS.c.workflow_id).outerjoin(
                    _EMPLOYEES, _EMPLOYEES.c.nip == _REVIEWS.c.employee_nip
                )
            )
            .where(_REVIEWS.c.id > last)
            .order_by(_REVIEWS.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        updates = [{"row_id": row.id, "unit": row.unit, **_derived(row.workflow_id, row.content)} for row in rows]
        bind.execute(
            _REVIEWS.update()
            .where(_REVIEWS.c.id == sa.bindparam("row_id"))
            .values(cycle_id=sa.bindparam("cycle"), unit_code=sa.bindparam("unit"), predicate=sa.bindparam("standing")),
            updates,
        )
        last = rows[-1].id
    op.create_index(
        "ix_reviews_cycle_unit",
        "reviews",
        ["cycle_id", "unit_code", "predicate"],
        postgresql_include=["workflow_id"],
    )
    op.create_index(
        "ix_worklist_withdrawn",
        "worklist",
        ["cycle_id", "workflow_id"],
        postgresql_where=WITHDRAWN,
        sqlite_where=WITHDRAWN,
    )


def _derived(workflow_id: str, content: Any) -> dict[str, str | None]:
    match = _WORKFLOW_ID.match(workflow_id)
    content = content if isinstance(content, dict) else {}
    standing = content.get("final_predicate") or (content.get("result") or {}).get("predicate")
    return {"cycle": match["cycle"] if match else None, "standing": standing}


def downgrade() -> None:
    op.drop_index("ix_worklist_withdrawn", table_name="worklist")
    op.drop_index("ix_reviews_cycle_unit", table_name="reviews")
    op.drop_column("reviews", "predicate")
    op.drop_column("reviews", "unit_code")
    op.drop_column("reviews", "cycle_id")
