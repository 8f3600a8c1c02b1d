"""Cycle calendars and the IKM each cycle computed: the SKM window and the index per unit, readable without Temporal.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

`cycles` holds the calendar a cycle was planned with (`survey_opens`, `survey_closes` and every other deadline), so a
survey import can refuse answers outside the window; `cycle_surveys` holds the IKM per unit the cycle computed when
the window closed, shown to the penilai and used to refuse imports after it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
CODE = sa.String(32)
CYCLE = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("cycle_id", CYCLE, nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("survey_opens", TIMESTAMP, nullable=False),
        sa.Column("survey_closes", TIMESTAMP, nullable=False),
        sa.Column("deadlines", JSON, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["instansi_code"], ["instansi.code"], name=op.f("fk_cycles_instansi_code_instansi")),
        sa.PrimaryKeyConstraint("cycle_id", name=op.f("pk_cycles")),
    )
    op.create_index(op.f("ix_cycles_instansi_code"), "cycles", ["instansi_code"])
    op.create_table(
        "cycle_surveys",
        sa.Column("cycle_id", CYCLE, nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("results", JSON, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("computed_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["instansi_code"], ["instansi.code"], name=op.f("fk_cycle_surveys_instansi_code_instansi")
        ),
        sa.PrimaryKeyConstraint("cycle_id", name=op.f("pk_cycle_surveys")),
    )


def downgrade() -> None:
    op.drop_table("cycle_surveys")
    op.drop_index(op.f("ix_cycles_instansi_code"), table_name="cycles")
    op.drop_table("cycles")
