"""A cycle's predicates per unit kept as reviews are saved, so that the calibration page and the closing report do not
count every review of the cycle on each view.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

`review_tallies` holds, per cycle and unit, how many reviews stand at each predicate (a column each). Each save of a
review moves it from its old tally to its new one in the same transaction (persistence.repositories.appraisal); the
tallies of the reviews stored before are filled here from `reviews` (0013's columns). Withdrawn appraisals stay in
the tallies: the count leaves them out through `ix_worklist_withdrawn`, as before.

Stop the workers before this upgrade and start the new ones after it: a review saved meanwhile by an older worker
would be missing from its tally.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREDICATES = ("sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")  # domain.ratings.Predicate


def upgrade() -> None:
    op.create_table(
        "review_tallies",
        sa.Column("cycle_id", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        *(sa.Column(predicate, sa.Integer(), nullable=False) for predicate in PREDICATES),
        sa.PrimaryKeyConstraint("cycle_id", "unit_code", name="pk_review_tallies"),
    )
    counted = ", ".join(f"COUNT(*) FILTER (WHERE predicate = '{predicate}')" for predicate in PREDICATES)
    op.execute(
        f"INSERT INTO review_tallies (cycle_id, unit_code, {', '.join(PREDICATES)})"
        f" SELECT cycle_id, COALESCE(unit_code, '-'), {counted} FROM reviews"
        " WHERE cycle_id IS NOT NULL AND predicate IS NOT NULL"
        " GROUP BY cycle_id, COALESCE(unit_code, '-')"
    )


def downgrade() -> None:
    op.drop_table("review_tallies")
