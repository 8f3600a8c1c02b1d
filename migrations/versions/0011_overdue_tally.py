"""The supervision team's overdue counts read from the index alone (PostgreSQL).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

`/pengawasan` counts a cycle's overdue steps per stage and per unit on every page (services.supervision): at
100,000 appraisals that is thousands of rows per count, each fetched from the table for its unit, stage and step.
`ix_worklist_cycle_overdue` (cycle, overdue, deadline) now carries those three columns (INCLUDE), so PostgreSQL
answers the counts with an index-only scan. SQLite has no INCLUDE: the index stays as it was there.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["cycle_id", "overdue", "deadline"]


def upgrade() -> None:
    op.drop_index("ix_worklist_cycle_overdue", table_name="worklist")
    op.create_index("ix_worklist_cycle_overdue", "worklist", COLUMNS, postgresql_include=["unit_code", "stage", "step"])


def downgrade() -> None:
    op.drop_index("ix_worklist_cycle_overdue", table_name="worklist")
    op.create_index("ix_worklist_cycle_overdue", "worklist", COLUMNS)
