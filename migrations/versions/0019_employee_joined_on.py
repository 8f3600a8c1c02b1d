"""The day an employee joined the instansi (TMT masuk), from the roster's optional `tmt_masuk` column: someone who
joins during the year is appraised for the rest of it, and the closing report and the evaluation document say so
(domain.organisation.Employee.appraised_from). NULL for everyone before: the whole year.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("joined_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("employees", "joined_on")
