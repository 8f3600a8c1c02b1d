"""A cycle on the kepegawaian pages, on the dev server with a real worker: the admin kepegawaian starts one with the
API's start body as a form (a bad calendar refused beside its field), follows the enrolment on the progress bar htmx
polls until it reaches 100%, and reads the cycle's status; the report of a cycle at calibration opens as a page and
downloads as XLSX (openpyxl loads it) and CSV (with its header); someone who joined during the year is marked
with the day their partial period starts. A pegawai is refused; another instansi's cycle is
not found.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import openpyxl

from services.report_files import EMPLOYEE_HEADERS
from tests.pages.browsing import Browser, signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice
from tests.web.office import (
    ADMIN,
    APPRAISED_1,
    INSTANSI_A,
    PEGAWAI_1,
    PENGELOLA,
    PERIOD,
    people_of,
)
from workflows.cycle_contracts import CyclePhase

CYCLES = f"/kepegawaian/instansi/{INSTANSI_A}/siklus"
PROGRESS_TIMEOUT = 60


def _calendar(now: datetime) -> dict[str, str]:
    """Every deadline weeks away (as tests.web.office.calendar): nothing falls due while the test runs."""
    start = (now - timedelta(minutes=1)).isoformat(timespec="seconds")
    return {
        "start": start,
        "skp_draft_due": "P20D",
        "skp_due": "P30D",
        "survey_opens": start,
        "survey_closes": "P55D",
        "self_assessment_due": "P40D",
        "review_due": "P50D",
        "calibration_due": "P60D",
        "sign_off_due": "P70D",
        "objection_window": "P14D",
        "objection_decision_due": "P14D",
    }


async def test_a_cycle_started_from_the_form_is_followed_to_100_percent(web_office: WebOffice) -> None:
    cycle_id = web_office.appraisals.new_cycle_id("mulai")
    async with signed_in(web_office, ADMIN) as admin:
        page = await admin.get(CYCLES)
        fields = form_fields(page.text, "form-mulai-siklus")
        assert fields, "the admin is offered no start form"
        fields.update({"periode": str(PERIOD), "siklus": cycle_id, **_calendar(datetime.now(UTC))})

        backwards = await admin.post(CYCLES, {**fields, "skp_due": "P10D"})  # before the drafting deadline
        assert backwards.status_code == 422, backwards.text
        assert 'id="skp_due-galat"' in backwards.text and 'value="P10D"' in backwards.text
        no_period = await admin.post(CYCLES, {**fields, "periode": ""})
        assert no_period.status_code == 422 and 'id="periode-galat"' in no_period.text
        crowd = await admin.post(CYCLES, {**fields, "populasi": "A-BID 40"})
        assert crowd.status_code == 422 and 'id="populasi-galat"' in crowd.text

        started = await admin.post(CYCLES, {**fields, "populasi": "A-BID=40\n"})
        assert started.status_code == 303, started.text
        status_path = f"/kepegawaian/siklus/{cycle_id}"
        assert started.headers["location"] == f"{status_path}?pesan=siklus-dimulai"
        target = Target(INSTANSI_A, cycle_id, cycle_workflow=True)
        try:
            page = await admin.get(started.headers["location"])
            assert page.status_code == 200 and "Siklus dimulai" in page.text
            assert "<progress" in page.text and 'id="kemajuan"' in page.text
            assert f'action="{status_path}/dokumen"' in page.text  # a unit's evaluation documents

            polled = await _until_complete(admin, f"{status_path}/kemajuan")
            assert "<html" not in polled and 'value="100"' in polled and "hx-trigger" not in polled
            # the status page's stage follows (out of band): it said Pendaftaran pegawai until reloaded
            stage = re.search(r'<dd id="tahap-siklus" hx-swap-oob="true">([^<]*)</dd>', polled)
            assert stage is not None and stage[1] not in ("", CyclePhase.ENROLLING.label)
            active = sum(1 for p in people_of(INSTANSI_A) if p.active)
            assert f"dari {active} pegawai aktif terbaca" in polled
            whole = await admin.get(f"{status_path}/kemajuan")  # without htmx: the status page itself
            assert "<html" in whole.text and 'id="kalender-siklus"' in whole.text
            assert "Batas penyusunan SKP oleh pegawai" in whole.text  # the label's own capitals kept
            assert "Muat ulang" not in whole.text
            again = await admin.post(CYCLES, {**fields, "populasi": "A-BID=40"})  # safe to repeat
            assert again.status_code == 303

            # The working days changed: the admin has the deadlines counted again (none is in hari kerja here, so
            # none moves), recorded with the reason; a reason with a control character is refused beside its field.
            recount = form_fields(whole.text, "form-hitung-ulang")
            assert recount and recount["kunci"], "the admin is offered no recount form"
            bad = await admin.post(f"{status_path}/kalender", {**recount, "alasan": "SKB\x00"})
            assert bad.status_code == 422 and 'id="alasan-galat"' in bad.text, bad.text
            counted = await admin.post(f"{status_path}/kalender", {**recount, "alasan": "SKB cuti bersama 2026"})
            assert counted.status_code == 303, counted.text
            assert counted.headers["location"] == f"{status_path}?pesan=kalender-dihitung"
            twice = await admin.post(f"{status_path}/kalender", {**recount, "alasan": "SKB cuti bersama 2026"})
            assert twice.status_code == 303  # the same form sent again: the same Update, taken once
        finally:
            await web_office.appraisals.follow(target)
    with web_office.uow_factory() as uow:
        starts = [e for e in uow.audit.list(action="cycle.start") if e.subject == cycle_id]
        recounts = [e for e in uow.audit.list(action="cycle.change_calendar") if e.subject == cycle_id]
    assert [(e.actor, e.subject) for e in starts] == [(ADMIN, cycle_id)]
    assert [(e.actor, e.reason) for e in recounts] == [(ADMIN, "SKB cuti bersama 2026")]

    async with signed_in(web_office, PENGELOLA) as pengelola:
        page = await pengelola.get(CYCLES)
        assert page.status_code == 200 and cycle_id in page.text and 'id="form-mulai-siklus"' not in page.text
        refused = await pengelola.post(CYCLES, {"periode": str(PERIOD)})
        assert refused.status_code == 403
        status = await pengelola.get(f"/kepegawaian/siklus/{cycle_id}")
        assert status.status_code == 200 and 'id="form-hitung-ulang"' not in status.text
        assert (await pengelola.post(f"/kepegawaian/siklus/{cycle_id}/kalender", {"alasan": "x"})).status_code == 403


async def _until_complete(browser: Browser, path: str) -> str:
    """Poll the progress fragment as htmx does (`HX-Request`) until the enrolment is done; the fragment of a running
    enrolment asks to be polled again."""
    deadline = time.monotonic() + PROGRESS_TIMEOUT
    while True:
        response = await browser.http.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200, response.text
        assert response.text.lstrip().startswith('<div id="kemajuan"')
        if 'value="100"' in response.text:
            return response.text
        assert 'hx-trigger="every 2s"' in response.text
        assert time.monotonic() < deadline, "the enrolment never reached 100%"
        await asyncio.sleep(0.3)


async def test_the_report_as_a_page_and_as_downloads(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, calibrating=True))
    base = f"/kepegawaian/siklus/{target.cycle_id}/laporan"
    joined = date(PERIOD, 7, 1)
    with _joined(web_office, PEGAWAI_1, joined):
        async with signed_in(web_office, PENGELOLA) as pengelola:
            page = await pengelola.get(base)
            partial = await pengelola.get(f"{base}.csv")
    assert page.status_code == 200, page.text
    assert f"sebagian periode, sejak {joined:%d-%m-%Y}" in page.text
    assert next(csv.DictReader(io.StringIO(partial.text)))["sebagian_sejak"] == joined.isoformat()
    async with signed_in(web_office, PENGELOLA) as pengelola:
        page = await pengelola.get(base)
        assert page.status_code == 200, page.text
        assert "Laporan sementara" in page.text and f"<td>{PEGAWAI_1}</td>" in page.text
        assert "sebagian periode" not in page.text
        assert re.search(r'<table id="laporan-unit">.*A-BID', page.text, re.DOTALL)

        sheet = await pengelola.get(f"{base}.xlsx")
        assert sheet.status_code == 200
        assert sheet.headers["content-disposition"] == f'attachment; filename="laporan-{target.cycle_id}.xlsx"'
        book = openpyxl.load_workbook(io.BytesIO(sheet.content), read_only=True)
        assert book.sheetnames == ["Pegawai", "Unit", "Ditarik"]
        rows = list(book["Pegawai"].iter_rows(values_only=True))
        assert list(rows[0]) == EMPLOYEE_HEADERS and [r[0] for r in rows[1:]] == [PEGAWAI_1]

        table = await pengelola.get(f"{base}.csv")
        assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
        assert table.headers["content-disposition"] == f'attachment; filename="laporan-{target.cycle_id}.csv"'
        lines = list(csv.reader(io.StringIO(table.text)))
        assert lines[0] == EMPLOYEE_HEADERS and lines[1][:4] == [PEGAWAI_1, APPRAISED_1.name, "A-BID", "Baik"]

    async with signed_in(web_office, PEGAWAI_1) as employee:
        for path in (base, f"{base}.csv", f"/kepegawaian/siklus/{target.cycle_id}"):
            assert (await employee.get(path)).status_code == 403, path
    other = web_office.appraisals.cycle_of_instansi_b()
    async with signed_in(web_office, ADMIN) as admin:
        for path in (f"/kepegawaian/siklus/{other}", f"/kepegawaian/siklus/{other}/laporan.xlsx"):
            missing = await admin.get(path)
            assert missing.status_code == 404 and "tidak ditemukan" in missing.text, path


@contextmanager
def _joined(office: WebOffice, nip: str, day: date) -> Iterator[None]:
    """`nip` joined the instansi on `day` (TMT masuk, as a roster import sets it) while the block runs."""

    def set_joined(joined_on: date | None) -> None:
        with office.uow_factory() as uow:
            employee = uow.employees.get(nip)
            instansi = uow.employees.instansi_of(nip)
            assert employee is not None and instansi is not None
            uow.employees.save(employee.model_copy(update={"joined_on": joined_on}), instansi)
            uow.commit()

    set_joined(day)
    try:
        yield
    finally:
        set_joined(None)
