"""Development plans (tindak lanjut, issue 20): an employee whose final predicate calls for one (the instansi's
FollowUpPolicy: Butuh Perbaikan, Kurang, Sangat Kurang by default) gets a plan agreed with the pejabat penilai, with
its deadline, reminders and escalation (domain.development, workflows/development_plan.py). A row per plan, written
with each of its steps and notices; HR reads it per unit for the training asked for.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "development_plans",
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("cycle_id", sa.String(64), nullable=False),
        sa.Column("instansi_code", sa.String(32), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("employee_nip", sa.String(18), nullable=False),
        sa.Column("employee_name", sa.String(200), nullable=False),
        sa.Column("penilai_nip", sa.String(18), nullable=False),
        sa.Column("atasan_nip", sa.String(18), nullable=True),
        sa.Column("predicate", sa.String(32), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("assignee_nip", sa.String(18), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("coaching", sa.Text(), nullable=True),
        sa.Column("competency", sa.String(300), nullable=True),
        sa.Column("training", sa.String(300), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("change_requests", sa.Integer(), nullable=False),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("workflow_id", name="pk_development_plans"),
    )
    op.create_index("ix_development_plans_cycle_unit", "development_plans", ["instansi_code", "cycle_id", "unit_code"])
    op.create_index("ix_development_plans_assignee", "development_plans", ["assignee_nip"])


def downgrade() -> None:
    op.drop_index("ix_development_plans_assignee", table_name="development_plans")
    op.drop_index("ix_development_plans_cycle_unit", table_name="development_plans")
    op.drop_table("development_plans")
