"""Continuous feedback through the year (umpan balik berkelanjutan, PermenPANRB 6/2022 Pasal 5): the pejabat
penilai's dated notes to the employee and the employee's answers, per appraisal (domain.feedback, services.feedback).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cycle_id", sa.String(64), nullable=False),
        sa.Column("employee_nip", sa.String(18), nullable=False),
        sa.Column("author_nip", sa.String(64), nullable=False),
        sa.Column("writer", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answers_id", sa.Integer(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answers_id"], ["feedback_notes.id"], name="fk_feedback_notes_answers_id_feedback_notes"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_notes"),
    )
    op.create_index("ix_feedback_notes_appraisal", "feedback_notes", ["cycle_id", "employee_nip", "id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_notes_appraisal", table_name="feedback_notes")
    op.drop_table("feedback_notes")
