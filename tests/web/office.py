"""The office the web tests act in: two instansi, and one person for each role the API knows.

Instansi A holds every caller. Its appraisals are of PEGAWAI_1 (rated by PENILAI_1, whose superior ATASAN_1 is the
atasan) and of PEGAWAI_2 (PENILAI_2, ATASAN_2): the second is "another appraisal in the same instansi" for the first
one's parties. Instansi B holds PEGAWAI_3's appraisal, rated by people of B: "another instansi" for everyone of A.
The roles granted per instansi (pimpinan, tim pengawasan, pengelola kinerja, admin kepegawaian, operator) are held
by one person each in A; the pimpinan and the operator are on no roster (a Sekda, the server's operator), as in life.

Everyone of A who signs in has a local account with PASSWORD, hashed with cheap argon2 parameters (TEST_AUTH).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from argon2 import PasswordHasher

from domain.access import Grant
from domain.audit import SYSTEM_ACTOR
from domain.calendar import CycleCalendar, Deadlines, resolve
from domain.organisation import Employee, Instansi, Unit
from domain.policy import AppraisalPolicy
from domain.skp import Aspect, Indicator, Realisation, RencanaHasilKerja, RhkKind, Skp, Target
from domain.stages import Role
from identity.passwords import hasher
from identity.records import Account
from persistence.ports import AbstractUnitOfWork, SkpRecord
from settings import AuthSettings
from workflows.contracts import AppraisalInput

# The appraisal year: the one 40 days ago, so that a calendar started 30 days back and ending within weeks lies in
# the period and the next (domain.bounds.appraisal_years), on whatever day the suite runs.
PERIOD = (datetime.now(UTC) - timedelta(days=40)).year
PASSWORD = "Matriks-Akses-2026!"  # every test account's
# Cheap hashes: the matrix signs in dozens of times; the cost of the real parameters is the benchmark's business.
TEST_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=8 * 1024, argon2_parallelism=1, hash_concurrency=2)

INSTANSI_A = "MATRIKS-A"
INSTANSI_B = "MATRIKS-B"

KEPALA_A = "197001012000031001"
ATASAN_1 = "197202022001031002"
PENILAI_1 = "197503032002031003"
PEGAWAI_1 = "199004042015032004"
ATASAN_2 = "197305052001031005"
PENILAI_2 = "197606062003031006"
PEGAWAI_2 = "199107072016032007"
PENILAI_BARU = "197808082004031008"  # an active employee of A, free to become PEGAWAI_1's penilai (alihkan)
CADANGAN = "199209092017031009"  # an account nobody uses to call: one-time links are spent on it
PIMPINAN = "196801011990031010"  # Sekda: on no roster
PENGAWAS = "197909092005012011"
PENGELOLA = "198510102010012012"
ADMIN = "198611112011012013"
OPERATOR = "199012122014011014"  # on no roster
SASARAN_A = "199303032018012015"  # an account the admin kepegawaian disables, enables, unlocks

KEPALA_B = "197101012000031101"
ATASAN_3 = "197204042001031102"
PENILAI_3 = "197505052002031103"
PEGAWAI_3 = "199006062015032104"
PENGAWAS_B = "197907072005012105"
PENGELOLA_B = "198508082010012106"
SASARAN_B = "199404042019011107"
PIMPINAN_B = "196902021991031108"  # on no roster


@dataclass(frozen=True)
class Persona:
    """Who calls: the role they hold on the matrix's target (PEGAWAI_1's appraisal, instansi A)."""

    role: Role
    nip: str


# The eight roles of issue 17, in the order the matrix lists them.
PERSONAS = (
    Persona(Role.PEGAWAI, PEGAWAI_1),
    Persona(Role.PENILAI, PENILAI_1),
    Persona(Role.ATASAN_PENILAI, ATASAN_1),
    Persona(Role.PIMPINAN, PIMPINAN),
    Persona(Role.PENGAWASAN, PENGAWAS),
    Persona(Role.PENGELOLA_KINERJA, PENGELOLA),
    Persona(Role.ADMIN_KEPEGAWAIAN, ADMIN),
    Persona(Role.OPERATOR, OPERATOR),
)
PERSONA = {persona.role: persona for persona in PERSONAS}
GRANTED = {
    INSTANSI_A: {
        PIMPINAN: Role.PIMPINAN,
        PENGAWAS: Role.PENGAWASAN,
        PENGELOLA: Role.PENGELOLA_KINERJA,
        ADMIN: Role.ADMIN_KEPEGAWAIAN,
        OPERATOR: Role.OPERATOR,
    },
    INSTANSI_B: {PIMPINAN_B: Role.PIMPINAN, PENGAWAS_B: Role.PENGAWASAN, PENGELOLA_B: Role.PENGELOLA_KINERJA},
}


@dataclass(frozen=True)
class Appraised:
    """An employee the tests start appraisals of, with their parties."""

    nip: str
    name: str
    instansi_code: str
    unit_code: str
    penilai_nip: str
    atasan_nip: str
    superiors: tuple[str, ...]
    supervision_team: tuple[str, ...]
    pengelola_kinerja: tuple[str, ...]


APPRAISED_1 = Appraised(
    PEGAWAI_1, "Maria Yikwa", INSTANSI_A, "A-BID", PENILAI_1, ATASAN_1, (PENILAI_1, ATASAN_1, KEPALA_A), (PENGAWAS,),
    (PENGELOLA,),
)  # fmt: skip
APPRAISED_2 = Appraised(
    PEGAWAI_2, "Yosua Kogoya", INSTANSI_A, "A-BID", PENILAI_2, ATASAN_2, (PENILAI_2, ATASAN_2, KEPALA_A), (PENGAWAS,),
    (PENGELOLA,),
)  # fmt: skip
APPRAISED_3 = Appraised(
    PEGAWAI_3, "Ester Wonda", INSTANSI_B, "B-BID", PENILAI_3, ATASAN_3, (PENILAI_3, ATASAN_3, KEPALA_B),
    (PENGAWAS_B,), (PENGELOLA_B,),
)  # fmt: skip


UNITS = {
    INSTANSI_A: {"A-DIN": ("Dinas Matriks", None), "A-BID": ("Bidang Pelayanan", "A-DIN")},
    INSTANSI_B: {"B-DIN": ("Badan Lain", None), "B-BID": ("Bidang Lain", "B-DIN")},
}
SASARAN = {INSTANSI_A: SASARAN_A, INSTANSI_B: SASARAN_B}
BY_NIP = {appraised.nip: appraised for appraised in (APPRAISED_1, APPRAISED_2, APPRAISED_3)}


def people_of(instansi_code: str) -> list[Employee]:
    """The roster of an instansi, as seeded."""
    return _people_a() if instansi_code == INSTANSI_A else _people_b()


def _people_a() -> list[Employee]:
    def person(nip: str, name: str, jabatan: str, unit: str, superior: str | None) -> Employee:
        return Employee(nip=nip, name=name, jabatan=jabatan, unit_code=unit, superior_nip=superior)

    return [
        person(KEPALA_A, "Kepala Dinas A", "Kepala Dinas", "A-DIN", None),
        person(ATASAN_1, "Kabid Satu", "Kepala Bidang", "A-BID", KEPALA_A),
        person(PENILAI_1, "Kasi Satu", "Kepala Seksi", "A-BID", ATASAN_1),
        person(PEGAWAI_1, APPRAISED_1.name, "Verifikator Data", "A-BID", PENILAI_1),
        person(ATASAN_2, "Kabid Dua", "Kepala Bidang", "A-BID", KEPALA_A),
        person(PENILAI_2, "Kasi Dua", "Kepala Seksi", "A-BID", ATASAN_2),
        person(PEGAWAI_2, APPRAISED_2.name, "Pengadministrasi", "A-BID", PENILAI_2),
        person(PENILAI_BARU, "Kasi Baru", "Kepala Seksi", "A-BID", ATASAN_1),
        person(CADANGAN, "Pegawai Cadangan", "Pengadministrasi", "A-BID", PENILAI_1),
        person(PENGAWAS, "Auditor Inspektorat", "Auditor", "A-DIN", KEPALA_A),
        person(PENGELOLA, "Analis SDM", "Analis SDM Aparatur", "A-DIN", KEPALA_A),
        person(ADMIN, "Pranata Kepegawaian", "Pranata SDM Aparatur", "A-DIN", KEPALA_A),
        person(SASARAN_A, "Pegawai Sasaran", "Pengadministrasi", "A-BID", PENILAI_1),
    ]


def _people_b() -> list[Employee]:
    def person(nip: str, name: str, jabatan: str, unit: str, superior: str | None) -> Employee:
        return Employee(nip=nip, name=name, jabatan=jabatan, unit_code=unit, superior_nip=superior)

    return [
        person(KEPALA_B, "Kepala Badan B", "Kepala Badan", "B-DIN", None),
        person(ATASAN_3, "Kabid Tiga", "Kepala Bidang", "B-BID", KEPALA_B),
        person(PENILAI_3, "Kasi Tiga", "Kepala Seksi", "B-BID", ATASAN_3),
        person(PEGAWAI_3, APPRAISED_3.name, "Analis", "B-BID", PENILAI_3),
        person(PENGAWAS_B, "Auditor B", "Auditor", "B-DIN", KEPALA_B),
        person(PENGELOLA_B, "Analis SDM B", "Analis SDM Aparatur", "B-DIN", KEPALA_B),
        person(SASARAN_B, "Pegawai Sasaran B", "Pengadministrasi", "B-BID", PENILAI_3),
    ]


def skp_of(nip: str) -> Skp:
    def indicator(id: str, aspect: Aspect, text: str, target: str, unit: str) -> Indicator:
        return Indicator(id=id, aspect=aspect, text=text, target=Target(value=Decimal(target)), unit_of_measure=unit)

    return Skp(
        employee_nip=nip,
        period=PERIOD,
        rhk=[
            RencanaHasilKerja(
                id="R1",
                kind=RhkKind.UTAMA,
                text="Data kependudukan terverifikasi tepat waktu",
                indicators=[
                    indicator("I1", Aspect.KUANTITAS, "Berkas yang diverifikasi", "1200", "berkas"),
                    indicator("I2", Aspect.KUALITAS, "Berkas tanpa kesalahan", "98", "persen"),
                ],
            )
        ],
    )


def realisations() -> list[Realisation]:
    evidence = ["https://drive.example.go.id/kinerja/2026/laporan.pdf"]
    return [
        Realisation(indicator_id="I1", value=Decimal("1210"), evidence=evidence),
        Realisation(indicator_id="I2", value=Decimal("98.2"), evidence=evidence),
    ]


def seed(uow: AbstractUnitOfWork, password_hasher: PasswordHasher, now: datetime) -> None:
    """The two instansi, their rosters, the grants, an SKP draft for each appraised employee and an account with
    PASSWORD for everyone of A who calls, for CADANGAN and the SASARAN of each instansi, and for PEGAWAI_3."""
    for code, name in ((INSTANSI_A, "Dinas Matriks Akses"), (INSTANSI_B, "Badan Instansi Lain")):
        uow.instansi.add(Instansi(code=code, name=name))
        for unit_code, (unit_name, parent) in UNITS[code].items():
            uow.units.add(Unit(code=unit_code, name=unit_name, parent_code=parent), code)
        for employee in people_of(code):
            uow.employees.add(employee, code)
    for code, holders in GRANTED.items():
        for nip, role in holders.items():
            uow.identity.add_grant(nip, Grant(role=role, instansi_code=code), by=SYSTEM_ACTOR, at=now)
    for appraised in (APPRAISED_1, APPRAISED_2, APPRAISED_3):
        uow.skp.save(SkpRecord(skp=skp_of(appraised.nip), status="draft", policy_version=AppraisalPolicy().version))
    digest = password_hasher.hash(PASSWORD)
    for persona in (*PERSONAS, *(Persona(Role.PEGAWAI, nip) for nip in (CADANGAN, SASARAN_A, PEGAWAI_3, SASARAN_B))):
        uow.identity.add_account(Account(nip=persona.nip, created_at=now, created_by=SYSTEM_ACTOR))
        uow.identity.set_password(persona.nip, digest, now)


def test_hasher() -> PasswordHasher:
    return hasher(TEST_AUTH)


def calendar(now: datetime) -> CycleCalendar:
    """Every deadline weeks away: no reminder or escalation fires while the tests run (a timer that wrote a notice
    mid-test would look like a write by the call under test). The survey window is open."""
    start = now - timedelta(minutes=1)
    return CycleCalendar(
        start=start.isoformat(),
        skp_draft_due="P20D",
        skp_due="P30D",
        survey_opens=start.isoformat(),
        survey_closes="P55D",
        self_assessment_due="P40D",
        review_due="P50D",
        calibration_due="P60D",
        sign_off_due="P70D",
        objection_window="P14D",
        objection_decision_due="P14D",
    )


def past_calendar(now: datetime) -> CycleCalendar:
    """A cycle a month old: every step up to the review is overdue (each appraisal escalates once, at once, and then
    nothing more is due), the review deadline has passed (a cycle is calibrating), the calibration deadline is
    weeks away."""
    start = now - timedelta(days=30)
    return CycleCalendar(
        start=start.isoformat(),
        skp_draft_due=(now - timedelta(days=25)).isoformat(),
        skp_due=(now - timedelta(days=20)).isoformat(),
        survey_opens=start.isoformat(),
        survey_closes=(now - timedelta(days=2)).isoformat(),
        self_assessment_due=(now - timedelta(days=15)).isoformat(),
        review_due=(now - timedelta(days=10)).isoformat(),
        calibration_due=(now + timedelta(days=20)).isoformat(),
        sign_off_due=(now + timedelta(days=30)).isoformat(),
        objection_window="P14D",
        objection_decision_due="P14D",
    )


def deadlines(now: datetime, *, overdue: bool = False) -> Deadlines:
    return resolve(past_calendar(now) if overdue else calendar(now), PERIOD, AppraisalPolicy())


def appraisal_input(appraised: Appraised, cycle_id: str, schedule: Deadlines) -> AppraisalInput:
    return AppraisalInput(
        cycle_id=cycle_id,
        instansi_code=appraised.instansi_code,
        period=PERIOD,
        employee_nip=appraised.nip,
        employee_name=appraised.name,
        unit_code=appraised.unit_code,
        penilai_nip=appraised.penilai_nip,
        atasan_nip=appraised.atasan_nip,
        superiors=list(appraised.superiors),
        supervision_team=list(appraised.supervision_team),
        pengelola_kinerja=list(appraised.pengelola_kinerja),
        deadlines=schedule,
    )
