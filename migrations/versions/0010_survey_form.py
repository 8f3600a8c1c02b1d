"""The citizens' survey form: a short address per unit and cycle, one-time tokens, limits, the respondent profile.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10

Until now SKM answers came only from files (`kinerja impor survei`). The public form (`/s/{code}`, web/pages/survey.py)
stores its answers in the same `survey_responses`, so the IKM computed at the window's close counts both alike; what
it needs besides:

- `survey_responses` gains the optional respondent profile of the regulation's form (age, sex, education,
  occupation); imported rows leave it empty;
- `survey_links`: each unit's random short code for one cycle, printed on the counter's poster with its QR code;
- `survey_tokens`: the one-time tokens a unit hands out on its receipts, stored as hashes, spent by one answer;
- `survey_limits`: answers per keyed hash of an address and hour (never the address itself), counted in the database
  so that every web process applies one limit;
- `site_secrets`: the form's signing key, made once, where the settings give none (SURVEY__FORM_SECRET).

A downgrade drops them, with the profile of the answers given on the form (the answers themselves stay).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
CODE = sa.String(32)
HASH = sa.String(64)  # SHA-256, hex


def upgrade() -> None:
    with op.batch_alter_table("survey_responses") as batch:
        batch.add_column(sa.Column("age", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("sex", sa.String(1), nullable=True))
        batch.add_column(sa.Column("education", sa.String(16), nullable=True))
        batch.add_column(sa.Column("occupation", sa.String(16), nullable=True))
    op.create_table(
        "survey_links",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("cycle_id", sa.String(64), nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("unit_code", CODE, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.cycle_id"], name=op.f("fk_survey_links_cycle_id_cycles")),
        sa.ForeignKeyConstraint(
            ["instansi_code"], ["instansi.code"], name=op.f("fk_survey_links_instansi_code_instansi")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_survey_links")),
        sa.UniqueConstraint("cycle_id", "unit_code", name=op.f("uq_survey_links_cycle_id_unit_code")),
    )
    op.create_table(
        "survey_tokens",
        sa.Column("token_hash", HASH, nullable=False),
        sa.Column("link_code", sa.String(8), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["link_code"], ["survey_links.code"], name=op.f("fk_survey_tokens_link_code_survey_links")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_survey_tokens")),
    )
    op.create_index(op.f("ix_survey_tokens_link_code"), "survey_tokens", ["link_code"])
    op.create_table(
        "survey_limits",
        sa.Column("key", HASH, nullable=False),
        sa.Column("window_start", TIMESTAMP, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_survey_limits")),
    )
    op.create_index(op.f("ix_survey_limits_window_start"), "survey_limits", ["window_start"])
    op.create_table(
        "site_secrets",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_secrets")),
    )


def downgrade() -> None:
    op.drop_table("site_secrets")
    op.drop_index(op.f("ix_survey_limits_window_start"), table_name="survey_limits")
    op.drop_table("survey_limits")
    op.drop_index(op.f("ix_survey_tokens_link_code"), table_name="survey_tokens")
    op.drop_table("survey_tokens")
    op.drop_table("survey_links")
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_column("occupation")
        batch.drop_column("education")
        batch.drop_column("sex")
        batch.drop_column("age")
