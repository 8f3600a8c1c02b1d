"""The policy a cycle planned with, whole, beside its calendar.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

A cycle is planned a page at a time (services.appraisals.plan_page): each page, and each late joiner added later,
takes the policy the cycle's first page recorded here, so a change to the instansi's policy while a province's
enrolment runs does not give one cycle appraisals under two policies. Cycles recorded before keep NULL and are
planned under the instansi's current policy, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(sa.Column("policy", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.drop_column("policy")
