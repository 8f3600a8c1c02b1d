"""SKP changes during the year (issue 20): the versions a change replaced are kept in `skp_versions`, per appraisal
(its workflow id), with the days they were in force, who replaced them, when and why (domain.skp_versions). The
version in force stays the `skp` row.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "skp_versions",
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("employee_nip", sa.String(18), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_until", sa.Date(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["employee_nip"], ["employees.nip"], name="fk_skp_versions_employee_nip_employees"),
        sa.PrimaryKeyConstraint("workflow_id", "number", name="pk_skp_versions"),
    )


def downgrade() -> None:
    op.drop_table("skp_versions")
