"""Beranda: the steps waiting for the signed-in person with their deadline in the cycle's zone, the days left or
overdue and how far an overdue one escalated; their own appraisals with the predicate and their unit's IKM."""

from __future__ import annotations

import re
from decimal import Decimal

from domain.policy import AppraisalPolicy
from domain.stages import Step
from domain.survey import IkmResult
from persistence.ports import CycleSurveyRecord
from tests.pages.browsing import signed_in
from tests.web.appraisals import Need
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, ATASAN_1, INSTANSI_A, PEGAWAI_1, PENILAI_1, PERIOD, PIMPINAN
from workflows.contracts import appraisal_workflow_id


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


async def test_the_employee_sees_what_waits_how_late_and_to_whom_it_escalated(web_office: WebOffice) -> None:
    late = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    reviewed = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SIGN_OFF))
    with web_office.uow_factory() as uow:
        ikm = IkmResult(
            unit="A-BID", response_count=120, unsur=[], complete=True, ni=Decimal("3.54"), ikm=Decimal("88.50"),
            grade="B", label="Baik", unsur_weight=None, population=None, required_sample=None, adequate=True,
            messages=[], policy_version=None,
        )  # fmt: skip
        uow.cycles.save_survey(
            CycleSurveyRecord(
                cycle_id=reviewed.cycle_id,
                instansi_code=INSTANSI_A,
                period=PERIOD,
                units=[ikm],
                policy_version=AppraisalPolicy().version,
            )
        )
        uow.commit()
    async with signed_in(web_office, PEGAWAI_1) as employee:
        home = await employee.get("/")
    assert home.status_code == 200
    tasks = _section(home.text, "tugas")
    item = next(li for li in tasks.split("<li>") if late.cycle_id in li)
    assert "Pegawai menyusun SKP" in tasks and "terlambat" in item
    assert re.search(r"batas \d\d-\d\d-\d{4} \d\d:\d\d WIB", item)
    assert re.search(r"Dieskalasi oleh sistem pada [^<]* kepada Auditor Inspektorat, Kabid Satu", item)

    mine = _section(home.text, "penilaian-saya")
    rows = {cycle: row for row in mine.split("<tr>")[2:] for cycle in re.findall(r">([^<]+)</a>", row)}
    assert "Baik" in rows[reviewed.cycle_id] and "belum final" in rows[reviewed.cycle_id]
    assert "88,50 (mutu B, Baik)" in rows[reviewed.cycle_id]
    assert "belum ada" in rows[late.cycle_id] and "survei" in rows[late.cycle_id]  # the window, until the IKM is in
    assert f'href="/penilaian/{late.cycle_id}/{PEGAWAI_1}"' in mine


async def test_the_penilai_sees_the_step_waiting_for_them_with_the_employees_name(web_office: WebOffice) -> None:
    waiting = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_APPROVAL))
    async with signed_in(web_office, PENILAI_1) as penilai:
        home = await penilai.get("/")
    tasks = _section(home.text, "tugas")
    assert f'href="/penilaian/{waiting.cycle_id}/{PEGAWAI_1}"' in tasks
    assert "Pejabat penilai menyetujui SKP" in tasks and "Maria Yikwa" in tasks
    assert "Belum ada penilaian kinerja atas nama Anda" in home.text


async def test_someone_on_no_roster_has_no_appraisals_of_their_own(web_office: WebOffice) -> None:
    async with signed_in(web_office, PIMPINAN) as pimpinan:
        home = await pimpinan.get("/")
    assert home.status_code == 200
    assert "Tidak ada langkah yang menunggu Anda" in home.text
    assert "Belum ada penilaian kinerja atas nama Anda" in home.text


async def test_an_overdue_step_escalated_to_a_superior_is_on_their_home(web_office: WebOffice) -> None:
    """The ladder of domain.escalation: an employee's overdue step reaches their penilai at the first level (the
    atasan from the second), a penilai's reaches the atasan at the first."""
    employees = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    penilais = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_APPROVAL, overdue=True))
    seen: dict[str, str] = {}
    for nip in (PENILAI_1, ATASAN_1, PEGAWAI_1):
        async with signed_in(web_office, nip) as person:
            home = await person.get("/")
        assert home.status_code == 200, home.text
        seen[nip] = _section(home.text, "diteruskan") if 'id="diteruskan"' in home.text else ""
    with web_office.uow_factory() as uow:
        levels = [uow.worklist.get(appraisal_workflow_id(t.cycle_id, PEGAWAI_1)) for t in (employees, penilais)]
    assert levels[0] is not None and levels[1] is not None and levels[0].escalation_level >= 1
    assert f'href="/penilaian/{employees.cycle_id}/{PEGAWAI_1}"' in seen[PENILAI_1]
    assert "Pegawai menyusun SKP" in seen[PENILAI_1] and "Maria Yikwa" in seen[PENILAI_1]
    assert f"eskalasi tingkat {levels[0].escalation_level}" in seen[PENILAI_1] and "terlambat" in seen[PENILAI_1]
    assert penilais.cycle_id not in seen[PENILAI_1]  # their own step: in their tasks, not escalated to them
    assert f'href="/penilaian/{penilais.cycle_id}/{PEGAWAI_1}"' in seen[ATASAN_1]
    # the employee's step climbs to the atasan at its second level
    assert (employees.cycle_id in seen[ATASAN_1]) == (levels[0].escalation_level >= 2)
    assert seen[PEGAWAI_1] == ""
