"""A change of a cycle's officials recorded in the audit log and read back (services.officials_record), on SQLite and
PostgreSQL: the actor's grant and the roster are checked, a retry writes once, and the latest change is what an
appraisal takes up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from domain.access import Grant
from domain.errors import DomainError, Forbidden
from domain.officials import Officials
from domain.organisation import Employee, Instansi, Unit
from domain.stages import Role
from persistence.ports import AbstractUnitOfWork
from services import officials_record
from workflows.cycle_contracts import RecordOfficials, cycle_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
INSTANSI, CYCLE = "DISDUK-UJI", "2026-DISDUK-UJI"
ADMIN = "198101012006041014"
AUDITOR, AUDITOR_2, RETIRED = "197808082003121006", "198304042008011012", "196501011990031009"
SEKDA = "196801011990031001"
BEFORE = Officials(supervision_team=[AUDITOR], pimpinan=[SEKDA])


@pytest.fixture
def office(uow_factory: UowFactory) -> UowFactory:
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code=INSTANSI, name="Dinas Uji"))
        uow.units.add(Unit(code="U", name="Unit"), INSTANSI)
        for nip, active in ((AUDITOR, True), (AUDITOR_2, True), (RETIRED, False)):
            uow.employees.add(Employee(nip=nip, name=nip, jabatan="Auditor", unit_code="U", active=active), INSTANSI)
        uow.identity.add_grant(
            ADMIN, Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=INSTANSI), by="operator", at=datetime.now(UTC)
        )
        uow.commit()
    return uow_factory


def request(version: int, officials: Officials, *, actor: str = ADMIN, key: str | None = None) -> RecordOfficials:
    return RecordOfficials(
        cycle_id=CYCLE,
        instansi_code=INSTANSI,
        period=2026,
        version=version,
        officials=officials,
        before=BEFORE,
        actor=actor,
        reason="SK Kepala Dinas 800/1/2026",
        key=key or f"change-{version}",
        occurred_at=datetime.now(UTC),
    )


def test_changes_are_recorded_once_and_the_latest_is_read_back(office: UowFactory) -> None:
    assert officials_record.recorded(office, CYCLE) is None
    first = Officials(supervision_team=[AUDITOR_2], pimpinan=[SEKDA])
    assert officials_record.record(office, request(1, first))
    assert not officials_record.record(office, request(1, first))  # a retried activity
    second = Officials(supervision_team=[AUDITOR, AUDITOR_2], pimpinan=[SEKDA])
    assert officials_record.record(office, request(2, second))
    found = officials_record.recorded(office, CYCLE)
    assert found is not None
    assert (found.version, found.officials, found.changed_by) == (2, second, ADMIN)
    assert found.reason == "SK Kepala Dinas 800/1/2026"
    with office() as uow:
        entries = uow.audit.list(workflow_id=cycle_workflow_id(CYCLE), action=officials_record.ACTION)
    assert [(e.actor, e.actor_role) for e in entries] == [(ADMIN, Role.ADMIN_KEPEGAWAIAN)] * 2
    assert entries[0].after is not None
    assert entries[0].after["changes"] == {"supervision_team": {"masuk": [AUDITOR_2], "keluar": [AUDITOR]}}


def test_someone_without_the_grant_records_nothing(office: UowFactory) -> None:
    with pytest.raises(Forbidden) as error:
        officials_record.record(
            office, request(1, Officials(supervision_team=[AUDITOR_2], pimpinan=[SEKDA]), actor=AUDITOR)
        )
    assert error.value.field == "pelaku"
    assert officials_record.recorded(office, CYCLE) is None


def test_officials_must_be_active_on_the_roster(office: UowFactory) -> None:
    for team, pengelola, field in (
        ([RETIRED], [], "supervision_team"),
        ([AUDITOR], ["200001012025011001"], "pengelola_kinerja"),
    ):
        officials = Officials(supervision_team=team, pengelola_kinerja=pengelola, pimpinan=[SEKDA])
        with pytest.raises(DomainError) as error:
            officials_record.record(office, request(1, officials))
        assert error.value.field == field
    assert officials_record.recorded(office, CYCLE) is None
