"""Evidence files through the self-assessment page and the API: a file is judged by its content (an executable named
`.pdf` is refused beside its field, with what was typed kept and nothing stored), bounded in size, downloadable by
whoever may see the appraisal and by nobody else (another instansi's, or another appraisal's file named in this
appraisal's path: not found); a realisation may name only files stored for its own appraisal. A wrong file is deleted
by an uploader until the realisation is sent, from the form (what was typed kept) or the API; audited."""

from __future__ import annotations

import hashlib

import httpx

from domain.bounds import MAX_EVIDENCE_FILE_BYTES
from domain.stages import Role, Step
from tests.evidence_samples import EXE, JPEG, PNG, pdf_of
from tests.pages.browsing import Browser, signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, APPRAISED_3, PEGAWAI_1, PEGAWAI_3, PENGAWAS, PENILAI_1

PROBLEM = "application/problem+json"
Upload = tuple[str, tuple[str, bytes, str]]


def _base(target: Target) -> str:
    return f"/penilaian/{target.cycle_id}/{target.nip}"


def _api(target: Target) -> str:
    return f"/api/v1/cycles/{target.cycle_id}/appraisals/{target.nip}"


def _stored(office: WebOffice) -> int:
    return office.recorder.count("evidence_files")


async def _preview(browser: Browser, target: Target, typed: dict[str, str], files: list[Upload]) -> httpx.Response:
    """The self-assessment form as the page filled it, with `typed` and `files`, sent to show the capaian."""
    page = await browser.get(f"{_base(target)}/realisasi")
    assert page.status_code == 200, page.text
    fields = {**form_fields(page.text, "form-realisasi"), **typed, "aksi": "pratinjau"}
    return await browser.post(f"{_base(target)}/realisasi", fields, files=files)


async def test_an_executable_named_pdf_is_refused_beside_its_field(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    before = _stored(web_office)
    async with signed_in(web_office, PEGAWAI_1) as employee:
        refused = await _preview(
            employee, target, {"realisasi-0": "1.150"}, [("berkas-1", ("laporan.pdf", EXE, "application/pdf"))]
        )
    assert refused.status_code == 422, refused.text
    assert 'id="berkas-1-galat"' in refused.text
    assert "laporan.pdf: isi berkas bukan PDF, JPG atau PNG" in refused.text
    assert 'role="alert"' in refused.text  # the summary above the form
    assert form_fields(refused.text, "form-realisasi")["realisasi-0"] == "1.150"  # what was typed is kept
    assert _stored(web_office) == before


async def test_an_oversized_file_is_refused_beside_its_field(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    before = _stored(web_office)
    big = pdf_of(MAX_EVIDENCE_FILE_BYTES + 1)
    async with signed_in(web_office, PEGAWAI_1) as employee:
        refused = await _preview(employee, target, {}, [("berkas-0", ("pindaian.pdf", big, "application/pdf"))])
    assert refused.status_code == 422, refused.text
    assert 'id="berkas-0-galat"' in refused.text and "paling besar 4 MB" in refused.text
    assert _stored(web_office) == before


async def test_evidence_is_seen_only_by_those_who_see_the_appraisal(web_office: WebOffice) -> None:
    theirs = await web_office.appraisals.shared(Need(APPRAISED_3, Step.SELF_ASSESSMENT))
    own = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    sha = hashlib.sha256(PNG).hexdigest()
    async with signed_in(web_office, PEGAWAI_3) as employee:
        stored = await _preview(employee, theirs, {}, [("berkas-0", ("foto kegiatan.png", PNG, "image/png"))])
        assert stored.status_code == 200, stored.text
        assert "foto kegiatan.png" in stored.text
        download = await employee.http.get(f"{_base(theirs)}/bukti/{sha}")
        assert download.status_code == 200 and download.content == PNG
        assert download.headers["content-type"] == "image/png"
    for outsider in (PEGAWAI_1, PENGAWAS):  # of instansi A: B's appraisal does not exist for them
        async with signed_in(web_office, outsider) as browser:
            refused = await browser.http.get(f"{_base(theirs)}/bukti/{sha}")
            assert refused.status_code == 404, refused.text
            assert "foto kegiatan" not in refused.text
    async with signed_in(web_office, PEGAWAI_1) as employee:
        # B's file named in the path of an appraisal the employee does see: not this appraisal's file.
        elsewhere = await employee.http.get(f"{_base(own)}/bukti/{sha}")
        assert elsewhere.status_code == 404
        assert (await employee.http.get(f"{_base(own)}/bukti/not-a-hash")).status_code == 404
    async with signed_in(web_office, PENILAI_1) as penilai:  # sees A's appraisal, not B's
        assert (await penilai.http.get(f"{_base(theirs)}/bukti/{sha}")).status_code == 404


async def test_the_api_uploads_and_a_realisation_names_only_its_own_files(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    token = {"Authorization": f"Bearer {web_office.tokens[Role.PEGAWAI]}"}
    uploaded = await web_office.http.post(
        f"{_api(target)}/evidence", files={"berkas": ("kegiatan.jpg", JPEG, "image/jpeg")}, headers=token
    )
    assert uploaded.status_code == 201, uploaded.text
    answer = uploaded.json()
    assert answer["bukti"] == "kinerja://bukti/" + hashlib.sha256(JPEG).hexdigest()
    assert answer["jenis"] == "image/jpeg" and answer["nama"] == "kegiatan.jpg"
    again = await web_office.http.post(
        f"{_api(target)}/evidence", files={"berkas": ("lagi.jpg", JPEG, "image/jpeg")}, headers=token
    )
    assert again.status_code == 201 and again.json()["baru"] is False  # the same bytes are stored once

    refused = await web_office.http.post(
        f"{_api(target)}/evidence", files={"berkas": ("laporan.pdf", EXE, "application/pdf")}, headers=token
    )
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["field"] == "berkas"

    nobody = "kinerja://bukti/" + "0" * 64
    body = {
        "realisasi": [
            {"indikator": "I1", "realisasi": "1210", "bukti": [answer["bukti"]]},
            {"indikator": "I2", "realisasi": "98", "bukti": [nobody]},
        ]
    }
    step = await web_office.http.post(f"{_api(target)}/steps/self-assessment", json=body, headers=token)
    assert step.status_code == 422, step.text
    assert step.json()["field"] == "realisasi[I2].bukti"
    assert (await web_office.appraisals.state(target)).step is Step.SELF_ASSESSMENT


async def test_files_are_taken_at_the_self_assessment_only(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING))
    before = _stored(web_office)
    refused = await web_office.http.post(
        f"{_api(target)}/evidence",
        files={"berkas": ("kegiatan.jpg", JPEG, "image/jpeg")},
        headers={"Authorization": f"Bearer {web_office.tokens[Role.PEGAWAI]}"},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["field"] == "tahap"
    assert _stored(web_office) == before


async def test_a_wrong_file_is_deleted_from_the_form_with_what_was_typed_kept(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    sha = hashlib.sha256(PNG).hexdigest()
    before = _stored(web_office)
    async with signed_in(web_office, PEGAWAI_1) as employee:
        stored = await _preview(
            employee, target, {"realisasi-0": "1.150"}, [("berkas-0", ("ktp.png", PNG, "image/png"))]
        )
        assert stored.status_code == 200, stored.text
        fields = form_fields(stored.text, "form-realisasi")
        assert fields["bukti-0"] == f"kinerja://bukti/{sha}"  # ticked where it was sent
        assert f'value="hapus-{sha}"' in stored.text and _stored(web_office) == before + 1
        # The delete button is in the form: the browser sends the whole form with it.
        removed = await employee.post(f"{_base(target)}/realisasi", {**fields, "aksi": f"hapus-{sha}"})
        assert removed.status_code == 200, removed.text
        assert "Berkas bukti \u201cktp.png\u201d sudah dihapus." in removed.text
        kept = form_fields(removed.text, "form-realisasi")
        form = removed.text[removed.text.index('id="form-realisasi"') :]
        assert kept["realisasi-0"] == "1.150" and "bukti-0" not in kept and "ktp.png" not in form
        assert (await employee.http.get(f"{_base(target)}/bukti/{sha}")).status_code == 404
        again = await employee.post(f"{_base(target)}/realisasi", {**fields, "aksi": f"hapus-{sha}"})
        assert again.status_code == 404 and "berkas bukti tidak ditemukan" in again.text  # above the form
        assert form_fields(again.text, "form-realisasi")["realisasi-0"] == "1.150"
    assert _stored(web_office) == before
    with web_office.uow_factory() as uow:
        [entry] = [e for e in uow.audit.list(action="evidence.removed") if e.subject == target.nip]
    assert (entry.actor, entry.before) == (PEGAWAI_1, {"sha256": sha, "jenis": "image/png", "ukuran": len(PNG)})


async def test_the_api_deletes_a_file_for_an_uploader_until_the_realisation_is_sent(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    employee = {"Authorization": f"Bearer {web_office.tokens[Role.PEGAWAI]}"}
    for content, name in ((JPEG, "kegiatan.jpg"), (PNG, "foto.png")):
        uploaded = await web_office.http.post(
            f"{_api(target)}/evidence", files={"berkas": (name, content, "image/jpeg")}, headers=employee
        )
        assert uploaded.status_code == 201, uploaded.text
    jpeg, png = hashlib.sha256(JPEG).hexdigest(), hashlib.sha256(PNG).hexdigest()
    penilai = {"Authorization": f"Bearer {web_office.tokens[Role.PENILAI]}"}
    refused = await web_office.http.delete(f"{_api(target)}/evidence/{jpeg}", headers=penilai)
    assert refused.status_code == 403, refused.text  # sees the appraisal; uploads nothing, deletes nothing
    reader = {"Authorization": f"Bearer {web_office.read_tokens[Role.PEGAWAI]}"}
    assert (await web_office.http.delete(f"{_api(target)}/evidence/{jpeg}", headers=reader)).status_code == 403
    assert (await web_office.http.delete(f"{_api(target)}/evidence/{'0' * 64}", headers=employee)).status_code == 404
    assert (await web_office.http.delete(f"{_api(target)}/evidence/not-a-hash", headers=employee)).status_code == 422
    deleted = await web_office.http.delete(f"{_api(target)}/evidence/{jpeg}", headers=employee)
    assert deleted.status_code == 204, deleted.text

    body = {
        "realisasi": [
            {"indikator": "I1", "realisasi": "1210", "bukti": [f"kinerja://bukti/{png}"]},
            {"indikator": "I2", "realisasi": "98", "bukti": ["https://arsip.example.go.id/2"]},
        ]
    }
    sent = await web_office.http.post(f"{_api(target)}/steps/self-assessment", json=body, headers=employee)
    assert sent.status_code == 200, sent.text
    late = await web_office.http.delete(f"{_api(target)}/evidence/{png}", headers=employee)
    assert late.status_code == 409 and late.json()["field"] == "tahap"  # the realisation names it now
    with web_office.uow_factory() as uow:
        assert uow.evidence.get(target.cycle_id, target.nip, png) is not None
        assert uow.evidence.get(target.cycle_id, target.nip, jpeg) is None
