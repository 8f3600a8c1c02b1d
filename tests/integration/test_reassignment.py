"""`alihkan` checked against the roster before the Update is sent (services.appraisals.check_reassignment), on SQLite
and PostgreSQL: the new pejabat penilai or atasan must be an active employee of the same instansi, not the appraisee,
and not withdrawn from the cycle."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.errors import DomainError
from domain.organisation import Employee, Instansi, Unit
from domain.stages import Step
from domain.worklist import WorkItem
from persistence.ports import AbstractUnitOfWork
from services.appraisals import REVIEWER_RULE, check_reassignment
from tests.integration.worklist_entries import withdrawn
from workflows.contracts import appraisal_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
INSTANSI, OTHER = "DISDUK-UJI", "DINKES-UJI"
CYCLE = "2026-DISDUK-UJI"
KABID = "197505052000031002"
KASI = "198003032005011003"
KASI_BARU = "198206062008011005"
STAFF = "199001012015032004"
RETIRED = "196501011990031009"  # inactive on the roster
MOVED = "198805052012011010"  # active, but withdrawn from this cycle (mutasi)
ELSEWHERE = "198707072011012011"  # on the roster of another instansi


def seed(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        for code in (INSTANSI, OTHER):
            uow.instansi.add(Instansi(code=code, name=f"Instansi {code}"))
            uow.units.add(Unit(code="U", name="Unit"), code)

        def person(nip: str, name: str, *, instansi: str = INSTANSI, active: bool = True) -> None:
            employee = Employee(nip=nip, name=name, jabatan="Pejabat", unit_code="U", active=active)
            uow.employees.add(employee, instansi)

        person(KABID, "Kabid")
        person(KASI, "Kasi Lama")
        person(KASI_BARU, "Kasi Baru")
        person(STAFF, "Staf")
        person(RETIRED, "Pensiunan", active=False)
        person(MOVED, "Pindahan")
        person(ELSEWHERE, "Pegawai Dinkes", instansi=OTHER)
        uow.worklist.enrol(
            [
                withdrawn(CYCLE, INSTANSI, "U", MOVED, KABID),
                WorkItem(
                    workflow_id=appraisal_workflow_id(CYCLE, KASI_BARU),
                    cycle_id=CYCLE,
                    instansi_code=INSTANSI,
                    unit_code="U",
                    employee_nip=KASI_BARU,
                    penilai_nip=KABID,
                    step=Step.SELF_ASSESSMENT,
                ),
            ]
        )
        uow.commit()


@pytest.fixture
def office(uow_factory: UowFactory) -> UowFactory:
    seed(uow_factory)
    return uow_factory


def refused(office: UowFactory, penilai: str, atasan: str | None = None) -> DomainError:
    with pytest.raises(DomainError) as error:
        check_reassignment(office, INSTANSI, STAFF, penilai, atasan, cycle_id=CYCLE)
    return error.value


def test_an_active_colleague_in_the_cycle_may_become_penilai_and_atasan(office: UowFactory) -> None:
    check_reassignment(office, INSTANSI, STAFF, KASI_BARU, KABID, cycle_id=CYCLE)
    check_reassignment(office, INSTANSI, STAFF, KASI_BARU, None, cycle_id=CYCLE)
    # Withdrawn from another cycle is no matter for this one.
    check_reassignment(office, INSTANSI, STAFF, MOVED, None, cycle_id="2027-DISDUK-UJI")


def test_the_appraisee_cannot_become_their_own_reviewer(office: UowFactory) -> None:
    error = refused(office, STAFF)
    assert (error.field, error.rule) == ("penilai_nip", REVIEWER_RULE)
    assert "tidak dapat menjadi pejabat penilai bagi dirinya sendiri" in str(error)
    assert refused(office, KASI_BARU, STAFF).field == "atasan_nip"


def test_someone_of_another_instansi_or_on_no_roster_is_refused(office: UowFactory) -> None:
    error = refused(office, ELSEWHERE)
    assert error.field == "penilai_nip"
    assert f"NIP {ELSEWHERE} tidak terdaftar sebagai pegawai instansi {INSTANSI}" in str(error)
    assert refused(office, KASI_BARU, "200001012025011001").field == "atasan_nip"


def test_someone_no_longer_active_is_refused(office: UowFactory) -> None:
    error = refused(office, RETIRED)
    assert error.field == "penilai_nip" and "Pensiunan" in str(error) and "tidak lagi aktif" in str(error)
    assert refused(office, KASI_BARU, RETIRED).field == "atasan_nip"


def test_someone_withdrawn_from_the_cycle_is_refused(office: UowFactory) -> None:
    error = refused(office, MOVED)
    assert error.field == "penilai_nip" and f"sudah ditarik dari siklus {CYCLE}" in str(error)
    assert refused(office, KASI_BARU, MOVED).field == "atasan_nip"


def test_the_atasan_must_be_someone_else_than_the_penilai(office: UowFactory) -> None:
    assert refused(office, KASI_BARU, KASI_BARU).field == "atasan_nip"
