"""IKU corrections (issue 20): an IKU keeps its version (1 as imported), and the versions a correction replaced are kept
in `iku_versions` with who replaced them, when and why (domain.iku_correction).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
DECIMAL = sa.Numeric(18, 4).with_variant(sa.String(40), "sqlite")  # as 0001's: exact on both backends


def upgrade() -> None:
    with op.batch_alter_table("iku") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "iku_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("instansi_code", sa.String(32), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("unit_of_measure", sa.String(50), nullable=False),
        sa.Column("polarity", sa.String(8), nullable=False),
        sa.Column("target", DECIMAL, nullable=False),
        sa.Column("target_upper", DECIMAL, nullable=True),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["instansi_code"], ["instansi.code"], name="fk_iku_versions_instansi_code_instansi"),
        sa.PrimaryKeyConstraint("id", name="pk_iku_versions"),
        sa.UniqueConstraint(
            "instansi_code", "period", "code", "version", name="uq_iku_versions_instansi_code_period_code_version"
        ),
    )


def downgrade() -> None:
    op.drop_table("iku_versions")
    with op.batch_alter_table("iku") as batch:
        batch.drop_column("version")
