"""Persistence on SQLite and PostgreSQL: migrations, repositories, the unit of work, optimistic concurrency,
idempotent writes and the append-only audit log. Every test runs on both backends, each on its own database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import BaseModel
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError, StatementError

from domain.audit import AuditEntry, idempotency_key
from domain.calendar import CycleCalendar, resolve
from domain.calibration import Change
from domain.development import DevelopmentPlan, PlanRecord, PlanStep
from domain.errors import ConcurrencyConflict, DomainError, NotFound
from domain.feedback import FeedbackNote
from domain.organisation import Employee, EmploymentKind, Instansi, ReviewerOverride, Unit, resolve_reviewers
from domain.periods import PeriodRecord, PeriodStep
from domain.policy import BASE_POLICY_VERSION, DEFAULT_POLICY
from domain.ratings import Expectation, OrgPredicate, Predicate
from domain.skp import Aspect, Iku, Indicator, Polarity, Realisation, RencanaHasilKerja, RhkKind, Skp, Target
from domain.stages import Role, Stage, Step
from domain.survey import SurveyResponse, compute_ikm
from domain.worklist import WorkItem, WorklistQuery
from persistence.db import (
    current_revision,
    downgrade,
    make_engine,
    make_session_factory,
    normalize_url,
    resolve_url,
    upgrade,
)
from persistence.orm import Base
from persistence.ports import (
    CalibrationRecord,
    CycleRecord,
    CycleSurveyRecord,
    OutboxMessage,
    ReviewRecord,
    SkpRecord,
    SurveyResponseRecord,
)
from persistence.repositories.organisation import IN_CHUNK
from persistence.uow import SqlAlchemyUnitOfWork
from services import calibration_board
from services.calibration_board import CHANGES_PER_PAGE
from tests.integration.worklist_entries import withdrawn
from workflows.contracts import appraisal_workflow_id, appraisal_workflow_ids
from workflows.cycle_contracts import CycleRef

UowFactory = Callable[[], SqlAlchemyUnitOfWork]

INSTANSI = "DISDIK"
KADIS = "197001012000031001"
KABID = "198001012005011002"
STAFF = "199003032015031004"
PPPK = "199505052022212005"
PERIOD = 2026
APP_TABLES = {
    "instansi",
    "units",
    "employees",
    "reviewer_overrides",
    "iku",
    "skp",
    "skp_versions",
    "reviews",
    "review_tallies",
    "calibrations",
    "calibration_lines",
    "step_records",
    "audit_log",
    "audit_chain_heads",
    "survey_responses",
    "outbox",
    "cycles",
    "cycle_surveys",
    "worklist",
    "accounts",
    "account_links",
    "auth_sessions",
    "access_tokens",
    "oidc_logins",
    "login_failures",
    "role_grants",
    "evidence_files",
    "feedback_notes",
    "development_plans",
    "iku_versions",
    "period_reviews",
    "survey_links",
    "survey_tokens",
    "survey_limits",
    "site_secrets",
}
HEAD = "0023"


class Review(BaseModel):
    """Stand-in for the domain review model (any pydantic model round-trips the same way)."""

    hasil_kerja: Expectation
    perilaku_kerja: Expectation
    note: str = ""
    score: Decimal = Decimal("0")


class Calibration(BaseModel):
    ratings: dict[str, Predicate]


def _seed(uow: SqlAlchemyUnitOfWork) -> None:
    uow.instansi.add(Instansi(code=INSTANSI, name="Dinas Pendidikan"))
    uow.units.add(Unit(code="DIS", name="Dinas"), INSTANSI)
    uow.units.add(Unit(code="B1", name="Bidang SD", parent_code="DIS"), INSTANSI)
    people = [
        Employee(nip=KADIS, name="Kepala Dinas", jabatan="Kepala Dinas", unit_code="DIS"),
        Employee(nip=KABID, name="Kabid SD", jabatan="Kepala Bidang", unit_code="B1", superior_nip=KADIS),
        Employee(
            nip=STAFF,
            name="Staf",
            jabatan="Analis",
            unit_code="B1",
            superior_nip=KABID,
            email="staf@example.go.id",
        ),
        Employee(
            nip=PPPK,
            name="Guru PPPK",
            jabatan="Guru",
            unit_code="B1",
            superior_nip=KABID,
            kind=EmploymentKind.PPPK,
            active=False,
        ),
    ]
    for person in people:
        uow.employees.add(person, INSTANSI)


@pytest.fixture
def seeded(uow_factory: UowFactory) -> UowFactory:
    with uow_factory() as uow:
        _seed(uow)
        uow.commit()
    return uow_factory


def _skp(note: str = "") -> Skp:
    target = Target(value=Decimal("33.3333"))
    indicator = Indicator(
        id="I1", aspect=Aspect.KUANTITAS, text=f"Dokumen {note}", target=target, unit_of_measure="dok"
    )
    rhk = RencanaHasilKerja(id="R1", kind=RhkKind.UTAMA, text="Menyusun kurikulum", indicators=[indicator])
    return Skp(employee_nip=STAFF, period=PERIOD, rhk=[rhk])


# --- migrations -------------------------------------------------------------------------------------------------


def test_migrations_upgrade_downgrade_upgrade(blank_database_url: str) -> None:
    def tables() -> set[str]:
        engine = make_engine(blank_database_url)
        try:
            return set(inspect(engine).get_table_names()) - {"alembic_version"}
        finally:
            engine.dispose()

    assert current_revision(blank_database_url) is None
    upgrade(blank_database_url)
    assert current_revision(blank_database_url) == HEAD
    assert tables() == APP_TABLES
    downgrade(blank_database_url, "base")
    assert current_revision(blank_database_url) is None
    assert tables() == set()
    upgrade(blank_database_url)
    assert tables() == APP_TABLES


def test_migrated_schema_matches_the_orm(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_alembic_command_line_works_from_the_repository_root(blank_database_url: str, repo_root: Path) -> None:
    env = {**os.environ, "DATABASE_URL": blank_database_url}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "migrations/alembic.ini", "upgrade", "head"],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert current_revision(blank_database_url) == HEAD


def test_urls() -> None:
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url(environ={}) == "sqlite:///kinerja.db"
    assert resolve_url(environ={"DATABASE_URL": "postgres://x/y"}) == "postgresql+psycopg://x/y"
    assert resolve_url("sqlite:///a.db", environ={"DATABASE_URL": "postgres://x/y"}) == "sqlite:///a.db"


def test_sqlite_engine_enforces_foreign_keys_and_uses_wal(sqlite_database_url: str) -> None:
    engine = make_engine(sqlite_database_url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15_000
    finally:
        engine.dispose()


# --- repositories -----------------------------------------------------------------------------------------------


def test_organisation_round_trip(seeded: UowFactory) -> None:
    with seeded() as uow:
        assert uow.instansi.get(INSTANSI) == Instansi(code=INSTANSI, name="Dinas Pendidikan")
        assert [i.code for i in uow.instansi.all()] == [INSTANSI]
        assert uow.units.mapping(INSTANSI)["B1"] == Unit(code="B1", name="Bidang SD", parent_code="DIS")
        staff = uow.employees.get(STAFF)
        assert staff is not None and staff.email == "staf@example.go.id" and staff.superior_nip == KABID
        pppk = uow.employees.get(PPPK)
        assert pppk is not None and pppk.kind is EmploymentKind.PPPK and not pppk.active
        assert uow.employees.instansi_of(STAFF) == INSTANSI
        assert set(uow.employees.mapping(INSTANSI)) == {KADIS, KABID, STAFF, PPPK}
        assert PPPK not in {e.nip for e in uow.employees.list_by_instansi(INSTANSI, active_only=True)}
        assert uow.employees.get("000000000000000000") is None
        with pytest.raises(DomainError, match=STAFF):
            uow.employees.add(staff, INSTANSI)


def test_emails_gives_each_known_nip_its_address_in_chunks(seeded: UowFactory) -> None:
    unknown = [f"19900101201501{i:04d}" for i in range(IN_CHUNK + 1)]  # more than one IN (...) holds
    with seeded() as uow:
        assert uow.employees.emails([STAFF, KADIS, *unknown]) == {STAFF: "staf@example.go.id", KADIS: None}
        assert uow.employees.emails([]) == {}


def test_save_replaces_an_employee_and_overrides_feed_reviewer_resolution(seeded: UowFactory) -> None:
    override = ReviewerOverride(
        employee_nip=STAFF, penilai_nip=KADIS, effective_from=date(2026, 3, 1), reason="reorganisasi bidang"
    )
    with seeded() as uow:
        moved = Employee(nip=STAFF, name="Staf", jabatan="Analis Utama", unit_code="DIS", superior_nip=KADIS)
        uow.employees.save(moved, INSTANSI)
        uow.employees.add_override(override, created_by=KADIS)
        uow.commit()
    with seeded() as uow:
        employees = uow.employees.mapping(INSTANSI)
        overrides = uow.employees.overrides(INSTANSI)
    assert employees[STAFF].jabatan == "Analis Utama"
    assert overrides == [override]
    assert resolve_reviewers(STAFF, employees, overrides, on=date(2026, 6, 1)).source == "reorganisasi bidang"


def test_instansi_policy_applies_overrides_with_a_revision(seeded: UowFactory) -> None:
    with seeded() as uow:
        assert uow.instansi.policy(INSTANSI) == DEFAULT_POLICY
        changed = uow.instansi.set_policy_overrides(INSTANSI, {"achievement": {"cap": "120"}})
        uow.commit()
    assert changed.version == f"{BASE_POLICY_VERSION}+{INSTANSI}.1"
    with seeded() as uow:
        policy = uow.instansi.policy(INSTANSI)
        assert policy.version == changed.version and policy.achievement.cap == Decimal(120)
        with pytest.raises(DomainError, match="suggestion"):
            uow.instansi.set_policy_overrides(INSTANSI, {"suggestion": {"meets_from": "150"}})
        with pytest.raises(NotFound):
            uow.instansi.policy("TIDAKADA")


def test_iku_keeps_exact_decimals(seeded: UowFactory) -> None:
    ikus = [
        Iku(
            code="IKU1",
            name="Angka partisipasi",
            unit_of_measure="%",
            target=Target(value=Decimal("97.125")),
            period=PERIOD,
        ),
        Iku(
            code="IKU2",
            name="Rasio guru",
            unit_of_measure="rasio",
            target=Target(polarity=Polarity.RANGE, value=Decimal("15"), upper=Decimal("20.5")),
            period=PERIOD,
            unit_code="B1",
        ),
        Iku(
            code="IKU3",
            name="Angka putus sekolah",
            unit_of_measure="%",
            target=Target(polarity=Polarity.LOWER_IS_BETTER, value=Decimal("0.0001")),
            period=PERIOD,
        ),
    ]
    with seeded() as uow:
        for iku in ikus:
            uow.iku.add(iku, INSTANSI)
        uow.commit()
    with seeded() as uow:
        stored = uow.iku.for_period(INSTANSI, PERIOD)
        assert stored == ikus
        assert str(stored[1].target.value) == "15" and str(stored[0].target.value) == "97.125"
        assert uow.iku.for_period(INSTANSI, PERIOD + 1) == []
        assert uow.iku.get(INSTANSI, PERIOD, "IKU2") == ikus[1]
        with pytest.raises(DomainError, match="IKU1"):
            uow.iku.add(ikus[0], INSTANSI)


def test_skp_round_trip_and_stale_version(seeded: UowFactory) -> None:
    with seeded() as uow:
        assert uow.skp.save(SkpRecord(skp=_skp(), status="draft", policy_version=DEFAULT_POLICY.version)) == 1
        uow.commit()
    with seeded() as uow:
        record = uow.skp.get(STAFF, PERIOD)
        assert record is not None and record.skp == _skp() and record.version == 1
        assert uow.skp.save(record.model_copy(update={"skp": _skp("v2"), "status": "submitted"})) == 2
        uow.commit()
    with seeded() as uow:
        latest = uow.skp.get(STAFF, PERIOD)
        assert latest is not None and latest.version == 2 and latest.status == "submitted"
        assert latest.skp.indicator("I1") is not None and latest.skp.rhk[0].indicators[0].text == "Dokumen v2"
        with pytest.raises(ConcurrencyConflict, match=r"SKP pegawai .* periode 2026 \(versi 1\)"):
            uow.skp.save(record)  # the version-1 copy read before the last save
        with pytest.raises(ConcurrencyConflict, match="sudah ada"):
            uow.skp.save(record.model_copy(update={"version": None}))


def test_skp_replace_stores_whatever_is_stored_and_counts_the_version_on(seeded: UowFactory) -> None:
    with seeded() as uow:
        assert uow.skp.replace(_skp(), status="submitted", policy_version="p1") == 1  # none stored: a new row
        uow.commit()
    with seeded() as uow:
        stored = uow.skp.get(STAFF, PERIOD)
        assert stored is not None and stored.version == 1
        assert uow.skp.save(stored.model_copy(update={"status": "draft"})) == 2  # another writer, who read first
        uow.commit()
    with seeded() as uow:
        # An appraisal step replaces the SKP it finds, version 2 here, without reading it first.
        assert uow.skp.replace(_skp("v2"), status="approved", policy_version="p2") == 3
        uow.commit()
    with seeded() as uow:
        latest = uow.skp.get(STAFF, PERIOD)
        assert latest is not None and (latest.version, latest.status, latest.policy_version) == (3, "approved", "p2")
        assert latest.skp == _skp("v2")
        with pytest.raises(ConcurrencyConflict):
            uow.skp.save(latest.model_copy(update={"version": 2}))  # a writer who read before the step is refused


# --- unit of work -----------------------------------------------------------------------------------------------


def test_unit_of_work_rolls_back_unless_committed(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code="A", name="Lupa commit"))
    with pytest.raises(RuntimeError), uow_factory() as uow:
        uow.instansi.add(Instansi(code="B", name="Gagal di tengah"))
        uow.steps.record_once("wf:b", "wf", "b", {})
        raise RuntimeError("boom")
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code="C", name="Disimpan"))
        uow.commit()
        uow.instansi.add(Instansi(code="D", name="Setelah commit, tanpa commit lagi"))
    with uow_factory() as uow:
        assert [i.code for i in uow.instansi.all()] == ["C"]
        assert uow.steps.get("wf:b") is None


def test_concurrent_review_edits_conflict(seeded: UowFactory) -> None:
    workflow_id = f"appraisal-{STAFF}-{PERIOD}"
    first = Review(hasil_kerja=Expectation.MEETS, perilaku_kerja=Expectation.MEETS, score=Decimal("1.10"))
    with seeded() as uow:
        uow.reviews.save(ReviewRecord(workflow_id=workflow_id, employee_nip=STAFF, period=PERIOD, review=first))
        uow.commit()

    with seeded() as tab_a, seeded() as tab_b:
        read_a = tab_a.reviews.get(workflow_id, Review)
        read_b = tab_b.reviews.get(workflow_id, Review)
        assert read_a is not None and read_b is not None and read_a.version == read_b.version == 1
        assert read_a.review == first and read_a.updated_at is not None and read_a.updated_at.tzinfo is not None
        tab_a.reviews.save(read_a.model_copy(update={"review": first.model_copy(update={"note": "A"})}))
        tab_b.reviews.save(read_b.model_copy(update={"review": first.model_copy(update={"note": "B"})}))
        tab_a.commit()
        with pytest.raises(ConcurrencyConflict, match=r"penilaian pegawai \d{18} periode 2026.*muat ulang"):
            tab_b.commit()

    with seeded() as uow:
        stored = uow.reviews.get(workflow_id, Review)
    assert stored is not None and stored.version == 2 and stored.review.note == "A"


class ScoreOnly(BaseModel):
    """A narrower view of the stored Review: a reader that needs one field validates only it."""

    score: Decimal


def test_reviews_with_a_prefix_come_in_batches_in_workflow_id_order(seeded: UowFactory) -> None:
    people = [KADIS, KABID, STAFF, PPPK]
    with seeded() as uow:
        for index, nip in enumerate(people):
            review = Review(hasil_kerja=Expectation.MEETS, perilaku_kerja=Expectation.MEETS, score=Decimal(index))
            uow.reviews.save(
                ReviewRecord(workflow_id=f"appraisal-C1-{nip}", employee_nip=nip, period=PERIOD, review=review)
            )
        other = Review(hasil_kerja=Expectation.MEETS, perilaku_kerja=Expectation.MEETS, score=Decimal(9))
        uow.reviews.save(
            ReviewRecord(workflow_id=f"appraisal-C2-{STAFF}", employee_nip=STAFF, period=PERIOD, review=other)
        )
        uow.commit()
    with seeded() as uow:
        batches = list(uow.reviews.batches_with_prefix("appraisal-C1-", ScoreOnly, size=3))
        whole = [record for batch in uow.reviews.batches_with_prefix("appraisal-C1-", Review) for record in batch]
    assert [len(batch) for batch in batches] == [3, 1]
    read = [record for batch in batches for record in batch]
    assert [r.employee_nip for r in read] == sorted(people) == [r.employee_nip for r in whole]
    assert {r.employee_nip: r.review.score for r in read} == {nip: Decimal(i) for i, nip in enumerate(people)}
    assert all(r.version == 1 and r.updated_at is not None for r in read)


def test_a_cycles_predicates_are_counted_per_unit_by_the_database(seeded: UowFactory) -> None:
    """What the calibration page and the closing report count: the cycle's reviews by where they stand now, per unit the
    appraisal runs in; a withdrawn appraisal, a review without a predicate and another cycle's reviews left out."""

    def review(nip: str, cycle_id: str, unit: str | None, predicate: Predicate | None) -> ReviewRecord[Review]:
        return ReviewRecord(
            workflow_id=appraisal_workflow_id(cycle_id, nip),
            employee_nip=nip,
            period=PERIOD,
            review=Review(hasil_kerja=Expectation.MEETS, perilaku_kerja=Expectation.MEETS),
            cycle_id=cycle_id,
            unit_code=unit,
            predicate=predicate,
        )

    with seeded() as uow:
        uow.reviews.save(review(KADIS, "C1", "DIS", Predicate.BAIK))
        uow.reviews.save(review(KABID, "C1", "B1", Predicate.SANGAT_BAIK))
        uow.reviews.save(review(STAFF, "C1", "B1", Predicate.BAIK))
        uow.reviews.save(review(PPPK, "C1", "B1", Predicate.KURANG))
        uow.reviews.save(review(STAFF, "C1-B", "B1", Predicate.SANGAT_KURANG))  # "C1" must not take cycle "C1-B"'s
        uow.reviews.save(review(KADIS, "C1-B", None, Predicate.BAIK))  # stored without its unit
        uow.reviews.save(review(KABID, "C2", "B1", None))  # not rated yet
        for cycle_id, nip in (("C2", KABID), ("C1", STAFF)):  # at the review step
            uow.worklist.put(
                WorkItem(
                    workflow_id=appraisal_workflow_id(cycle_id, nip),
                    cycle_id=cycle_id,
                    instansi_code=INSTANSI,
                    unit_code="B1",
                    employee_nip=nip,
                    penilai_nip=KADIS,
                    step=Step.SUPERVISOR_REVIEW,
                )
            )
        uow.worklist.put(withdrawn("C1", INSTANSI, "B1", PPPK, KABID))
        uow.commit()
    with seeded() as uow:
        # in Predicate's order: Sangat Baik, Baik, Butuh Perbaikan, Kurang, Sangat Kurang
        assert uow.reviews.predicate_counts("C1") == {"DIS": (0, 1, 0, 0, 0), "B1": (1, 1, 0, 0, 0)}
        assert uow.reviews.predicate_counts("C1-B") == {"B1": (0, 0, 0, 0, 1), "-": (0, 1, 0, 0, 0)}
        assert uow.reviews.predicate_counts("C2") == {}
        # not yet rated, by the unit of the worklist entry: KABID of C2 (a review without a predicate); in C1 STAFF's
        # entry has its review and the withdrawn PPPK waits for none
        assert uow.reviews.unreviewed_counts("C2") == {"B1": 1}
        assert uow.reviews.unreviewed_counts("C1") == {}
        stored = uow.reviews.get(appraisal_workflow_id("C1", KADIS), Review)
    assert stored is not None and (stored.cycle_id, stored.unit_code, stored.predicate) == ("C1", "DIS", Predicate.BAIK)

    # the counts are kept as reviews are saved: one moved by calibration to another predicate (and unit) counts there
    # alone; a save refused by its version moves nothing
    moved = review(STAFF, "C1", "DIS", Predicate.SANGAT_BAIK).model_copy(update={"version": 1})
    with seeded() as uow:
        uow.reviews.save(moved)
        uow.commit()
    with seeded() as uow, pytest.raises(ConcurrencyConflict):
        uow.reviews.save(moved.model_copy(update={"predicate": Predicate.SANGAT_KURANG}))  # version 1 is gone
        uow.commit()
    with seeded() as uow:
        assert uow.reviews.predicate_counts("C1") == {"DIS": (1, 1, 0, 0, 0), "B1": (1, 0, 0, 0, 0)}


def test_the_migration_fills_the_cycle_unit_and_predicate_of_reviews_stored_before(blank_database_url: str) -> None:
    upgrade(blank_database_url, "0012")
    engine = make_engine(blank_database_url)
    document = "CAST(:content AS JSONB)" if engine.dialect.name == "postgresql" else ":content"
    contents = {
        # the unit of the appraisal's worklist entry; the roster's where it has none
        appraisal_workflow_id("2026-A", KADIS): ('{"result": {"predicate": "baik"}}', ("2026-A", "W", "baik")),
        appraisal_workflow_id("2026-A", STAFF): (
            '{"result": {"predicate": "baik"}, "final_predicate": "kurang"}',
            ("2026-A", "U", "kurang"),
        ),
        f"review-of-{KABID}": ('{"note": "no result"}', (None, "U", None)),
    }
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO instansi (code, name) VALUES ('X', 'X')"))
            for n, workflow_id in enumerate(contents):
                nip = f"{n:018d}"
                connection.execute(
                    text(
                        "INSERT INTO employees (nip, instansi_code, unit_code, name, jabatan, kind, active)"
                        " VALUES (:nip, 'X', 'U', 'N', 'J', 'PNS', TRUE)"
                    ),
                    {"nip": nip},
                )
                connection.execute(
                    text(
                        "INSERT INTO reviews (workflow_id, employee_nip, period, content, version, updated_at)"
                        f" VALUES (:workflow_id, :nip, 2026, {document}, 1, :at)"
                    ),
                    {
                        "workflow_id": workflow_id,
                        "nip": nip,
                        "content": contents[workflow_id][0],
                        "at": datetime(2026, 1, 1),
                    },
                )
            connection.execute(
                text(
                    "INSERT INTO worklist (workflow_id, cycle_id, instansi_code, unit_code, employee_nip, penilai_nip,"
                    " stage, step, overdue, escalation_level, updated_at)"
                    " VALUES (:workflow_id, '2026-A', 'X', 'W', :nip, :nip, 'review', 'final', FALSE, 0, :at)"
                ),
                {"workflow_id": appraisal_workflow_id("2026-A", KADIS), "nip": f"{0:018d}", "at": datetime(2026, 1, 1)},
            )
        upgrade(blank_database_url)
        with engine.connect() as connection:
            found = {
                row.workflow_id: (row.cycle_id, row.unit_code, row.predicate)
                for row in connection.execute(text("SELECT workflow_id, cycle_id, unit_code, predicate FROM reviews"))
            }
            tallied = text("SELECT cycle_id, unit_code, sangat_baik, baik, kurang FROM review_tallies")
            tallies = {tuple(row) for row in connection.execute(tallied)}
    finally:
        engine.dispose()
    assert found == {workflow_id: expected for workflow_id, (_, expected) in contents.items()}
    # and 0016 counts them per cycle, unit and predicate (the review outside any cycle, unrated, in none)
    assert tallies == {("2026-A", "W", 0, 1, 0), ("2026-A", "U", 0, 0, 1)}


class Document(BaseModel):
    """A calibration document with parts of every JSON kind, one of them large."""

    message: str
    counts: dict[Predicate, int]
    entries: list[dict[str, str]]
    flag: bool


def _proposed(
    group: str,
    calibration: BaseModel,
    *,
    listed: list[dict[str, Any]] | None = None,
    summary: dict[str, Any] | None = None,
    version: int | None = None,
) -> CalibrationRecord[Any]:
    """A proposal of the instansi's period stored for `group`."""
    return CalibrationRecord(
        instansi_code=INSTANSI,
        period=PERIOD,
        group_code=group,
        org_predicate=OrgPredicate.BAIK,
        status="proposed",
        policy_version=DEFAULT_POLICY.version,
        calibration=calibration,
        version=version,
        listed=listed,
        summary=summary,
    )


def test_the_summary_of_a_stored_calibration_is_read_without_its_document(seeded: UowFactory) -> None:
    document = Document(
        message="dua perubahan",
        counts={Predicate.BAIK: 3},
        entries=[{"nip": f"{n:018d}"} for n in range(2000)],
        flag=True,
    )
    summary = {"message": document.message, "counts": {"baik": 3}}
    with seeded() as uow:
        uow.calibrations.save(_proposed("C1", document, summary=summary))
        uow.calibrations.save(_proposed("C2", document))  # none given: none stored
        uow.commit()
    with seeded() as uow:
        assert uow.calibrations.summary(INSTANSI, PERIOD, "C1") == ("proposed", summary)
        assert uow.calibrations.summary(INSTANSI, PERIOD, "C2") == ("proposed", None)
        assert uow.calibrations.summary(INSTANSI, PERIOD, "C3") is None
        uow.calibrations.save(_proposed("C1", document, version=1).model_copy(update={"status": "locked"}))
        uow.commit()
    with seeded() as uow:
        assert uow.calibrations.summary(INSTANSI, PERIOD, "C1") == ("locked", None)  # replaced by each save


def test_feedback_notes_are_kept_per_appraisal_in_the_order_written(seeded: UowFactory) -> None:
    at = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)

    def note(nip: str, writer: Literal["penilai", "pegawai"], text: str, answers: int | None = None) -> FeedbackNote:
        author = KABID if writer == "penilai" else nip
        return FeedbackNote(
            cycle_id="C1", employee_nip=nip, author_nip=author, writer=writer, text=text, answers=answers, written_at=at
        )

    with seeded() as uow:
        first = uow.feedback.add(note(STAFF, "penilai", "Laporan tepat waktu"))
        uow.feedback.add(note(PPPK, "penilai", "Untuk pegawai lain"))
        answer = uow.feedback.add(note(STAFF, "pegawai", "Terima kasih", answers=first.id))
        uow.commit()
    with seeded() as uow:
        kept = uow.feedback.of_appraisal("C1", STAFF)
        assert [(n.writer, n.text, n.answers) for n in kept] == [
            ("penilai", "Laporan tepat waktu", None),
            ("pegawai", "Terima kasih", first.id),
        ]
        assert kept[0].written_at == at and uow.feedback.count("C1", STAFF) == 2
        assert answer.id is not None and uow.feedback.get("C1", STAFF, answer.id) == answer
        assert uow.feedback.get("C1", PPPK, answer.id) is None  # another appraisal's note is not this one's


def test_a_development_plan_row_is_replaced_with_each_step_and_listed_for_whoever_acts(seeded: UowFactory) -> None:
    at = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    opened = PlanRecord(
        workflow_id="tindak-lanjut-C1-" + STAFF,
        cycle_id="C1",
        instansi_code=INSTANSI,
        period=PERIOD,
        unit_code="PDU",
        employee_nip=STAFF,
        employee_name="Sri",
        penilai_nip=KABID,
        predicate=Predicate.KURANG,
        assignee_nip=KABID,
        deadline=at + timedelta(days=14),
        opened_at=at,
    )
    plan = DevelopmentPlan(
        coaching="Bimbingan mingguan", competency="Pelayanan", training="Diklat", target_date=date(2027, 6, 30)
    )
    with seeded() as uow:
        uow.plans.put(opened)
        uow.commit()
    with seeded() as uow:
        assert uow.plans.get(opened.workflow_id) == opened and uow.plans.of_assignee(KABID, limit=5) == [opened]
        sent = opened.model_copy(update={"step": PlanStep.AGREEMENT, "plan": plan, "assignee_nip": STAFF})
        uow.plans.put(sent)
        uow.commit()
    with seeded() as uow:
        assert uow.plans.get(opened.workflow_id) == sent
        assert uow.plans.of_assignee(KABID, limit=5) == [] and uow.plans.of_assignee(STAFF, limit=5) == [sent]
        assert uow.plans.of_cycle(INSTANSI, "C1", limit=5) == [sent]
        assert uow.plans.of_cycle(INSTANSI, "C2", limit=5) == []


def test_a_periods_row_is_replaced_with_each_step_and_read_in_order(seeded: UowFactory) -> None:
    def period(number: int, step: PeriodStep, assignee: str | None) -> PeriodRecord:
        return PeriodRecord(
            workflow_id="periodik-C1-" + STAFF,
            cycle_id="C1",
            instansi_code=INSTANSI,
            unit_code="PDU",
            employee_nip=STAFF,
            employee_name="Sri",
            penilai_nip=KABID,
            number=number,
            label=f"Triwulan {'I' * number}",
            last_day=date(2027, 3 * number, 28),
            step=step,
            assignee_nip=assignee,
            deadline=datetime(2027, 3 * number + 1, 8, 9, 0, tzinfo=UTC),
        )

    first, second = period(1, PeriodStep.REALISATION, STAFF), period(2, PeriodStep.REALISATION, STAFF)
    with seeded() as uow:
        uow.periods.put(second)
        uow.periods.put(first)
        uow.commit()
    realised = [Realisation(indicator_id="I1", value=Decimal("300.5"), evidence=["https://arsip.example.go.id/1"])]
    done = first.model_copy(
        update={"step": PeriodStep.DONE, "assignee_nip": None, "realisations": realised, "feedback": "Baik"}
    )
    with seeded() as uow:
        assert uow.periods.of_appraisal("C1", STAFF) == [first, second]
        uow.periods.put(done.model_copy(update={"rating": Expectation.MEETS}))
        uow.commit()
    with seeded() as uow:
        kept = uow.periods.of_appraisal("C1", STAFF)
        assert kept[0] == done.model_copy(update={"rating": Expectation.MEETS}) and kept[1] == second
        assert uow.periods.of_assignee(STAFF, limit=5) == [second]


def test_what_a_stored_calibration_lists_is_read_a_page_at_a_time_and_replaced_with_each_save(
    seeded: UowFactory,
) -> None:
    def record(listed: list[dict[str, Any]] | None, version: int | None) -> CalibrationRecord[Any]:
        document = Document(message=f"versi {version}", counts={}, entries=[], flag=True)
        return _proposed("C1", document, listed=listed, version=version)

    first = [{"employee_id": f"{n:018d}", "to": "baik"} for n in range(120)]
    with seeded() as uow:
        assert uow.calibrations.lines(INSTANSI, PERIOD, "C1", 0, 50) == (0, [])  # nothing stored
        uow.calibrations.save(record(first, None))
        uow.commit()
    with seeded() as uow:
        assert uow.calibrations.lines(INSTANSI, PERIOD, "C1", 0, 50) == (120, first[:50])
        assert uow.calibrations.lines(INSTANSI, PERIOD, "C1", 100, 50) == (120, first[100:])
        assert uow.calibrations.lines(INSTANSI, PERIOD, "C1", 150, 50) == (120, [])
        assert uow.calibrations.lines(INSTANSI, PERIOD, "C2", 0, 50) == (0, [])  # another group
    second = [{"employee_id": f"{n:018d}", "to": "kurang"} for n in range(3)]  # e.g. the locked decision's moved
    with seeded() as uow:
        uow.calibrations.save(record(second, 1))
        uow.commit()
    with seeded() as uow:
        assert uow.calibrations.lines(INSTANSI, PERIOD, "C1", 0, 50) == (3, second)
        uow.calibrations.save(record(second, 2).model_copy(update={"listed": None}))  # a save that gives none
        uow.commit()
    with seeded() as uow:
        assert uow.calibrations.lines(INSTANSI, PERIOD, "C1", 0, 50) == (3, second)  # kept as stored


class ShownParts(BaseModel):
    """The parts of a proposal the calibration page reads besides its changes."""

    message: str
    counts_after: dict[Predicate, int]


def test_the_calibration_page_reads_one_page_of_the_proposals_changes_the_last_past_it(seeded: UowFactory) -> None:
    changes = [
        Change(
            employee_id=f"{n:018d}",
            achievement=None,
            from_predicate=Predicate.SANGAT_BAIK,
            to_predicate=Predicate.BAIK,
            rules=[],
            reason="melebihi kuota Sangat Baik",
        )
        for n in range(2 * CHANGES_PER_PAGE + 20)
    ]
    with seeded() as uow:
        shown = ShownParts(message="120 perubahan", counts_after={Predicate.BAIK: 120})
        listed = [c.model_dump(mode="json") for c in changes]
        uow.calibrations.save(_proposed("C3", shown, listed=listed, summary=shown.model_dump(mode="json")))
        uow.commit()
    ref = CycleRef(cycle_id="C3", instansi_code=INSTANSI, period=PERIOD)
    second, past = calibration_board.stored(seeded, ref, 2), calibration_board.stored(seeded, ref, 99)
    assert second is not None and past is not None and not past.locked and past.proposal is not None
    assert second.changes.shown == changes[CHANGES_PER_PAGE : 2 * CHANGES_PER_PAGE]
    assert (past.changes.page, past.changes.pages, past.changes.total) == (3, 3, len(changes))
    assert past.changes.shown == changes[2 * CHANGES_PER_PAGE :] and past.page == 3
    assert past.proposal.message == "120 perubahan"


def test_the_migrations_list_and_summarise_the_calibrations_stored_before(blank_database_url: str) -> None:
    upgrade(blank_database_url, "0013")
    engine = make_engine(blank_database_url)
    document = "CAST(:content AS JSONB)" if engine.dialect.name == "postgresql" else ":content"
    changes = [{"employee_id": f"{n:018d}", "to_predicate": "baik"} for n in range(3)]
    predicates = [
        {"employee_id": f"{n:018d}", "original": "sangat_baik", "proposed": "baik", "final": final}
        for n, final in enumerate(["baik", "sangat_baik", "kurang"])
    ]
    stored = {
        "P": ("proposed", {"changes": changes, "entries": [{"employee_id": "x"}], "message": "3", "counts_after": {}}),
        "L": ("locked", {"decision": {"predicates": predicates}, "decided_by": STAFF, "key": "k"}),
        "E": ("proposed", {"changes": []}),
    }
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO instansi (code, name) VALUES ('X', 'X')"))
            for group, (status, content) in stored.items():
                connection.execute(
                    text(
                        "INSERT INTO calibrations (instansi_code, period, group_code, org_predicate, status, content,"
                        f" policy_version, version) VALUES ('X', 2026, :group, 'baik', :status, {document}, 'v', 1)"
                    ),
                    {"group": group, "status": status, "content": json.dumps(content)},
                )
        upgrade(blank_database_url)
        factory = make_session_factory(engine)
        with SqlAlchemyUnitOfWork(factory) as uow:
            found = {group: uow.calibrations.lines("X", 2026, group, 0, 50) for group in stored}
            summaries = {group: uow.calibrations.summary("X", 2026, group) for group in stored}
    finally:
        engine.dispose()
    assert found == {"P": (3, changes), "L": (2, [predicates[0], predicates[2]]), "E": (0, [])}
    # and 0017 keeps a proposal's message and counts after beside its document
    assert summaries == {
        "P": ("proposed", {"message": "3", "counts_after": {}}),
        "L": ("locked", None),
        "E": ("proposed", {"message": None, "counts_after": None}),
    }


def test_concurrent_calibration_edits_conflict(seeded: UowFactory) -> None:
    record: CalibrationRecord[Calibration] = CalibrationRecord(
        instansi_code=INSTANSI,
        period=PERIOD,
        group_code="B1",
        org_predicate=OrgPredicate.BAIK,
        status="draft",
        policy_version=DEFAULT_POLICY.version,
        calibration=Calibration(ratings={STAFF: Predicate.BAIK}),
    )
    with seeded() as uow:
        assert uow.calibrations.save(record) == 1
        uow.commit()

    with seeded() as first, seeded() as second:
        mine = first.calibrations.get(INSTANSI, PERIOD, "B1", Calibration)
        theirs = second.calibrations.get(INSTANSI, PERIOD, "B1", Calibration)
        assert mine is not None and theirs is not None
        first.calibrations.save(mine.model_copy(update={"status": "proposed"}))
        second.calibrations.save(
            theirs.model_copy(update={"calibration": Calibration(ratings={STAFF: Predicate.SANGAT_BAIK})})
        )
        first.commit()
        with pytest.raises(ConcurrencyConflict, match="kalibrasi kelompok B1"):
            second.commit()

    with seeded() as uow:
        stored = uow.calibrations.for_period(INSTANSI, PERIOD, Calibration)
    assert [(c.status, c.version, c.calibration.ratings[STAFF]) for c in stored] == [("proposed", 2, Predicate.BAIK)]


# --- idempotency ------------------------------------------------------------------------------------------------


def test_record_once_writes_a_step_once(uow_factory: UowFactory, engine: Engine) -> None:
    key = idempotency_key("appraisal-1", "submit_review")
    with uow_factory() as uow:
        assert uow.steps.record_once(key, "appraisal-1", "submit_review", {"n": 1, "tags": ("a",)}) == (
            {"n": 1, "tags": ["a"]},
            True,
        )
        assert uow.steps.record_once(key, "appraisal-1", "submit_review", {"n": 2}) == ({"n": 1, "tags": ["a"]}, False)
        uow.commit()
    with uow_factory() as uow:  # a retried activity, in a new transaction
        assert uow.steps.record_once(key, "appraisal-1", "submit_review", {"n": 3}) == ({"n": 1, "tags": ["a"]}, False)
        assert uow.steps.get(key) == {"n": 1, "tags": ["a"]}
        with pytest.raises(ValueError, match="already belongs"):
            uow.steps.record_once(key, "appraisal-2", "submit_review", {})
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM step_records")).scalar() == 1


def test_record_once_is_safe_when_two_workers_race(uow_factory: UowFactory, engine: Engine) -> None:
    """Two activity attempts record the same step at once: one row, and both report the same stored result."""
    key = idempotency_key("appraisal-race", "sign")
    barrier = threading.Barrier(2)
    outcomes: list[tuple[dict[str, object], bool]] = []
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        try:
            with uow_factory() as uow:
                barrier.wait(timeout=10)
                outcome = uow.steps.record_once(key, "appraisal-race", "sign", {"attempt": n})
                uow.commit()
            outcomes.append(outcome)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(new for _, new in outcomes) == [False, True]
    assert outcomes[0][0] == outcomes[1][0]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM step_records")).scalar() == 1


# --- audit log --------------------------------------------------------------------------------------------------


def test_audit_log_appends_and_filters(uow_factory: UowFactory) -> None:
    wib = timezone(timedelta(hours=7))
    taken_over = AuditEntry(
        occurred_at=datetime(2027, 1, 6, 9, 30, tzinfo=wib),
        actor=KABID,
        actor_role=Role.PENGELOLA_KINERJA,
        on_behalf_of=STAFF,
        action="submit_self_assessment",
        subject=STAFF,
        reason="pegawai cuti sakit",
        before={"step": "self_assessment"},
        after={"step": "supervisor_review", "value": Decimal("1.5")},
        workflow_id="appraisal-1",
        idempotency_key="appraisal-1:self_assessment",
    )
    with uow_factory() as uow:
        assert uow.audit.append(taken_over) is True
        assert uow.audit.append(taken_over) is False  # a retried activity
        assert uow.audit.append(AuditEntry(actor="system", actor_role=Role.SYSTEM, action="import", subject=KADIS))
        uow.commit()
    with uow_factory() as uow:
        entries = uow.audit.list(subject=STAFF)
        assert len(uow.audit.list()) == 2 and uow.audit.list(workflow_id="appraisal-1") == entries
        assert uow.audit.list(action="import")[0].actor == "system"
    [stored] = entries
    assert stored.occurred_at == datetime(2027, 1, 6, 2, 30, tzinfo=UTC) and stored.occurred_at.tzinfo == UTC
    assert stored.after == {"step": "supervisor_review", "value": "1.5"}
    assert stored.model_dump(exclude={"occurred_at", "after"}) == taken_over.model_dump(
        exclude={"occurred_at", "after"}
    )


def test_audit_gives_each_workflows_latest_entry_of_an_action_in_one_read(uow_factory: UowFactory) -> None:
    """Beranda's escalation notes: the latest escalation of each task asked about, none for one never escalated."""

    def escalation(workflow_id: str, level: int) -> AuditEntry:
        return AuditEntry(
            actor="system",
            actor_role=Role.SYSTEM,
            action="notice.escalation",
            workflow_id=workflow_id,
            after={"level": level},
            idempotency_key=f"{workflow_id}/{level}",
        )

    with uow_factory() as uow:
        for entry in (escalation("a", 1), escalation("b", 1), escalation("a", 2)):
            uow.audit.append(entry)
        uow.audit.append(AuditEntry(actor=STAFF, actor_role=Role.PEGAWAI, action="submit_skp", workflow_id="c"))
        uow.commit()
    with uow_factory() as uow:
        latest = uow.audit.latest("notice.escalation", {"a", "b", "c", "d"})
    assert {workflow_id: entry.after for workflow_id, entry in latest.items()} == {"a": {"level": 2}, "b": {"level": 1}}


def test_audit_counts_a_cycles_entries_by_action_and_workflow(uow_factory: UowFactory) -> None:
    """The report's counts: only the cycle's appraisals, beside cycles whose id extends it, differs from it only in
    letter case or would match it under LIKE's `_`, and only the actions asked for."""

    def entry(cycle_id: str, nip: str, action: str, n: int) -> AuditEntry:
        workflow_id = appraisal_workflow_id(cycle_id, nip)
        return AuditEntry(
            actor=nip, actor_role=Role.PEGAWAI, action=action, workflow_id=workflow_id, idempotency_key=f"k{n}"
        )

    entries = [
        entry("2027_JPR", STAFF, "notice.reminder", 1),
        entry("2027_JPR", STAFF, "notice.reminder", 2),
        entry("2027_JPR", KABID, "notice.escalation", 3),
        entry("2027_JPR", STAFF, "acknowledge", 4),
        entry("2027_JPR", KABID, "close_objection_window", 5),
        entry("2027_JPR", KABID, "acknowledge", 6),  # the same appraisal twice: one finished appraisal
        entry("2027_JPR", KADIS, "submit_skp", 7),  # not asked for
        entry("2027_JPR-B", STAFF, "notice.reminder", 8),  # a cycle whose id extends this one's
        entry("2027xJPR", STAFF, "notice.reminder", 9),  # `_` as a LIKE wildcard would take this in
        entry("2027_jpr", STAFF, "notice.reminder", 10),  # SQLite's LIKE would take this in
        entry("2027_jpr", KADIS, "acknowledge", 11),
    ]
    with uow_factory() as uow:
        for e in entries:
            uow.audit.append(e)
        uow.audit.append(AuditEntry(actor="system", actor_role=Role.SYSTEM, action="notice.reminder"))  # no workflow
        uow.commit()

    def counts(cycle_id: str, actions: list[str]) -> dict[str, int]:
        prefix, length = appraisal_workflow_ids(cycle_id)
        with uow_factory() as uow:
            return uow.audit.count_by_action(actions, workflow_id_prefix=prefix, workflow_id_length=length)

    def finished(cycle_id: str, actions: list[str]) -> int:
        prefix, length = appraisal_workflow_ids(cycle_id)
        with uow_factory() as uow:
            return uow.audit.count_workflows(actions, workflow_id_prefix=prefix, workflow_id_length=length)

    notices = ["notice.reminder", "notice.escalation", "file_objection"]
    assert counts("2027_JPR", notices) == {"notice.reminder": 2, "notice.escalation": 1}
    assert finished("2027_JPR", ["acknowledge", "close_objection_window"]) == 2
    assert finished("2027_JPR", ["decide_objection"]) == 0
    assert counts("2027_JPR-B", notices) == {"notice.reminder": 1}
    assert counts("2027_jpr", notices) == {"notice.reminder": 1} and finished("2027_jpr", ["acknowledge"]) == 1


def test_audit_entry_names_a_person_or_the_system() -> None:
    with pytest.raises(ValueError, match="NIP 18 digit"):
        AuditEntry(actor="budi", actor_role=Role.PEGAWAI, action="x")


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET reason = 'diubah'", "DELETE FROM audit_log"],
    ids=["update", "delete"],
)
def test_database_refuses_to_change_the_audit_log(uow_factory: UowFactory, engine: Engine, statement: str) -> None:
    with uow_factory() as uow:
        uow.audit.append(AuditEntry(actor="system", actor_role=Role.SYSTEM, action="import", reason="awal"))
        uow.commit()
    with pytest.raises(IntegrityError, match="hanya dapat ditambah"), engine.begin() as connection:
        connection.execute(text(statement))
    with uow_factory() as uow:
        assert [e.reason for e in uow.audit.list()] == ["awal"]


@pytest.mark.postgres
def test_postgres_refuses_to_truncate_the_audit_log(postgres_database_url: str) -> None:
    engine = make_engine(postgres_database_url)
    try:
        with pytest.raises(IntegrityError, match="hanya dapat ditambah"), engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_log"))
    finally:
        engine.dispose()


def test_timestamps_must_carry_a_zone(uow_factory: UowFactory) -> None:
    message = OutboxMessage(channel="log", recipient=STAFF, subject="s", body="b")
    with uow_factory() as uow, pytest.raises(StatementError, match="tanpa zona waktu"):
        uow.outbox.enqueue(message.model_copy(update={"created_at": datetime(2026, 1, 1)}))


# --- survey -----------------------------------------------------------------------------------------------------


def _response(
    token: str, unit: str = "B1", answers: tuple[int | None, ...] = (4, 3, 3, 4, 2, 3, 4, 4, None)
) -> SurveyResponseRecord:
    return SurveyResponseRecord(
        instansi_code=INSTANSI, period=PERIOD, unit_code=unit, respondent_token=token, answers=answers, source="csv"
    )


def test_survey_responses_round_trip_and_reject_a_reused_token(seeded: UowFactory) -> None:
    with seeded() as uow:
        assert uow.survey.add_many([_response("t1"), _response("t2", unit="DIS")]) == 2
        uow.commit()
    with seeded() as uow:
        with pytest.raises(DomainError, match="'t1'") as refused:
            uow.survey.add(_response("t1"))
        assert refused.value.field == "respondent_token"
        with pytest.raises(DomainError, match="'t3'"):
            uow.survey.add_many([_response("t3"), _response("t3")])
        with pytest.raises(DomainError, match=r"'t2'.*instansi DISDIK periode 2026"):
            uow.survey.add_many([_response("t4"), _response("t2")])
    with seeded() as uow:
        assert [r.respondent_token for r in uow.survey.list(INSTANSI, PERIOD)] == ["t1", "t2"]
        [only] = uow.survey.list(INSTANSI, PERIOD, unit_code="DIS")
        assert only.answers == (4, 3, 3, 4, 2, 3, 4, 4, None) and only.submitted_at.tzinfo is not None
        uow.survey.add(_response("t1").model_copy(update={"period": PERIOD + 1}))  # a new period, a new survey


def test_database_checks_the_survey_scale(seeded: UowFactory, engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO survey_responses (instansi_code, period, unit_code, respondent_token, u1, source,"
                " submitted_at) VALUES ('DISDIK', 2026, 'B1', 'x', 5, 'csv', CURRENT_TIMESTAMP)"
            )
        )


# --- cycles -----------------------------------------------------------------------------------------------------


def test_a_cycle_calendar_is_registered_once_and_found_by_period(seeded: UowFactory) -> None:
    planned = resolve(CycleCalendar(survey_opens="2026-09-01"), PERIOD, DEFAULT_POLICY)
    other = resolve(CycleCalendar(), PERIOD, DEFAULT_POLICY)
    cycle = CycleRecord(
        cycle_id="2026-DISDIK",
        instansi_code=INSTANSI,
        period=PERIOD,
        deadlines=planned,
        policy_version=BASE_POLICY_VERSION,
    )
    with seeded() as uow:
        assert uow.cycles.register(cycle).deadlines == planned
        # A second plan of the same cycle (another calendar) leaves the first: the running cycle keeps it too.
        assert uow.cycles.register(cycle.model_copy(update={"deadlines": other})).deadlines == planned
        uow.cycles.register(cycle.model_copy(update={"cycle_id": "2026-DISDIK-B", "deadlines": other}))
        uow.commit()
    with seeded() as uow:
        stored = uow.cycles.get("2026-DISDIK")
        assert stored is not None and stored.deadlines == planned
        assert stored.deadlines.objection_window == timedelta(days=14)
        assert stored.deadlines.survey_opens == datetime(2026, 9, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=7)))
        assert [c.cycle_id for c in uow.cycles.for_period(INSTANSI, PERIOD)] == ["2026-DISDIK", "2026-DISDIK-B"]
        assert uow.cycles.for_period(INSTANSI, PERIOD + 1) == []
        assert uow.cycles.get("nope") is None


def test_a_locked_instansi_waits_for_the_unit_of_work_that_holds_it(seeded: UowFactory) -> None:
    """What keeps a survey import out of an IKM computation running beside it (services.imports, services.cycles):
    the second to lock the instansi goes on only once the first has committed."""
    held, released = threading.Event(), threading.Event()

    def first() -> None:
        with seeded() as uow:
            uow.instansi.lock(INSTANSI)
            held.set()
            time.sleep(0.5)
            released.set()
            uow.commit()

    holder = threading.Thread(target=first)
    holder.start()
    try:
        assert held.wait(10)
        with seeded() as uow:
            uow.instansi.lock(INSTANSI)
            assert released.is_set()  # it waited for the first to commit
            assert uow.instansi.policy(INSTANSI) == DEFAULT_POLICY  # the lock changed nothing
            uow.commit()
    finally:
        holder.join(10)


def test_the_ikm_a_cycle_computed_round_trips_exactly_and_is_replaced(seeded: UowFactory) -> None:
    responses = [SurveyResponse.of((4, 3, 3, 4, 2, 3, 4, 4, 3), unit="B1")] * 3
    result = compute_ikm(responses, DEFAULT_POLICY, 10, unit="B1")
    first = CycleSurveyRecord(
        cycle_id="2026-DISDIK",
        instansi_code=INSTANSI,
        period=PERIOD,
        units=[result],
        policy_version=BASE_POLICY_VERSION,
        computed_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    with seeded() as uow:
        assert uow.cycles.survey("2026-DISDIK") is None
        uow.cycles.save_survey(first)
        uow.commit()
    with seeded() as uow:
        assert uow.cycles.survey("2026-DISDIK") == first
        uow.cycles.save_survey(first.model_copy(update={"units": [], "computed_at": datetime(2027, 2, 1, tzinfo=UTC)}))
        uow.commit()
    with seeded() as uow:
        again = uow.cycles.survey("2026-DISDIK")
    assert again is not None and again.units == [] and again.computed_at == datetime(2027, 2, 1, tzinfo=UTC)
    assert first.units[0].ikm == Decimal("83.33") and first.units[0].required_sample == 10


# --- outbox -----------------------------------------------------------------------------------------------------


def test_outbox_enqueues_once_per_key(uow_factory: UowFactory) -> None:
    message = OutboxMessage(
        channel="email",
        recipient="staf@example.go.id",
        subject="Penilaian menunggu",
        body="Silakan isi penilaian diri.",
        workflow_id="appraisal-1",
        idempotency_key="appraisal-1:reminder-7d",
    )
    with uow_factory() as uow:
        first_id, new = uow.outbox.enqueue(message)
        assert new and uow.outbox.enqueue(message) == (first_id, False)
        other_id, _ = uow.outbox.enqueue(message.model_copy(update={"idempotency_key": None, "channel": "log"}))
        uow.commit()
    with uow_factory() as uow:
        assert uow.outbox.enqueue(message) == (first_id, False)
        assert [m.id for m in uow.outbox.pending()] == [first_id, other_id]
        retry_at = datetime(2026, 1, 1, 12, tzinfo=UTC)
        assert uow.outbox.record_failure(first_id, error="451 coba lagi", retry_at=retry_at) == 1
        assert uow.outbox.get(first_id) == message.model_copy(
            update={"id": first_id, "attempts": 1, "last_error": "451 coba lagi", "next_attempt_at": retry_at}
        )
        uow.outbox.mark_sent(first_id, at=datetime(2026, 1, 2, tzinfo=UTC))
        with pytest.raises(NotFound):
            uow.outbox.mark_sent(999_999)
        uow.commit()
    with uow_factory() as uow:
        [left] = uow.outbox.pending()
    assert left.id == other_id and left.attempts == 0 and left.sent_at is None


def _work(nip: str, step: Step, *, deadline: datetime | None, at: datetime | None = None, **more: object) -> WorkItem:
    cycle = str(more.pop("cycle_id", "2026-DISDIK"))
    return WorkItem.model_validate(
        {
            "workflow_id": appraisal_workflow_id(cycle, nip),
            "cycle_id": cycle,
            "instansi_code": INSTANSI,
            "unit_code": "SMA1",
            "employee_nip": nip,
            "penilai_nip": KABID,
            "step": step,
            "assignee": nip if step is Step.SKP_DRAFTING else KABID,
            "deadline": deadline,
            "recorded_at": at,
            **more,
        }
    )


def test_the_worklist_keeps_where_each_appraisal_stands(uow_factory: UowFactory) -> None:
    due = datetime(2027, 1, 15, 16, 59, tzinfo=UTC)
    first = _work(STAFF, Step.SKP_DRAFTING, deadline=due)
    with uow_factory() as uow:
        uow.worklist.enrol([first, _work(PPPK, Step.SKP_DRAFTING, deadline=due + timedelta(days=1))])
        uow.commit()
    # A step replaces the entry; enrolling again (a retried page) keeps what the step wrote.
    submitted = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    approval = _work(STAFF, Step.SKP_APPROVAL, deadline=due + timedelta(days=14), at=submitted)
    with uow_factory() as uow:
        uow.worklist.put(approval)
        uow.worklist.enrol([first])
        uow.commit()
    with uow_factory() as uow:
        assert uow.worklist.get(first.workflow_id) == approval
        assert uow.worklist.get("appraisal-none") is None
        # A late retry of an earlier step does not put the list back; nor does a reading from outside the workflow.
        uow.worklist.put(first.model_copy(update={"recorded_at": submitted - timedelta(minutes=1)}))
        uow.worklist.put(first)
        # An escalation at the same step, later, does write.
        overdue = approval.model_copy(update={"overdue": True, "escalation_level": 2, "recorded_at": due})
        uow.worklist.put(overdue)
        uow.commit()
    with uow_factory() as uow:
        assert uow.worklist.get(first.workflow_id) == overdue
        # A run reset to an earlier step writes as usual: its workflow time goes on.
        reset = first.model_copy(update={"recorded_at": due + timedelta(hours=1)})
        uow.worklist.put(reset)
        uow.commit()
    with uow_factory() as uow:
        assert uow.worklist.get(first.workflow_id) == reset
        uow.worklist.put(overdue)  # the abandoned branch's late retry
        assert uow.worklist.get(first.workflow_id) == reset
        mine = uow.worklist.open(WorklistQuery(assignee=PPPK))
        assert [item.employee_nip for item in mine] == [PPPK]
        assert uow.worklist.count(WorklistQuery(cycle_id="2026-DISDIK", stage=Stage.TARGET_SETTING)) == 2
        assert uow.worklist.count(WorklistQuery(cycle_id="2026-DISDIK", stage=Stage.SELF_ASSESSMENT)) == 0
        assert uow.worklist.count(WorklistQuery(cycle_id="other")) == 0
        # An entry read from outside the workflow replaces another such entry, never one the workflow wrote.
        read_later = _work(PPPK, Step.SKP_APPROVAL, deadline=due)
        uow.worklist.put(read_later)
        assert uow.worklist.get(read_later.workflow_id) == read_later
        # An ended appraisal's entry goes unless it was written again since it was read (a run reset meanwhile).
        stale = [(first.workflow_id, due), (read_later.workflow_id, None), ("appraisal-none", None)]
        assert uow.worklist.remove_unchanged(stale) == 1
        assert uow.worklist.get(first.workflow_id) == reset
        assert uow.worklist.remove_unchanged([(first.workflow_id, reset.recorded_at)]) == 1
        uow.commit()
    with uow_factory() as uow:
        assert uow.worklist.count(WorklistQuery(cycle_id="2026-DISDIK")) == 0


def test_the_worklist_lists_open_steps_nearest_deadline_first(uow_factory: UowFactory) -> None:
    due = datetime(2027, 2, 1, tzinfo=UTC)
    nips = [f"19900101201501{n:04d}" for n in range(1, 7)]
    items = [
        _work(nips[0], Step.SUPERVISOR_REVIEW, deadline=due + timedelta(days=2), overdue=True),
        _work(nips[1], Step.SUPERVISOR_REVIEW, deadline=due, overdue=True),
        _work(nips[2], Step.AWAITING_CALIBRATION, deadline=None, assignee=None),
        _work(nips[3], Step.FINAL, deadline=None, assignee=None),
        _work(nips[4], Step.SUPERVISOR_REVIEW, deadline=due - timedelta(days=5), overdue=True, unit_code="SMA2"),
        # Another cycle whose id only differs in letter case: never mixed in.
        _work(nips[5], Step.SUPERVISOR_REVIEW, deadline=due, overdue=True, cycle_id="2026-disdik"),
    ]
    with uow_factory() as uow:
        uow.worklist.enrol(items)
        uow.commit()
    with uow_factory() as uow:
        cycle = WorklistQuery(cycle_id="2026-DISDIK")
        listed = uow.worklist.open(cycle)
        assert [item.employee_nip for item in listed] == [nips[4], nips[1], nips[0], nips[2]]  # no deadline last
        assert uow.worklist.count(cycle) == 4  # the final appraisal is not open
        assert uow.worklist.count_with_overdue(cycle) == (4, 3)  # the closing report's two numbers
        assert [item.employee_nip for item in uow.worklist.open(cycle, limit=2, offset=1)] == [nips[1], nips[0]]
        late = cycle.model_copy(update={"overdue": True, "deadline_before": due + timedelta(hours=1)})
        assert [item.employee_nip for item in uow.worklist.open(late)] == [nips[4], nips[1]]
        unit = late.model_copy(update={"unit_code": "SMA1"})
        assert [item.employee_nip for item in uow.worklist.open(unit)] == [nips[1]]
        by_instansi = WorklistQuery(instansi_code=INSTANSI, penilai_nip=KABID, overdue=True)
        assert uow.worklist.count(by_instansi) == 4
        # In id order, page after page, for a cleanup that deletes as it goes (no offset to shift).
        ids = sorted(item.workflow_id for item in listed)
        first_page = uow.worklist.open_ids(cycle, after=None, limit=3)
        assert [workflow_id for workflow_id, _ in first_page] == ids[:3]
        assert uow.worklist.open_ids(cycle, after=first_page[-1][0], limit=3) == [(ids[3], None)]
        # The worker's gauges: open steps and the overdue among them, per instansi and stage, over every cycle.
        assert uow.worklist.tally() == {
            (INSTANSI, "supervisor_review"): (4, 4),
            (INSTANSI, "calibration"): (1, 0),
        }
        # And who in a cycle stands at one step (the withdrawn, for the cycle's predicates).
        assert uow.worklist.at_step("2026-DISDIK", Step.AWAITING_CALIBRATION) == {items[2].workflow_id: nips[2]}


def test_an_overdue_step_is_found_by_the_superiors_its_escalation_reached(uow_factory: UowFactory) -> None:
    """Beranda's "Diteruskan kepada Anda" (services.my_work): the ladder of domain.escalation, by the indexes on the
    penilai and the atasan."""
    due = datetime(2026, 3, 1, tzinfo=UTC)
    nips = [f"19900101201501{n:04d}" for n in range(6)]
    items = [
        _work(nips[0], Step.SKP_DRAFTING, deadline=due, overdue=True, escalation_level=1, atasan_nip=KADIS),
        _work(nips[1], Step.SKP_DRAFTING, deadline=due, overdue=True, escalation_level=2, atasan_nip=KADIS),
        _work(nips[2], Step.SKP_APPROVAL, deadline=due, overdue=True, escalation_level=1, atasan_nip=KADIS),
        _work(nips[3], Step.SKP_DRAFTING, deadline=due, overdue=False, escalation_level=0, atasan_nip=KADIS),
        _work(nips[4], Step.OBJECTION_REVIEW, deadline=due, overdue=True, escalation_level=1, atasan_nip=KADIS),
        _work(nips[5], Step.FINAL, deadline=None, overdue=False, escalation_level=0, atasan_nip=KADIS),
    ]
    with uow_factory() as uow:
        uow.worklist.enrol(items)
        uow.commit()
    employees = (Step.SKP_DRAFTING, Step.SELF_ASSESSMENT, Step.OBJECTION_WINDOW)
    penilais = (Step.SKP_APPROVAL, Step.SUPERVISOR_REVIEW, Step.SIGN_OFF)
    with uow_factory() as uow:

        def reached(nip: str) -> list[str]:
            found = uow.worklist.escalated_to_superior(nip, employee_steps=employees, penilai_steps=penilais, limit=10)
            return sorted(item.employee_nip for item in found)

        assert reached(KABID) == [nips[0], nips[1]]  # the penilai: the employees' overdue steps, from level 1
        assert reached(KADIS) == [nips[1], nips[2]]  # the atasan: an employee's from level 2, the penilai's from 1
        assert reached(STAFF) == []
