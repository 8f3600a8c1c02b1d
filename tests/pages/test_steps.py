"""The later steps of an appraisal as people take them in a browser (over ASGI, with the form's CSRF token): the
employee sends the realisation with a file and a link, the capaian shown as typed; the pejabat penilai reviews,
an override refused without its reason beside its field and what was chosen kept, then sent with one; after the
calibration the penilai signs, the employee objects within the 14 days shown, and the atasan decides. Each form is
shown only to whoever may use it then. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.evidence import reference
from domain.ratings import Expectation, Predicate
from domain.stages import Role, Step
from tests.dbs import PostgresDatabases
from tests.evidence_samples import PDF
from tests.pages.browsing import Browser, signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice, open_office
from tests.web.office import APPRAISED_1, ATASAN_1, PEGAWAI_1, PENGAWAS, PENILAI_1

LINK = "https://drive.example.go.id/kinerja/verifikasi-mutu.pdf"
OVERRIDE = "Verifikasi melampaui target di seluruh distrik, termasuk yang terpencil"
OBJECTION = "Kalibrasi tidak mempertimbangkan pelayanan keliling yang saya lakukan"
DECISION = "Pelayanan keliling terbukti dari laporan distrik; predikat dinaikkan"
CALIBRATION_REASON = "Hasil rapat kalibrasi instansi, pola distribusi terpenuhi"


@pytest.fixture(scope="module")
async def postgres_office(
    postgres_databases: PostgresDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(postgres_databases, dev_env.client) as office:
        yield office


def _base(target: Target) -> str:
    return f"/penilaian/{target.cycle_id}/{target.nip}"


def _ticked(html: str, name: str) -> list[str]:
    """The values of the checked boxes named `name` (tests.pages.form_fields keeps every box's value)."""
    found = re.findall(rf'<input type="checkbox" id="[^"]+" name="{name}" value="([^"]+)"( checked)?>', html)
    return [value for value, checked in found if checked]


def _without_boxes(fields: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in fields.items() if not name.startswith("bukti-")}


async def test_an_appraisal_passes_its_later_steps_in_a_browser(web_office: WebOffice) -> None:
    await _journey(web_office)


@pytest.mark.postgres
async def test_the_same_on_postgresql(postgres_office: WebOffice) -> None:
    await _journey(postgres_office)


async def _journey(office: WebOffice) -> None:
    target = await office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    base = _base(target)
    ref = await _self_assessment(office, target)
    await _review(office, target, ref)

    calibrated = await office.http.post(
        f"/api/v1/cycles/{target.cycle_id}/appraisals/{target.nip}/steps/calibration",
        json={"predikat": Predicate.BAIK.value, "alasan": CALIBRATION_REASON},
        headers={"Authorization": f"Bearer {office.tokens[Role.PENGELOLA_KINERJA]}"},
    )
    assert calibrated.status_code == 200, calibrated.text
    assert (await office.appraisals.state(target)).step is Step.SIGN_OFF

    async with signed_in(office, PEGAWAI_1) as employee:
        page = await employee.get(f"{base}/penetapan")
        assert page.status_code == 200
        assert 'id="tindakan-anda"' in page.text  # nothing for the employee before the sign-off
        assert not re.search(r'id="form-(tetapkan|terima|keberatan|putuskan)"', page.text)
    async with signed_in(office, PENILAI_1) as penilai:
        await _send(penilai, f"{base}/penetapan", "form-tetapkan", {"catatan": "Ditetapkan setelah kalibrasi"})
    state = await office.appraisals.state(target)
    assert state.step is Step.OBJECTION_WINDOW and state.signed_at is not None

    async with signed_in(office, PEGAWAI_1) as employee:
        page = await employee.get(f"{base}/penetapan")
        left = re.search(r'id="sisa-hari-keberatan">([^<]+)<', page.text)
        assert left is not None and re.fullmatch(r"1[34] hari lagi", left.group(1)), left
        assert 'id="form-terima"' in page.text and 'id="form-keberatan"' in page.text
        refused = await employee.post(
            f"{base}/penetapan/keberatan", {**form_fields(page.text, "form-keberatan"), "alasan": "tidak"}
        )
        assert refused.status_code == 422
        assert 'id="f-keberatan-alasan-galat"' in refused.text
        assert form_fields(refused.text, "form-keberatan")["alasan"] == "tidak"  # what was typed is kept
        await _send(employee, f"{base}/penetapan", "form-keberatan", {"alasan": OBJECTION})
    assert (await office.appraisals.state(target)).step is Step.OBJECTION_REVIEW

    async with signed_in(office, PENILAI_1) as penilai:
        page = await penilai.get(f"{base}/penetapan")
        assert OBJECTION in page.text and 'id="form-putuskan"' not in page.text
    async with signed_in(office, ATASAN_1) as atasan:
        await _send(
            atasan, f"{base}/penetapan", "form-putuskan", {"predikat": Predicate.SANGAT_BAIK.value, "alasan": DECISION}
        )
        page = await atasan.get(f"{base}/penetapan?pesan=terkirim")
        assert "predikat diubah menjadi Sangat Baik" in page.text and DECISION in page.text
        assert 'id="form-putuskan"' not in page.text
    state = await office.appraisals.state(target)
    assert state.step is Step.FINAL and state.predicate is Predicate.SANGAT_BAIK
    assert state.objection is not None and state.objection.predicate_before is Predicate.BAIK


async def _self_assessment(office: WebOffice, target: Target) -> str:
    """The employee fills in the realisation (a file on the first indicator, a link on the second) and sends it;
    the reference of the stored file."""
    base = _base(target)
    async with signed_in(office, PEGAWAI_1) as employee:
        page = await employee.get(f"{base}/realisasi")
        assert page.status_code == 200, page.text
        fields = form_fields(page.text, "form-realisasi")
        assert {"realisasi-0", "realisasi-1", "tautan-1", "catatan-0"} <= fields.keys()
        assert 'id="polaritas-0">Maksimal' in page.text
        # As one types (htmx): the capaian of the row, as a fragment.
        typed = await employee.http.post(
            f"{base}/realisasi/capaian",
            data={"realisasi-0": "1.210"},
            headers={"HX-Request": "true", "X-CSRF-Token": employee.csrf},
        )
        assert typed.status_code == 200, typed.text
        assert 'id="capaian-0"' in typed.text and "100,83%" in typed.text and "<html" not in typed.text

        # Without JavaScript: "Hitung capaian" stores the file and shows every capaian.
        fields.update({"realisasi-0": "1.210", "realisasi-1": "98,2", "tautan-1": LINK, "catatan-0": "Triwulan I-IV"})
        preview = await employee.post(
            f"{base}/realisasi",
            {**fields, "aksi": "pratinjau"},
            files=[("berkas-0", ("laporan triwulan.pdf", PDF, "application/pdf"))],
        )
        assert preview.status_code == 200, preview.text
        assert "100,83%" in preview.text and "100,20%" in preview.text
        ref = reference(hashlib.sha256(PDF).hexdigest())
        assert _ticked(preview.text, "bukti-0") == [ref] and _ticked(preview.text, "bukti-1") == []
        kept = form_fields(preview.text, "form-realisasi")
        assert kept["realisasi-0"] == "1.210" and kept["tautan-1"] == LINK  # what was typed is kept

        sent = await employee.post(f"{base}/realisasi", {**_without_boxes(kept), "bukti-0": ref, "aksi": "kirim"})
        assert sent.status_code == 303, sent.text
        done = await employee.get(sent.headers["location"])
        assert 'id="tabel-realisasi"' in done.text and "laporan triwulan.pdf" in done.text
        assert 'id="form-realisasi"' not in done.text

        sha = ref.removeprefix("kinerja://bukti/")
        download = await employee.http.get(f"{base}/bukti/{sha}")
        assert download.status_code == 200 and download.content == PDF
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''laporan%20triwulan.pdf" in download.headers["content-disposition"]
        assert download.headers["x-content-type-options"] == "nosniff"

    state = await office.appraisals.state(target)
    assert state.step is Step.SUPERVISOR_REVIEW
    assert [r.evidence for r in state.realisations] == [[ref], [LINK]]
    assert [str(a.percent) for a in state.achievements] == ["100.83", "100.20"]
    return ref


async def _review(office: WebOffice, target: Target, ref: str) -> None:
    base = _base(target)
    async with signed_in(office, PENILAI_1) as penilai:
        page = await penilai.get(f"{base}/nilai")
        assert page.status_code == 200, page.text
        assert 'id="saran"><strong>Sesuai Ekspektasi' in page.text
        assert 'id="ikm-unit"' in page.text and "survei masih dibuka" in page.text
        assert f'href="{base}/bukti/{ref.removeprefix("kinerja://bukti/")}"' in page.text
        assert f'href="{LINK}"' in page.text
        fields = form_fields(page.text, "form-nilai")
        assert 'id="f-hasil_kerja-meets" name="hasil_kerja" value="meets" checked' in page.text  # the suggestion

        matrix = await penilai.http.post(
            f"{base}/nilai/matriks",
            data={"hasil_kerja": "above", "perilaku": "above"},
            headers={"HX-Request": "true", "X-CSRF-Token": penilai.csrf},
        )
        assert matrix.status_code == 200 and "<html" not in matrix.text
        assert "Predikat dari pilihan ini: <strong>Sangat Baik</strong>" in matrix.text
        assert 'id="alasan-wajib"' in matrix.text

        chosen = {
            **fields,
            "hasil_kerja": Expectation.ABOVE.value,
            "perilaku": Expectation.ABOVE.value,
            "umpan_balik": "Pertahankan pelayanan keliling",
            "alasan": "",
        }
        refused = await penilai.post(f"{base}/nilai", {**chosen, "aksi": "kirim"})
        assert refused.status_code == 422, refused.text
        assert 'id="alasan-galat"' in refused.text and "tuliskan alasannya" in refused.text
        assert 'value="above" checked' in refused.text  # the choices are kept ...
        assert form_fields(refused.text, "form-nilai")["umpan_balik"] == "Pertahankan pelayanan keliling"  # and text
        assert 'class="terpilih"' in refused.text and "<strong>Sangat Baik</strong>" in refused.text
        assert (await office.appraisals.state(target)).step is Step.SUPERVISOR_REVIEW

        sent = await penilai.post(f"{base}/nilai", {**chosen, "alasan": OVERRIDE, "aksi": "kirim"})
        assert sent.status_code == 303, sent.text
    state = await office.appraisals.state(target)
    assert state.step is Step.AWAITING_CALIBRATION and state.review is not None
    assert state.review.hasil_kerja.overridden and state.review.hasil_kerja.reason == OVERRIDE
    assert state.review.result.predicate is Predicate.SANGAT_BAIK


async def _send(browser: Browser, page_path: str, form_id: str, data: dict[str, str]) -> None:
    """Fill in and send the form `form_id` of the page; it must be taken (303)."""
    page = await browser.get(page_path)
    fields = form_fields(page.text, form_id)
    assert fields, f"no form {form_id} on {page_path} for this person"
    action = re.search(rf'action="([^"]+)" id="{form_id}"', page.text)
    assert action is not None
    sent = await browser.post(action.group(1), {**fields, **data})
    assert sent.status_code == 303, sent.text


async def test_a_value_the_step_cannot_take_is_refused_beside_its_field(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    base = _base(target)
    async with signed_in(web_office, PEGAWAI_1) as employee:
        page = await employee.get(f"{base}/realisasi")
        fields = {**_without_boxes(form_fields(page.text, "form-realisasi")), "realisasi-0": "-5", "realisasi-1": ""}
        refused = await employee.post(f"{base}/realisasi", {**fields, "tautan-1": "ftp://lama", "aksi": "kirim"})
    assert refused.status_code == 422, refused.text
    assert 'id="realisasi-0-galat"' in refused.text and "tidak boleh negatif" in refused.text
    assert 'id="realisasi-1-galat"' in refused.text and "wajib diisi" in refused.text
    kept = form_fields(refused.text, "form-realisasi")
    assert (kept["realisasi-0"], kept["tautan-1"]) == ("-5", "ftp://lama")
    assert (await web_office.appraisals.state(target)).step is Step.SELF_ASSESSMENT


async def test_the_employee_accepts_and_only_they_and_a_take_over_see_the_forms(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.OBJECTION_WINDOW))
    base = _base(target)
    async with signed_in(web_office, ATASAN_1) as atasan:
        page = await atasan.get(f"{base}/penetapan")
        assert page.status_code == 200 and 'id="tindakan-anda"' in page.text
        assert not re.search(r'id="form-(tetapkan|terima|keberatan|putuskan)"', page.text)
    async with signed_in(web_office, PENGAWAS) as pengawas:  # a take-over: acknowledging needs its reason
        page = await pengawas.get(f"{base}/penetapan")
        assert 'id="form-terima"' in page.text and 'id="f-terima-alasan"' in page.text
        assert 'id="form-keberatan"' not in page.text  # only the employee objects
    async with signed_in(web_office, PEGAWAI_1) as employee:
        page = await employee.get(f"{base}/penetapan")
        assert 'id="f-terima-alasan"' not in page.text
        await _send(employee, f"{base}/penetapan", "form-terima", {})
        done = await employee.get(f"{base}/penetapan?pesan=terkirim")
        assert "Langkah sudah tercatat." in done.text and "(final)" in done.text
    assert (await web_office.appraisals.state(target)).step is Step.FINAL
