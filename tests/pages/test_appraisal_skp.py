"""One appraisal's page and its SKP, as people use them in a browser (over ASGI, with the form's CSRF token): the
employee drafts, submits, is returned with a note, revises and submits again, and the pejabat penilai approves, on
SQLite and on PostgreSQL; a bad edit is refused beside its field with nothing stored; someone of another instansi is
told the appraisal does not exist."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.stages import Step
from tests.dbs import PostgresDatabases
from tests.pages.browsing import Browser, signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice, open_office
from tests.web.office import (
    APPRAISED_1,
    ATASAN_1,
    CADANGAN,
    OPERATOR,
    PEGAWAI_1,
    PEGAWAI_3,
    PENGAWAS,
    PENILAI_1,
    PERIOD,
)
from workflows.contracts import appraisal_workflow_id

NOTE = "Indikator kualitas harus mengacu pada IKU kepuasan layanan"


@pytest.fixture(scope="module")
async def postgres_office(
    postgres_databases: PostgresDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(postgres_databases, dev_env.client) as office:
        yield office


def _base(target: Target) -> str:
    return f"/penilaian/{target.cycle_id}/{target.nip}"


def _stored(office: WebOffice) -> tuple[int | None, str, list[str]]:
    """The stored draft's version, status and RHK texts."""
    with office.uow_factory() as uow:
        record = uow.skp.get(PEGAWAI_1, PERIOD)
    assert record is not None
    return record.version, record.status, [r.text for r in record.skp.rhk]


def _saved_entries(office: WebOffice, target: Target) -> int:
    workflow_id = appraisal_workflow_id(target.cycle_id, target.nip)
    with office.uow_factory() as uow:
        return len(uow.audit.list(workflow_id=workflow_id, action="skp.draft_saved"))


async def _edit_form(browser: Browser, target: Target) -> dict[str, str]:
    page = await browser.get(f"{_base(target)}/skp")
    assert page.status_code == 200, page.text
    fields = form_fields(page.text, "skp-form")
    assert fields, "the SKP page shows no edit form"
    return fields


async def _save(browser: Browser, target: Target, fields: dict[str, str]) -> None:
    saved = await browser.post(f"{_base(target)}/skp", {**fields, "aksi": "simpan"})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].endswith("/skp?pesan=skp-tersimpan")


async def _step(browser: Browser, target: Target, action: str, data: dict[str, str] | None = None) -> None:
    page = await browser.get(f"{_base(target)}/skp")
    form_id = {"ajukan": "skp-ajukan", "setujui": "skp-setujui", "kembalikan": "skp-kembalikan"}[action]
    fields = form_fields(page.text, form_id)
    assert fields, f"no form {form_id} for this person"
    sent = await browser.post(f"{_base(target)}/skp/{action}", {**fields, **(data or {})})
    assert sent.status_code == 303, sent.text


async def test_an_skp_is_drafted_returned_revised_resubmitted_and_approved(web_office: WebOffice) -> None:
    await _journey(web_office)


@pytest.mark.postgres
async def test_the_same_on_postgresql(postgres_office: WebOffice) -> None:
    await _journey(postgres_office)


async def _journey(office: WebOffice) -> None:
    target = await office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    base = _base(target)
    async with signed_in(office, PEGAWAI_1) as employee:
        overview = await employee.get(base)
        assert overview.status_code == 200
        assert 'id="tindakan-anda"' in overview.text and f'href="{base}/skp"' in overview.text
        fields = await _edit_form(employee, target)
        assert fields["rhk-0-teks"] == "Data kependudukan terverifikasi tepat waktu"
        assert fields["rhk-0-ind-0-target"] == "1200" and fields["rhk-0-jenis"] == "utama"
        # Another RHK, added with the form's own button (no JavaScript), then filled in and saved.
        added = await employee.post(f"{base}/skp", {**fields, "tambah": "rhk"})
        assert added.status_code == 200 and "Perubahan belum disimpan" in added.text
        fields = form_fields(added.text, "skp-form")
        fields.update(
            {
                "rhk-0-ind-0-target": "1.250",
                "rhk-1-jenis": "tambahan",
                "rhk-1-teks": "Pelayanan keliling ke distrik",
                "rhk-1-ind-0-teks": "Distrik yang dikunjungi",
                "rhk-1-ind-0-aspek": "kuantitas",
                "rhk-1-ind-0-target": "4",
                "rhk-1-ind-0-satuan": "distrik",
                "perilaku-0": "Melayani tanpa diskriminasi",
            }
        )
        await _save(employee, target, fields)
        _version, status, texts = _stored(office)
        assert status == "draft" and texts[1] == "Pelayanan keliling ke distrik"
        await _step(employee, target, "ajukan")
    state = await office.appraisals.state(target)
    assert state.step is Step.SKP_APPROVAL and state.skp is not None and len(state.skp.rhk) == 2
    assert state.skp.rhk[0].indicators[0].target.value == 1250

    async with signed_in(office, PENILAI_1) as penilai:
        page = await penilai.get(f"{base}/skp")
        assert "Pelayanan keliling ke distrik" in page.text and 'id="skp-form"' not in page.text
        refused = await penilai.post(f"{base}/skp/kembalikan", {**form_fields(page.text, "skp-kembalikan")})
        assert refused.status_code == 422
        assert 'id="f-kembalikan-catatan-galat"' in refused.text and "catatan pengembalian SKP wajib" in refused.text
        await _step(penilai, target, "kembalikan", {"catatan": NOTE})
    state = await office.appraisals.state(target)
    assert (state.step, state.skp_returns) == (Step.SKP_DRAFTING, 1)

    async with signed_in(office, PEGAWAI_1) as employee:
        page = await employee.get(f"{base}/skp")
        assert 'id="catatan-pengembalian"' in page.text and NOTE in page.text
        fields = form_fields(page.text, "skp-form")
        fields["rhk-1-teks"] = "Pelayanan keliling ke distrik terpencil"
        await _save(employee, target, fields)
        await _step(employee, target, "ajukan")
    state = await office.appraisals.state(target)
    assert state.step is Step.SKP_APPROVAL and state.skp is not None
    assert state.skp.rhk[1].text == "Pelayanan keliling ke distrik terpencil"  # the revision, not the first one

    async with signed_in(office, PENILAI_1) as penilai:
        await _step(penilai, target, "setujui", {"catatan": "Sudah sesuai"})
        overview = await penilai.get(base)
        timeline = overview.text[overview.text.index('id="riwayat"') :]
        for label in ("Setujui SKP", "Kembalikan SKP", "Ajukan SKP"):
            assert label in timeline
        assert NOTE in timeline
    state = await office.appraisals.state(target)
    assert state.step is Step.SELF_ASSESSMENT
    assert _stored(office)[1] == "approved"
    assert _saved_entries(office, target) == 2


@pytest.mark.parametrize(
    ("field", "typed", "words"),
    [
        ("rhk-0-teks", "", "uraian RHK wajib diisi"),
        ("rhk-0-ind-0-target", "-5", "target harus lebih besar dari 0"),
        ("rhk-0-acuan", "iku:TIDAK-ADA", "kode IKU &#39;TIDAK-ADA&#39; tidak dikenal"),
        ("rhk-0-ind-0-teks", "Berkas\x07 diverifikasi", "karakter kendali U+0007"),
        ("rhk-0-teks", "x" * 501, "paling panjang 500"),
    ],
    ids=["empty RHK", "negative target", "missing IKU", "control character", "too long"],
)
async def test_a_bad_edit_is_refused_beside_its_field_and_nothing_is_stored(
    web_office: WebOffice, field: str, typed: str, words: str
) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING))
    before, saved = _stored(web_office), _saved_entries(web_office, target)
    async with signed_in(web_office, PEGAWAI_1) as employee:
        fields = await _edit_form(employee, target)
        refused = await employee.post(f"{_base(target)}/skp", {**fields, field: typed, "aksi": "simpan"})
    assert refused.status_code == 422
    assert f'id="{field}-galat"' in refused.text and words in refused.text
    assert 'role="alert"' in refused.text  # the summary above the form
    kept = form_fields(refused.text, "skp-form")
    assert kept[field] == typed
    assert kept["rhk-0-ind-1-teks"] == "Berkas tanpa kesalahan"  # the rest of what was typed is kept too
    assert _stored(web_office) == before and _saved_entries(web_office, target) == saved


async def test_a_save_from_a_page_read_before_another_save_is_refused(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING))
    async with signed_in(web_office, PEGAWAI_1) as employee:
        fields = await _edit_form(employee, target)
        stale = {**fields, "versi": str(int(fields["versi"]) - 1), "rhk-0-teks": "Dari tab lama", "aksi": "simpan"}
        before = _stored(web_office)
        refused = await employee.post(f"{_base(target)}/skp", stale)
    assert refused.status_code == 409 and "muat ulang" in refused.text
    assert form_fields(refused.text, "skp-form")["rhk-0-teks"] == "Dari tab lama"
    assert _stored(web_office) == before


async def test_a_row_is_added_or_removed_in_place_with_htmx(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING))
    async with signed_in(web_office, PEGAWAI_1) as employee:
        fields = await _edit_form(employee, target)
        htmx = {"HX-Request": "true"}
        added = await employee.post(f"{_base(target)}/skp", {**fields, "tambah": "ind-0"}, headers=htmx)
        assert added.status_code == 200
        assert added.text.lstrip().startswith("<form") and "<html" not in added.text
        assert 'id="f-rhk-0-ind-2-teks"' in added.text
        removed = await employee.post(f"{_base(target)}/skp", {**fields, "hapus": "rhk-0-ind-0"}, headers=htmx)
        assert form_fields(removed.text, "skp-form")["rhk-0-ind-0-teks"] == "Berkas tanpa kesalahan"


async def test_a_take_over_needs_a_reason_and_the_penilai_may_not_edit(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING))
    before = _stored(web_office)
    async with signed_in(web_office, PENGAWAS) as pengawas:
        fields = await _edit_form(pengawas, target)
        assert "alasan" in fields
        refused = await pengawas.post(f"{_base(target)}/skp", {**fields, "aksi": "simpan"})
        assert refused.status_code == 422 and 'id="alasan-galat"' in refused.text
        # The step refuses a take-over without its reason too, beside the submit form's field.
        page = await pengawas.get(f"{_base(target)}/skp")
        refused = await pengawas.post(f"{_base(target)}/skp/ajukan", form_fields(page.text, "skp-ajukan"))
        assert refused.status_code == 422 and 'id="f-ajukan-alasan-galat"' in refused.text
    assert (await web_office.appraisals.state(target)).step is Step.SKP_DRAFTING
    async with signed_in(web_office, PENILAI_1) as penilai:
        page = await penilai.get(f"{_base(target)}/skp")
        assert 'id="skp-form"' not in page.text and "Draf SKP (belum diajukan)" in page.text
        forbidden = await penilai.post(f"{_base(target)}/skp", {**fields, "aksi": "simpan"})
        assert forbidden.status_code == 403
    assert _stored(web_office) == before


@pytest.mark.parametrize("stranger", [PEGAWAI_3, CADANGAN], ids=["another instansi", "no part in it"])
async def test_someone_with_no_part_in_the_appraisal_is_told_it_does_not_exist(
    web_office: WebOffice, stranger: str
) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING))
    before = _stored(web_office)
    async with signed_in(web_office, stranger) as browser:
        for path in (_base(target), f"{_base(target)}/skp"):
            page = await browser.get(path)
            assert page.status_code == 404 and "tidak ditemukan" in page.text
        for path in ("/skp", "/skp/ajukan"):
            sent = await browser.post(_base(target) + path, {"rhk-0-teks": "Diubah orang lain", "aksi": "simpan"})
            assert sent.status_code == 404
    assert _stored(web_office) == before


async def test_the_appraisal_page_says_who_must_act_by_when_and_how_far_it_escalated(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    async with signed_in(web_office, ATASAN_1) as atasan:
        page = await atasan.get(_base(target))
    assert page.status_code == 200
    facts = page.text[page.text.index('id="keadaan-penilaian"') :]
    assert "Penyusunan SKP" in facts and "Pegawai menyusun SKP" in facts
    assert re.search(r'id="pelaku">\s*Maria Yikwa', facts)
    assert re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d WIB", facts) and "terlambat" in facts
    assert re.search(r'id="eskalasi">.*tingkat \d', facts, re.S) and "kepada Auditor Inspektorat" in facts  # names
    assert "Tidak ada langkah untuk Anda" in page.text  # the atasan reads; the employee acts
    assert "Eskalasi: batas waktu terlewati" in page.text[page.text.index('id="riwayat"') :]


@pytest.mark.parametrize(
    ("nip", "pages"),
    [(PENGAWAS, ["skp", "tindakan"]), (OPERATOR, ["riwayat"]), (PENILAI_1, [])],
    ids=["tim pengawasan", "operator", "penilai"],
)
async def test_each_person_is_offered_the_pages_of_what_they_may_do_now(
    web_office: WebOffice, nip: str, pages: list[str]
) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING))
    async with signed_in(web_office, nip) as browser:
        page = await browser.get(_base(target))
    offered = re.findall(rf'class="button" href="{re.escape(_base(target))}/([a-z]+)"', page.text)
    assert offered == pages
