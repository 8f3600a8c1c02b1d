"""The relational schema as typed SQLAlchemy 2 classes. Adapters only: repositories map them to domain models.

The schema itself is created by Alembic (`migrations/`), never by `metadata.create_all`, so the database always has
what the migrations give it, including the triggers that keep `audit_log` append-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from persistence.columns import ExactDecimal, JsonDocument, UtcDateTime
from persistence.ports import SURVEY_ITEMS

# Constraint names are part of the schema: migrations refer to them by name, so they must not depend on the backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NIP = String(18)
CODE = String(32)
NAME = String(200)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        Decimal: ExactDecimal(),
        dict[str, Any]: JsonDocument,
    }


class InstansiRow(Base):
    __tablename__ = "instansi"

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    # Deep-merged into DEFAULT_POLICY; every change bumps the revision so results name the policy they used.
    policy_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    policy_revision: Mapped[int] = mapped_column(default=0, server_default="0")


class UnitRow(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("instansi_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"), index=True)
    code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(NAME)
    parent_code: Mapped[str | None] = mapped_column(CODE)


class EmployeeRow(Base):
    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint("kind IN ('PNS', 'PPPK')", name="kind"),
        # An instansi's active roster in NIP order, a page at a time (services.appraisals.plan_page); its prefix
        # serves every lookup by instansi.
        Index("ix_employees_roster", "instansi_code", "active", "nip"),
    )

    nip: Mapped[str] = mapped_column(NIP, primary_key=True)
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"))
    # No foreign keys on unit or superior: an import brings rows in any order, and the domain checks the tree.
    unit_code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(NAME)
    jabatan: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(String(8))
    superior_nip: Mapped[str | None] = mapped_column(NIP)
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    joined_on: Mapped[date | None] = mapped_column(Date)  # TMT masuk (0019)


class ReviewerOverrideRow(Base):
    __tablename__ = "reviewer_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_nip: Mapped[str] = mapped_column(ForeignKey("employees.nip"), index=True)
    penilai_nip: Mapped[str] = mapped_column(NIP)
    atasan_nip: Mapped[str | None] = mapped_column(NIP)
    effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class IkuRow(Base):
    __tablename__ = "iku"
    __table_args__ = (UniqueConstraint("instansi_code", "period", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"))
    period: Mapped[int]
    code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(String(300))
    unit_of_measure: Mapped[str] = mapped_column(String(50))
    polarity: Mapped[str] = mapped_column(String(8))
    target: Mapped[Decimal]
    target_upper: Mapped[Decimal | None]
    unit_code: Mapped[str | None] = mapped_column(CODE)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # corrected: 2, 3, ... (0021)


class IkuVersionRow(Base):
    """A version of an IKU that a correction replaced, with who replaced it, when and why (domain.iku_correction,
    0021). The current version is the `iku` row."""

    __tablename__ = "iku_versions"
    __table_args__ = (UniqueConstraint("instansi_code", "period", "code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"))
    period: Mapped[int]
    code: Mapped[str] = mapped_column(CODE)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    unit_of_measure: Mapped[str] = mapped_column(String(50))
    polarity: Mapped[str] = mapped_column(String(8))
    target: Mapped[Decimal]
    target_upper: Mapped[Decimal | None]
    unit_code: Mapped[str | None] = mapped_column(CODE)
    replaced_at: Mapped[datetime]
    replaced_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)


class SkpRow(Base):
    __tablename__ = "skp"
    __table_args__ = (UniqueConstraint("employee_nip", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_nip: Mapped[str] = mapped_column(ForeignKey("employees.nip"))
    period: Mapped[int]
    status: Mapped[str] = mapped_column(String(32))
    content: Mapped[dict[str, Any]]  # the domain Skp, dumped with mode="json" (decimals as exact strings)
    policy_version: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__: Mapping[str, Any] = {"version_id_col": version}


class SkpVersionRow(Base):
    """A version of an employee's SKP that a change during the year replaced, with the days it was in force
    (domain.skp_versions, 0023): one appraisal's (its workflow id), as a second appraisal of the same person and
    period keeps its own. The version in force is the `skp` row."""

    __tablename__ = "skp_versions"

    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    employee_nip: Mapped[str] = mapped_column(ForeignKey("employees.nip"))
    period: Mapped[int]
    content: Mapped[dict[str, Any]]  # the domain Skp, as the `skp` row holds it
    effective_from: Mapped[date] = mapped_column(Date)
    effective_until: Mapped[date] = mapped_column(Date)
    replaced_at: Mapped[datetime]
    replaced_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)


class ReviewRow(Base):
    """The pejabat penilai's review: edited over days, possibly from two browser tabs at once."""

    __tablename__ = "reviews"
    __table_args__ = (
        # The calibration page and the closing report: a cycle's predicates counted per unit from the index (0013).
        Index("ix_reviews_cycle_unit", "cycle_id", "unit_code", "predicate", postgresql_include=["workflow_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200), unique=True)
    employee_nip: Mapped[str] = mapped_column(ForeignKey("employees.nip"), index=True)
    period: Mapped[int]
    content: Mapped[dict[str, Any]]
    cycle_id: Mapped[str | None] = mapped_column(String(64))  # NULL: a review outside any cycle
    unit_code: Mapped[str | None] = mapped_column(CODE)  # the unit the appraisal runs in (its worklist entry's)
    predicate: Mapped[str | None] = mapped_column(String(32))  # where it stands now; NULL before the matrix
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]

    __mapper_args__: Mapping[str, Any] = {"version_id_col": version}


class ReviewTallyRow(Base):
    """How many of a cycle's reviews in one unit stand at each predicate (a column per predicate of PermenPANRB
    6/2022, domain.ratings.Predicate), kept by every save of a review in its transaction
    (persistence.repositories.appraisal): the calibration page and the closing report read a row per unit instead of
    counting every review of the cycle (0016). Withdrawn appraisals stay counted here; the count leaves them out
    through the worklist's few withdrawn entries."""

    __tablename__ = "review_tallies"

    cycle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_code: Mapped[str] = mapped_column(CODE, primary_key=True)  # "-" for reviews stored without their unit
    sangat_baik: Mapped[int] = mapped_column(Integer, default=0)
    baik: Mapped[int] = mapped_column(Integer, default=0)
    butuh_perbaikan: Mapped[int] = mapped_column(Integer, default=0)
    kurang: Mapped[int] = mapped_column(Integer, default=0)
    sangat_kurang: Mapped[int] = mapped_column(Integer, default=0)


class CalibrationRow(Base):
    __tablename__ = "calibrations"
    __table_args__ = (UniqueConstraint("instansi_code", "period", "group_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"))
    period: Mapped[int]
    group_code: Mapped[str] = mapped_column(CODE)
    org_predicate: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    content: Mapped[dict[str, Any]]
    policy_version: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    # CalibrationRecord.summary: read without `content`, which holds every employee's entry (0017).
    summary: Mapped[dict[str, Any] | None]
    # Replaced whole with each save; read a page at a time by query, never through this collection.
    lines: Mapped[list[CalibrationLineRow]] = relationship(
        order_by="CalibrationLineRow.position", cascade="all, delete-orphan"
    )

    __mapper_args__: Mapping[str, Any] = {"version_id_col": version}


class CalibrationLineRow(Base):
    """One line of what a stored calibration lists (a proposal's change, a locked decision's moved predicate), in the
    document's order: the calibration page reads a page of them, not the whole document."""

    __tablename__ = "calibration_lines"

    calibration_id: Mapped[int] = mapped_column(ForeignKey("calibrations.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[dict[str, Any]]


class StepRecordRow(Base):
    """One recorded activity step; the primary key is what makes a retried activity write nothing twice."""

    __tablename__ = "step_records"

    idempotency_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    step: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    result: Mapped[dict[str, Any]]


class AuditLogRow(Base):
    """Append-only: database triggers refuse UPDATE and DELETE (see the initial migration)."""

    __tablename__ = "audit_log"
    # A cycle's report counts the entries of a few actions made by its appraisals (services.cycles).
    __table_args__ = (
        Index("ix_audit_log_action_workflow", "action", "workflow_id"),
        # One entry per place in a chain (the chain's order; domain.audit_chain).
        Index("ix_audit_log_chain_seq", "chain", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(32))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    workflow_id: Mapped[str | None] = mapped_column(String(200), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    # The seal (domain.audit_chain): the entry's place in its chain and the hashes that tie it to the one before.
    # NULL only in a row written outside the application, which verification reports.
    chain: Mapped[int | None] = mapped_column(SmallInteger)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHeadRow(Base):
    """Each audit chain's last entry: the row a writer locks to append to its chain."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


def _answer_check(n: int) -> CheckConstraint:
    return CheckConstraint(f"u{n} BETWEEN 1 AND 4", name=f"u{n}_range")


class SurveyResponseRow(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("instansi_code", "period", "respondent_token"),
        *(_answer_check(n) for n in range(1, SURVEY_ITEMS + 1)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"))
    period: Mapped[int]
    unit_code: Mapped[str] = mapped_column(CODE)
    respondent_token: Mapped[str] = mapped_column(String(100))
    # An unanswered unsur stays NULL rather than 0, so it never drags the average down.
    u1: Mapped[int | None] = mapped_column(SmallInteger)
    u2: Mapped[int | None] = mapped_column(SmallInteger)
    u3: Mapped[int | None] = mapped_column(SmallInteger)
    u4: Mapped[int | None] = mapped_column(SmallInteger)
    u5: Mapped[int | None] = mapped_column(SmallInteger)
    u6: Mapped[int | None] = mapped_column(SmallInteger)
    u7: Mapped[int | None] = mapped_column(SmallInteger)
    u8: Mapped[int | None] = mapped_column(SmallInteger)
    u9: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime]
    # The optional respondent profile of the regulation's form (domain.survey_form); an imported file leaves it empty.
    age: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str | None] = mapped_column(String(1))
    education: Mapped[str | None] = mapped_column(String(16))
    occupation: Mapped[str | None] = mapped_column(String(16))


class CycleRow(Base):
    """A cycle's calendar as it was planned, so survey imports and readers know its SKM window without Temporal."""

    __tablename__ = "cycles"

    cycle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"), index=True)
    period: Mapped[int]
    survey_opens: Mapped[datetime]
    survey_closes: Mapped[datetime]
    deadlines: Mapped[dict[str, Any]]  # every resolved deadline (domain Deadlines, mode="json")
    policy_version: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime]
    policy: Mapped[dict[str, Any] | None]  # the whole AppraisalPolicy it planned with (mode="json")


class CycleSurveyRow(Base):
    """The IKM per unit as the cycle computed it when its survey closed (PermenPANRB 14/2017).

    No foreign key to `cycles`: a cycle started before calendars were recorded still records its index.
    """

    __tablename__ = "cycle_surveys"

    cycle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"))
    period: Mapped[int]
    results: Mapped[dict[str, Any]]  # {"units": [domain IkmResult, mode="json"]}
    policy_version: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime]


class SurveyLinkRow(Base):
    """A unit's short survey address for one cycle (`/s/{code}`): a random code, printed on the counter's poster."""

    __tablename__ = "survey_links"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_code"),)

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(ForeignKey("cycles.cycle_id"))
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"))
    period: Mapped[int]
    unit_code: Mapped[str] = mapped_column(CODE)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class SurveyTokenRow(Base):
    """A one-time token a unit hands out on its receipts, stored as its hash; spent by the answer it allows."""

    __tablename__ = "survey_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    link_code: Mapped[str] = mapped_column(ForeignKey("survey_links.code"), index=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SurveyLimitRow(Base):
    """Answers counted per keyed hash of an address and hour, so that every web process applies one limit."""

    __tablename__ = "survey_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer)


class SiteSecretRow(Base):
    """A secret made once and shared by every web process (the survey form's key, when the settings give none)."""

    __tablename__ = "site_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class OutboxRow(Base):
    """Notifications waiting to be sent; written in the same transaction as the change they announce."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # Delivery (services/dispatch.py): not before `next_attempt_at` (a dispatcher's claim, or a retry's back-off);
    # the last attempt's error; when delivery was given up (`kinerja notifikasi ulangi` queues it again).
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None]


class WorklistRow(Base):
    """Where each appraisal stands (domain.worklist): one row per appraisal workflow, replaced by each step.

    No foreign keys: a step is recorded whatever else the database holds, and a row outlives a roster change.
    """

    __tablename__ = "worklist"
    __table_args__ = (
        # kinerja tugas: one person's open steps, in a cycle or all.
        Index("ix_worklist_assignee", "assignee", "cycle_id"),
        # kinerja terlambat, the closing report: a cycle's (or an instansi's) overdue steps, oldest deadline first.
        # The supervision team's counts per unit and stage, from the index alone (0011; PostgreSQL only).
        Index(
            "ix_worklist_cycle_overdue",
            "cycle_id",
            "overdue",
            "deadline",
            postgresql_include=["unit_code", "stage", "step"],
        ),
        Index("ix_worklist_instansi_overdue", "instansi_code", "overdue", "deadline"),
        # kinerja massal alihkan: a penilai's appraisals.
        Index("ix_worklist_penilai", "penilai_nip", "cycle_id"),
        # Beranda: the overdue steps escalated to an atasan (0015).
        Index("ix_worklist_atasan", "atasan_nip", "cycle_id"),
        # A cycle's withdrawn appraisals, left out of its counts (0013): few rows, so a small partial index.
        Index(
            "ix_worklist_withdrawn",
            "cycle_id",
            "workflow_id",
            postgresql_where=text("step = 'withdrawn'"),
            sqlite_where=text("step = 'withdrawn'"),
        ),
    )

    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(String(64))
    instansi_code: Mapped[str] = mapped_column(CODE)
    unit_code: Mapped[str] = mapped_column(CODE)
    employee_nip: Mapped[str] = mapped_column(NIP)
    penilai_nip: Mapped[str] = mapped_column(NIP)
    stage: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(NIP)
    deadline: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean)
    escalation_level: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime | None]  # the workflow time of the write; NULL from outside the workflow
    updated_at: Mapped[datetime]
    atasan_nip: Mapped[str | None] = mapped_column(NIP)  # NULL in rows written before 0008 until their next step


# --- identity (migration 0008): accounts, sessions, tokens and role grants; written by identity/ only ---------------

SHA256_HEX = String(64)


class AccountRow(Base):
    """A local account (the embedded default, for an office without an identity provider)."""

    __tablename__ = "accounts"

    nip: Mapped[str] = mapped_column(NIP, primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id; NULL until the first link is used
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    password_set_at: Mapped[datetime | None]


class AccountLinkRow(Base):
    """A one-time link to set or reset a password: only its hash is kept."""

    __tablename__ = "account_links"

    token_hash: Mapped[str] = mapped_column(SHA256_HEX, primary_key=True)
    nip: Mapped[str] = mapped_column(NIP, index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AuthSessionRow(Base):
    """A browser session: the cookie holds a random secret, the table its hash."""

    __tablename__ = "auth_sessions"

    id_hash: Mapped[str] = mapped_column(SHA256_HEX, primary_key=True)
    nip: Mapped[str] = mapped_column(NIP, index=True)
    method: Mapped[str] = mapped_column(String(16))  # password, oidc
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # absolute expiry; the idle expiry counts from last_seen_at
    revoked_at: Mapped[datetime | None]


class AccessTokenRow(Base):
    """A personal access token for programs and the command line: hashed, scoped, expiring, revocable."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(SHA256_HEX, unique=True)
    nip: Mapped[str] = mapped_column(NIP, index=True)
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(100))  # space-separated
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class OidcLoginRow(Base):
    """A sign-in through OpenID Connect under way: deleted when the provider sends the person back (used once)."""

    __tablename__ = "oidc_logins"

    state: Mapped[str] = mapped_column(SHA256_HEX, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class LoginFailureRow(Base):
    """A failed sign-in from an address, for the per-address rate limit (the audit log has who and why)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_address", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    address: Mapped[str] = mapped_column(String(64))


class RoleGrantRow(Base):
    """A role a person holds in an instansi (and a cycle, where it matters); revoked, never deleted."""

    __tablename__ = "role_grants"
    __table_args__ = (
        Index("ix_role_grants_nip", "nip", "revoked_at"),
        Index("ix_role_grants_instansi_role", "instansi_code", "role", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    nip: Mapped[str] = mapped_column(NIP)
    role: Mapped[str] = mapped_column(String(32))
    instansi_code: Mapped[str] = mapped_column(ForeignKey("instansi.code"))
    cycle_id: Mapped[str | None] = mapped_column(String(64))
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]


# --- evidence (migration 0009): files uploaded as evidence of a self-assessment; written by services.evidence -------


class FeedbackNoteRow(Base):
    """A continuous-feedback note of one appraisal (domain.feedback): the penilai's, or the employee's answer to one.
    No foreign key to the appraisal, as the worklist: the appraisal is the workflow's (0018)."""

    __tablename__ = "feedback_notes"
    __table_args__ = (Index("ix_feedback_notes_appraisal", "cycle_id", "employee_nip", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cycle_id: Mapped[str] = mapped_column(String(64))
    employee_nip: Mapped[str] = mapped_column(NIP)
    author_nip: Mapped[str] = mapped_column(String(64))
    writer: Mapped[str] = mapped_column(String(16))  # "penilai" or "pegawai"
    text: Mapped[str] = mapped_column(Text)
    answers_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_notes.id"))
    written_at: Mapped[datetime]


class DevelopmentPlanRow(Base):
    """An employee's development plan after a final predicate that calls for one (domain.development): where it
    stands, written with each step and notice of its workflow (0020). No foreign keys, as the worklist."""

    __tablename__ = "development_plans"
    __table_args__ = (
        Index("ix_development_plans_cycle_unit", "instansi_code", "cycle_id", "unit_code"),
        Index("ix_development_plans_assignee", "assignee_nip"),
    )

    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(String(64))
    instansi_code: Mapped[str] = mapped_column(CODE)
    period: Mapped[int]
    unit_code: Mapped[str] = mapped_column(CODE)
    employee_nip: Mapped[str] = mapped_column(NIP)
    employee_name: Mapped[str] = mapped_column(String(200))
    penilai_nip: Mapped[str] = mapped_column(NIP)
    atasan_nip: Mapped[str | None] = mapped_column(NIP)
    predicate: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(16))
    assignee_nip: Mapped[str | None] = mapped_column(NIP)
    deadline: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(default=0)
    coaching: Mapped[str | None] = mapped_column(Text)
    competency: Mapped[str | None] = mapped_column(String(300))
    training: Mapped[str | None] = mapped_column(String(300))
    target_date: Mapped[date | None] = mapped_column(Date)
    change_requests: Mapped[int] = mapped_column(default=0)
    change_reason: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime]
    agreed_at: Mapped[datetime | None]


class PeriodReviewRow(Base):
    """One period of an appraisal's periodic evaluation (domain.periods): where it stands, the realisation so far and
    the dialog's feedback and rating, written with each step and notice of its workflow (0022)."""

    __tablename__ = "period_reviews"
    __table_args__ = (
        Index("ix_period_reviews_appraisal", "cycle_id", "employee_nip", "number"),
        Index("ix_period_reviews_assignee", "assignee_nip"),
    )

    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[str] = mapped_column(String(64))
    instansi_code: Mapped[str] = mapped_column(CODE)
    unit_code: Mapped[str] = mapped_column(CODE)
    employee_nip: Mapped[str] = mapped_column(NIP)
    employee_name: Mapped[str] = mapped_column(String(200))
    penilai_nip: Mapped[str] = mapped_column(NIP)
    label: Mapped[str] = mapped_column(String(40))
    last_day: Mapped[date] = mapped_column(Date)
    step: Mapped[str] = mapped_column(String(16))
    assignee_nip: Mapped[str | None] = mapped_column(NIP)
    deadline: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(default=0)
    realisations: Mapped[dict[str, Any]]  # {"items": [domain Realisation, dumped with mode="json"]}
    realised_at: Mapped[datetime | None]
    feedback: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(16))
    dialog_at: Mapped[datetime | None]


class EvidenceFileRow(Base):
    """An evidence file of one appraisal (PDF, JPG, PNG, checked by content), with the SHA-256 a realisation names it
    by (`kinerja://bukti/<sha256>`). No foreign keys, as the worklist: the appraisal is the workflow's."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("cycle_id", "employee_nip", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cycle_id: Mapped[str] = mapped_column(String(64))
    employee_nip: Mapped[str] = mapped_column(NIP)
    instansi_code: Mapped[str] = mapped_column(CODE)
    sha256: Mapped[str] = mapped_column(SHA256_HEX)
    name: Mapped[str] = mapped_column(NAME)
    media_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
