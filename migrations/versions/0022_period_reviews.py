"""Periodic evaluation (issue 20): a row per period of an appraisal's evaluation through the year (domain.periods,
workflows/periodic.py), written with each of its steps and notices: the realisation so far, the dialog's feedback
and rating, the deadline and how far it escalated.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "period_reviews",
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.String(64), nullable=False),
        sa.Column("instansi_code", sa.String(32), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("employee_nip", sa.String(18), nullable=False),
        sa.Column("employee_name", sa.String(200), nullable=False),
        sa.Column("penilai_nip", sa.String(18), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("assignee_nip", sa.String(18), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("realisations", JSON, nullable=False),
        sa.Column("realised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("rating", sa.String(16), nullable=True),
        sa.Column("dialog_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("workflow_id", "number", name="pk_period_reviews"),
    )
    op.create_index("ix_period_reviews_appraisal", "period_reviews", ["cycle_id", "employee_nip", "number"])
    op.create_index("ix_period_reviews_assignee", "period_reviews", ["assignee_nip"])


def downgrade() -> None:
    op.drop_index("ix_period_reviews_assignee", table_name="period_reviews")
    op.drop_index("ix_period_reviews_appraisal", table_name="period_reviews")
    op.drop_table("period_reviews")
