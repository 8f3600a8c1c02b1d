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
from tests.web.office import APPRAISED_1, INSTANSI_A, PEGAWAI_1, PENILAI_1, PERIOD, PIMPINAN


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
