"""A synthetic instansi of any size: units of ~50 people under a head, valid NIPs, calendars and SKPs.

The head of the instansi (kepala) has no superior inside it, so `plan_cycle` skips them: N employees give N - 1
appraisals, as a real roster would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.calendar import CycleCalendar
from domain.nip import validate_nip
from domain.organisation import Employee, Instansi, Unit
from domain.skp import Aspect, Indicator, Realisation, RencanaHasilKerja, RhkKind, Skp, Target
from persistence.ports import AbstractUnitOfWork

INSTANSI = "BENCH-PEMKAB"
ROOT_UNIT = "SETDA"
UNIT_SIZE = 50  # a head and 49 staff
EVIDENCE = ["https://drive.example.go.id/kinerja/bench/laporan.pdf"]


@dataclass(frozen=True)
class Office:
    instansi_code: str
    kepala: str  # calibration decisions are sent in their name
    pengawas: str  # tim pengawasan
    pengelola: str  # pengelola kinerja
    employees: int
    units: int


def nip(index: int) -> str:
    """A valid, deterministic PNS NIP per index: birth YYYYMMDD, TMT CPNS YYYYMM, gender, sequence 001-999.

    Birth date and sequence are a mixed-radix spelling of `index`, so NIPs are unique up to 11.7 million people.
    """
    year = 1965 + index % 35
    rest = index // 35
    month = 1 + rest % 12
    rest //= 12
    day = 1 + rest % 28
    rest //= 28
    sequence = 1 + rest % 999
    tmt_year = year + 18 + index % 7  # on or after the month of the 18th birthday
    gender = 1 + (index // 7) % 2
    return f"{year:04d}{month:02d}{day:02d}{tmt_year:04d}{month:02d}{gender}{sequence:03d}"


def roster(size: int) -> tuple[Office, list[Unit], list[Employee]]:
    """`size` employees: the kepala, an auditor and an HR analyst in the root unit, then units of UNIT_SIZE."""
    if size < 3 + 2:
        raise ValueError("a benchmark office needs at least 5 employees")
    nips = [nip(i) for i in range(size)]
    for value in nips[:: max(1, size // 100)]:
        validate_nip(value)  # spot check: the generator must only make NIPs the domain accepts
    kepala, pengawas, pengelola = nips[:3]
    units = [Unit(code=ROOT_UNIT, name="Sekretariat Daerah")]
    people = [
        Employee(nip=kepala, name="Kepala Daerah", jabatan="Kepala", unit_code=ROOT_UNIT),
        Employee(nip=pengawas, name="Auditor", jabatan="Auditor", unit_code=ROOT_UNIT, superior_nip=kepala),
        Employee(nip=pengelola, name="Analis SDM", jabatan="Analis SDM", unit_code=ROOT_UNIT, superior_nip=kepala),
    ]
    head = kepala
    unit_code = ROOT_UNIT
    for offset, value in enumerate(nips[3:]):
        if offset % UNIT_SIZE == 0:
            unit_code = f"U{offset // UNIT_SIZE + 1:04d}"
            units.append(Unit(code=unit_code, name=f"Bidang {unit_code}", parent_code=ROOT_UNIT))
            people.append(
                Employee(
                    nip=value,
                    name=f"Kepala {unit_code}",
                    jabatan="Kepala Bidang",
                    unit_code=unit_code,
                    superior_nip=kepala,
                )
            )
            head = value
            continue
        people.append(
            Employee(
                nip=value, name=f"Pegawai {offset:06d}", jabatan="Pelaksana", unit_code=unit_code, superior_nip=head
            )
        )
    office = Office(
        instansi_code=INSTANSI, kepala=kepala, pengawas=pengawas, pengelola=pengelola, employees=size, units=len(units)
    )
    return office, units, people


def seed(uow_factory: Callable[[], AbstractUnitOfWork], size: int) -> Office:
    """Store the roster through the repositories, in one transaction."""
    office, units, people = roster(size)
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code=office.instansi_code, name="Pemerintah Kabupaten Bench"))
        for unit in units:
            uow.units.add(unit, office.instansi_code)
        for person in people:
            uow.employees.add(person, office.instansi_code)
        uow.commit()
    return office


def open_calendar(start: datetime) -> CycleCalendar:
    """Deadlines weeks away: enrolled appraisals sit still (no reminder is due) while they are measured."""
    return CycleCalendar.model_validate(
        {
            "start": start.isoformat(),
            "skp_draft_due": "P30D",
            "skp_due": "P45D",
            "survey_opens": "P30D",
            "survey_closes": "P200D",
            "self_assessment_due": "P300D",
            "review_due": "P320D",
            "calibration_due": "P330D",
            "sign_off_due": "P340D",
        }
    )


def compressed_calendar(start: datetime, objection_window: str) -> CycleCalendar:
    """Hours instead of months, like tests/workflows/scenario.py; the objection window closes in seconds."""
    return CycleCalendar.model_validate(
        {
            "start": start.isoformat(),
            "skp_draft_due": "PT1H",
            "skp_due": "PT2H",
            "survey_opens": "PT1H",
            "survey_closes": "PT5H",
            "self_assessment_due": "PT4H",
            "review_due": "PT6H",
            "calibration_due": "PT8H",
            "sign_off_due": "PT10H",
            "objection_window": objection_window,
            "objection_decision_due": "PT2H",
        }
    )


def skp(employee_nip: str, period: int) -> Skp:
    def indicator(id: str, aspect: Aspect, text: str, target: str, unit: str) -> Indicator:
        return Indicator(id=id, aspect=aspect, text=text, target=Target(value=Decimal(target)), unit_of_measure=unit)

    return Skp(
        employee_nip=employee_nip,
        period=period,
        rhk=[
            RencanaHasilKerja(
                id="R1",
                kind=RhkKind.UTAMA,
                text="Layanan administrasi diselesaikan tepat waktu",
                indicators=[
                    indicator("I1", Aspect.KUANTITAS, "Berkas yang diselesaikan", "1200", "berkas"),
                    indicator("I2", Aspect.KUALITAS, "Berkas tanpa kesalahan", "98", "persen"),
                ],
            ),
            RencanaHasilKerja(
                id="R2",
                kind=RhkKind.TAMBAHAN,
                text="Layanan keliling di kecamatan",
                indicators=[indicator("I3", Aspect.KUANTITAS, "Kegiatan layanan keliling", "12", "kegiatan")],
            ),
        ],
    )


def realisations() -> list[Realisation]:
    """About 100 % of every target: the suggested hasil-kerja rating is Sesuai Ekspektasi."""
    return [
        Realisation(indicator_id="I1", value=Decimal("1230"), evidence=EVIDENCE),
        Realisation(indicator_id="I2", value=Decimal("98.5"), evidence=EVIDENCE),
        Realisation(indicator_id="I3", value=Decimal("12"), evidence=EVIDENCE),
    ]
