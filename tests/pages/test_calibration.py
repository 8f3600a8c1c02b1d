"""The calibration pages as the pimpinan and the pengelola kinerja use them in a browser (over ASGI, with the form's
CSRF token), on a real cycle at calibration (tests.web.appraisals: the whole roster of instansi A enrolled, PEGAWAI_1
reviewed Baik, the pimpinan's proposal for an organisation predicate Baik stored):

- the board draws the distribution as an SVG chart (parsed) beside a table of the same numbers, with the pattern's
  violations and the proposal; the pengelola kinerja reads it and is offered no form;
- the pimpinan's change without a justification is refused beside its field, with nothing locked; then the
  organisation predicate is set again and the decision locked (SQLite and PostgreSQL);
- a pegawai is refused the section (403), and a cycle of another instansi does not exist for the pimpinan (404).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.dbs import PostgresDatabases
from tests.pages.browsing import Browser, signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice, open_office
from tests.web.office import APPRAISED_1, PEGAWAI_1, PENGAWAS, PENGELOLA, PIMPINAN

SVG = "{http://www.w3.org/2000/svg}"
NIP = PEGAWAI_1  # the one employee reviewed, whom the proposal moves from Baik to Butuh Perbaikan


@pytest.fixture(scope="module")
async def calibrating(web_office: WebOffice) -> Target:
    return await web_office.appraisals.fresh(Need(APPRAISED_1, calibrating=True))


@pytest.fixture(scope="module")
async def postgres_office(
    postgres_databases: PostgresDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(postgres_databases, dev_env.client) as office:
        yield office


def chart(html: str, chart_id: str) -> ET.Element:
    """The inline SVG `chart_id` of a page, parsed as XML (it must be well-formed)."""
    found = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', html, re.DOTALL)
    assert found, f"no chart {chart_id} on the page"
    return ET.fromstring(found.group(0))


def bar_titles(svg: ET.Element, series: str) -> list[str]:
    titles = []
    for rect in svg.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title")
        if f"chart-bar-{series}" in rect.get("class", "").split() and title is not None and title.text:
            titles.append(title.text)
    return titles


def table_cells(html: str, table_id: str) -> list[list[str]]:
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.DOTALL)
    assert found, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.DOTALL)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)] for r in rows
    ]


async def test_a_pegawai_is_refused_and_another_instansi_has_no_such_cycle(
    web_office: WebOffice, calibrating: Target
) -> None:
    other = web_office.appraisals.cycle_of_instansi_b()
    async with signed_in(web_office, PEGAWAI_1) as employee:
        for path in ("/kalibrasi", f"/kalibrasi/{calibrating.cycle_id}"):
            refused = await employee.get(path)
            assert refused.status_code == 403 and "halaman ini untuk Pimpinan" in refused.text, path
        assert 'href="/kalibrasi"' not in (await employee.get("/")).text  # not in the menu either
    async with signed_in(web_office, PENGAWAS) as supervisor:
        assert (await supervisor.get(f"/kalibrasi/{calibrating.cycle_id}")).status_code == 403
    async with signed_in(web_office, PIMPINAN) as pimpinan:
        listed = await pimpinan.get("/kalibrasi")
        assert listed.status_code == 200 and calibrating.cycle_id in listed.text and other not in listed.text
        for path in (f"/kalibrasi/{other}", "/kalibrasi/TIDAK-ADA"):
            missing = await pimpinan.get(path)
            assert missing.status_code == 404, path
        unknown = await pimpinan.get(f"/kalibrasi/{other}")
        assert f"siklus {other} tidak ditemukan" in unknown.text
        posted = await pimpinan.post(f"/kalibrasi/{other}/usulan", {"predikat_organisasi": "baik"})
        assert posted.status_code == 404


async def test_the_board_draws_the_distribution_against_the_pattern(web_office: WebOffice, calibrating: Target) -> None:
    async with signed_in(web_office, PENGELOLA) as pengelola:
        page = await pengelola.get(f"/kalibrasi/{calibrating.cycle_id}")
    assert page.status_code == 200, page.text
    svg = chart(page.text, "grafik-instansi")
    assert svg.get("role") == "img" and svg.find(f"{SVG}title") is not None
    assert "Hasil penilaian, Baik: 1 pegawai (100%)" in bar_titles(svg, "sekarang")
    assert "Usulan, Butuh Perbaikan: 1 pegawai (100%)" in bar_titles(svg, "usulan")
    assert all("style" not in element.attrib for element in svg.iter())
    counts = {row[0]: row[1] for row in table_cells(page.text, "tabel-instansi")}
    assert (counts["Baik"], counts["Butuh Perbaikan"], counts["Jumlah"]) == ("1", "0", "1")
    rules = table_cells(page.text, "aturan-instansi")
    assert ["Baik paling banyak 70%", "1", "0", "tidak terpenuhi"] in rules
    assert "Baik paling banyak 70%: 1 dari 1 pegawai (100,00%), paling banyak 0" in page.text
    assert 'id="unit-A-BID"' in page.text and chart(page.text, "grafik-A-BID") is not None
    assert f'id="perubahan-{NIP}"' in page.text and "Baik → <strong>Butuh Perbaikan</strong>" in page.text
    # The pengelola kinerja reads; only the pimpinan sets the predicate and decides.
    assert 'id="form-usulan"' not in page.text and 'id="form-putusan"' not in page.text


async def test_a_change_is_refused_without_justification_then_the_decision_is_locked(
    web_office: WebOffice, calibrating: Target
) -> None:
    await _decide(web_office, calibrating)


@pytest.mark.postgres
async def test_the_decision_on_postgresql(postgres_office: WebOffice) -> None:
    await _decide(postgres_office, await postgres_office.appraisals.fresh(Need(APPRAISED_1, calibrating=True)))


async def _decide(office: WebOffice, target: Target) -> None:
    base = f"/kalibrasi/{target.cycle_id}"
    async with signed_in(office, PIMPINAN) as pimpinan:
        fields = await _decision_form(pimpinan, base)
        assert fields[f"ubah-{NIP}"] == ""
        changed = {**fields, f"ubah-{NIP}": "baik", f"alasan-{NIP}": ""}
        refused = await pimpinan.post(f"{base}/putusan", changed)
        assert refused.status_code == 422, refused.text
        assert f'id="alasan-{NIP}-galat"' in refused.text and "tuliskan justifikasi perubahan ini" in refused.text
        assert re.search(rf'<select id="f-ubah-{NIP}"[^>]*>.*?<option value="baik" selected>', refused.text, re.DOTALL)
        # With htmx, the same refusal is the board alone, swapped in place.
        swapped = await pimpinan.post(f"{base}/putusan", changed, headers={"HX-Request": "true"})
        assert swapped.status_code == 422 and swapped.text.lstrip().startswith('<div id="kalibrasi-isi">')
        assert "<html" not in swapped.text
        assert (await office.appraisals.cycle_state(target)).outcome is None

        bad = await pimpinan.post(f"{base}/usulan", {"predikat_organisasi": "luar_biasa", "kunci": "k1"})
        assert bad.status_code == 422 and 'id="predikat_organisasi-galat"' in bad.text
        page = await pimpinan.get(base)
        proposal = form_fields(page.text, "form-usulan")
        proposal.update({"predikat_organisasi": "baik", "rekomendasi_pengelola": "Baik, sesuai capaian IKU"})
        proposed = await pimpinan.post(f"{base}/usulan", proposal)
        assert proposed.status_code == 303 and proposed.headers["location"] == f"{base}?pesan=kalibrasi-diusulkan"
        page = await pimpinan.get(proposed.headers["location"])
        assert "usulan kalibrasi tersimpan" in page.text and "Baik, sesuai capaian IKU" in page.text

        fields = await _decision_form(pimpinan, base)
        locked = await pimpinan.post(f"{base}/putusan", fields)
        assert locked.status_code == 303, locked.text
        assert locked.headers["location"] == f"{base}?pesan=kalibrasi-dikunci"
        page = await pimpinan.get(base)
        assert 'id="keputusan"' in page.text and 'id="form-putusan"' not in page.text
        assert 'id="form-usulan"' not in page.text
        moved = page.text.split('id="predikat-akhir"', 1)[1].split("</table>", 1)[0]  # whom the decision moved
        assert f"<td>{NIP}</td>" in moved and "<strong>Butuh Perbaikan</strong>" in moved
        assert "Keputusan, Butuh Perbaikan: 1 pegawai (100%)" in bar_titles(
            chart(page.text, "grafik-instansi"), "putusan"
        )
    outcome = (await office.appraisals.cycle_state(target)).outcome
    assert outcome is not None and (outcome.decided_by, outcome.accepted, outcome.compliant) == (PIMPINAN, True, True)
    with office.uow_factory() as uow:
        decided = uow.audit.list(action="calibration.decide")
    assert [(e.actor, e.subject) for e in decided if e.subject == target.cycle_id] == [(PIMPINAN, target.cycle_id)]


async def _decision_form(browser: Browser, base: str) -> dict[str, str]:
    """The decision form's fields as a browser sends them: the checked radio is accepting the proposal."""
    page = await browser.get(base)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text, "form-putusan")
    assert fields, "the pimpinan is offered no decision form"
    assert 'value="terima" id="f-keputusan-terima" checked' in page.text
    return {**fields, "keputusan": "terima"}
