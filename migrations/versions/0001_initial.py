"""Initial schema: organisation, IKU/SKP, reviews, calibrations, idempotent steps, append-only audit log, survey
responses and the notification outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Types are spelled out here rather than imported from persistence/, so this revision keeps meaning what it meant
when it shipped even after the application's column types change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
# Exact decimals: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC affinity would turn them into floats).
DECIMAL = sa.Numeric(18, 4).with_variant(sa.String(40), "sqlite")
NIP = sa.String(18)
CODE = sa.String(32)
NAME = sa.String(200)

AUDIT_REFUSAL = "audit_log hanya dapat ditambah; perubahan dan penghapusan ditolak"

SQLITE_AUDIT_TRIGGERS = (
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{AUDIT_REFUSAL}'); END""",
    f"""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{AUDIT_REFUSAL}'); END""",
)

POSTGRES_AUDIT_TRIGGERS = (
    f"""CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{AUDIT_REFUSAL} (%)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END
    $$""",
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()""",
    # TRUNCATE fires no row triggers, so it gets its own statement-level one.
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()""",
)


def _versioned() -> sa.Column[int]:
    return sa.Column("version", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "instansi",
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("policy_overrides", JSON, server_default="{}", nullable=False),
        sa.Column("policy_revision", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_instansi")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("parent_code", CODE, nullable=True),
        sa.ForeignKeyConstraint(["instansi_code"], ["instansi.code"], name=op.f("fk_units_instansi_code_instansi")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("instansi_code", "code", name=op.f("uq_units_instansi_code_code")),
    )
    op.create_index(op.f("ix_units_instansi_code"), "units", ["instansi_code"])
    op.create_table(
        "employees",
        sa.Column("nip", NIP, nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("unit_code", CODE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("jabatan", NAME, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("superior_nip", NIP, nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("kind IN ('PNS', 'PPPK')", name=op.f("ck_employees_kind")),
        sa.ForeignKeyConstraint(["instansi_code"], ["instansi.code"], name=op.f("fk_employees_instansi_code_instansi")),
        sa.PrimaryKeyConstraint("nip", name=op.f("pk_employees")),
    )
    op.create_index(op.f("ix_employees_instansi_code"), "employees", ["instansi_code"])
    op.create_table(
        "reviewer_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_nip", NIP, nullable=False),
        sa.Column("penilai_nip", NIP, nullable=False),
        sa.Column("atasan_nip", NIP, nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_nip"], ["employees.nip"], name=op.f("fk_reviewer_overrides_employee_nip_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_overrides")),
    )
    op.create_index(op.f("ix_reviewer_overrides_employee_nip"), "reviewer_overrides", ["employee_nip"])
    op.create_table(
        "iku",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("unit_of_measure", sa.String(50), nullable=False),
        sa.Column("polarity", sa.String(8), nullable=False),
        sa.Column("target", DECIMAL, nullable=False),
        sa.Column("target_upper", DECIMAL, nullable=True),
        sa.Column("unit_code", CODE, nullable=True),
        sa.ForeignKeyConstraint(["instansi_code"], ["instansi.code"], name=op.f("fk_iku_instansi_code_instansi")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iku")),
        sa.UniqueConstraint("instansi_code", "period", "code", name=op.f("uq_iku_instansi_code_period_code")),
    )
    op.create_table(
        "skp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_nip", NIP, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        _versioned(),
        sa.ForeignKeyConstraint(["employee_nip"], ["employees.nip"], name=op.f("fk_skp_employee_nip_employees")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp")),
        sa.UniqueConstraint("employee_nip", "period", name=op.f("uq_skp_employee_nip_period")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("employee_nip", NIP, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        _versioned(),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["employee_nip"], ["employees.nip"], name=op.f("fk_reviews_employee_nip_employees")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_reviews_workflow_id")),
    )
    op.create_index(op.f("ix_reviews_employee_nip"), "reviews", ["employee_nip"])
    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("group_code", CODE, nullable=False),
        sa.Column("org_predicate", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        _versioned(),
        sa.ForeignKeyConstraint(
            ["instansi_code"], ["instansi.code"], name=op.f("fk_calibrations_instansi_code_instansi")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibrations")),
        sa.UniqueConstraint(
            "instansi_code", "period", "group_code", name=op.f("uq_calibrations_instansi_code_period_group_code")
        ),
    )
    op.create_table(
        "step_records",
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_step_records")),
    )
    op.create_index(op.f("ix_step_records_workflow_id"), "step_records", ["workflow_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("on_behalf_of", sa.String(64), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.Column("workflow_id", sa.String(200), nullable=True),
        sa.Column("idempotency_key", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_audit_log_idempotency_key")),
    )
    op.create_index(op.f("ix_audit_log_occurred_at"), "audit_log", ["occurred_at"])
    op.create_index(op.f("ix_audit_log_subject"), "audit_log", ["subject"])
    op.create_index(op.f("ix_audit_log_workflow_id"), "audit_log", ["workflow_id"])
    triggers = SQLITE_AUDIT_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_AUDIT_TRIGGERS
    for statement in triggers:
        op.execute(statement)
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("unit_code", CODE, nullable=False),
        sa.Column("respondent_token", sa.String(100), nullable=False),
        *(sa.Column(f"u{n}", sa.SmallInteger(), nullable=True) for n in range(1, 10)),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=False),
        *(
            sa.CheckConstraint(f"u{n} BETWEEN 1 AND 4", name=op.f(f"ck_survey_responses_u{n}_range"))
            for n in range(1, 10)
        ),
        sa.ForeignKeyConstraint(
            ["instansi_code"], ["instansi.code"], name=op.f("fk_survey_responses_instansi_code_instansi")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint(
            "instansi_code",
            "period",
            "respondent_token",
            name=op.f("uq_survey_responses_instansi_code_period_respondent_token"),
        ),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("workflow_id", sa.String(200), nullable=True),
        sa.Column("idempotency_key", sa.String(300), nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index(op.f("ix_outbox_sent_at"), "outbox", ["sent_at"])


def downgrade() -> None:
    # Dropping the table drops its triggers on both backends; only the PostgreSQL function outlives it.
    for table in (
        "outbox",
        "survey_responses",
        "audit_log",
        "step_records",
        "calibrations",
        "reviews",
        "skp",
        "iku",
        "reviewer_overrides",
        "employees",
        "units",
        "instansi",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION audit_log_refuse_change()")
