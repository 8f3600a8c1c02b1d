"""The dokumen evaluasi kinerja pegawai (PermenPANRB 6/2022; services.evaluation_document, documents.evaluation_pdf):
once the penilai has set the result, whoever may see the appraisal downloads it as PDF, from the appraisal's page or
the API; its text, read back from the PDF, holds every field of the appraisal as the database recorded it (the
roster's identities, the approved SKP with each indicator's target, realisation and capaian, both ratings, the
predicate, who set the result and when). Before that it is refused naming the stage; another instansi's person is told
the appraisal does not exist."""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from documents.archive import folder
from documents.archive import write as archive_of
from documents.evaluation_pdf import FONT_DIR
from domain.errors import DomainError
from domain.feedback import FeedbackNote
from domain.formats import angka, tanggal_panjang
from domain.ratings import Predicate
from domain.stages import Action, Role, Step
from tests.pages.browsing import signed_in
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, ATASAN_1, PEGAWAI_1, PEGAWAI_3, PENGELOLA, PENILAI_1, PERIOD
from workflows.contracts import ReviewOutcome, appraisal_workflow_id

PDF = "application/pdf"


def _text(content: bytes) -> str:
    """The PDF's text as one line of words: a table cell wraps where the page is narrow."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def _expected(office: WebOffice, target: Target) -> list[str]:
    """Every field the document must print, from what the database recorded of the appraisal."""
    workflow_id = appraisal_workflow_id(target.cycle_id, target.nip)
    with office.uow_factory() as uow:
        review = uow.reviews.get(workflow_id, ReviewOutcome)
        cycle = uow.cycles.get(target.cycle_id)
        assert review is not None and cycle is not None
        skp = uow.skp.get(target.nip, cycle.period)
        instansi = uow.instansi.get(target.instansi_code)
        people = [uow.employees.get(nip) for nip in (target.nip, PENILAI_1, ATASAN_1)]
        signed = [e for e in uow.audit.list(workflow_id=workflow_id) if e.action == Action.SIGN.value]
        units = uow.units.names(target.instansi_code, [p.unit_code for p in people if p is not None])
    assert skp is not None and instansi is not None and len(signed) == 1
    outcome, zone = review.review, cycle.deadlines.utc_offset_hours
    achieved = {a.indicator_id: a for a in outcome.achievements}
    fields = [instansi.name.upper(), f"31 DESEMBER {cycle.period}", target.cycle_id]
    for person in people:
        assert person is not None
        fields += [person.name, person.nip, person.jabatan, units.get(person.unit_code, person.unit_code)]
    for rhk in skp.skp.rhk:
        fields.append(rhk.text)
        for indicator in rhk.indicators:
            found = achieved[indicator.id]
            goal = indicator.target  # whole numbers in this office's SKP: 1.210 is how a person reads 1210
            assert goal.upper is None and goal.value == int(goal.value)
            fields += [indicator.text, f"{int(goal.value):,}".replace(",", ".") + f" {indicator.unit_of_measure}"]
            fields += [f"{angka(found.percent)}%"]
    fields += [str(b.value.value) for b in skp.skp.perilaku]
    fields += [
        f"RATING HASIL KERJA {outcome.hasil_kerja.chosen.label}",
        f"RATING PERILAKU KERJA {outcome.perilaku.label}",
        f"PREDIKAT KINERJA PEGAWAI {outcome.standing.label.upper()}",
        f"menetapkan hasil penilaian {tanggal_panjang(signed[0].occurred_at, zone)}",
    ]
    return fields


async def test_the_document_holds_every_field_of_the_appraisal_as_recorded(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.OBJECTION_WINDOW))
    base = f"/penilaian/{target.cycle_id}/{target.nip}"
    note = f"Capaian triwulan {uuid.uuid4().hex[:6]} sesuai rencana"  # the year's continuous feedback, in it too
    with web_office.uow_factory() as uow:
        uow.feedback.add(
            FeedbackNote(
                cycle_id=target.cycle_id,
                employee_nip=target.nip,
                author_nip=PENILAI_1,
                writer="penilai",
                text=note,
                written_at=datetime.now(UTC),
            )
        )
        uow.commit()
    async with signed_in(web_office, PEGAWAI_1) as employee:
        page = await employee.get(base)
        assert 'id="dokumen-evaluasi"' in page.text
        download = await employee.http.get(f"{base}/dokumen-evaluasi")
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == PDF
    name = f"dokumen-evaluasi-kinerja-{PERIOD}-{target.nip}.pdf"
    assert download.headers["content-disposition"] == f'attachment; filename="{name}"'
    text = _text(download.content)
    expected = [*_expected(web_office, target), "UMPAN BALIK BERKELANJUTAN", note]
    missing = [field for field in expected if " ".join(field.split()) not in text]
    assert not missing, f"not in the document: {missing}\n{text}"

    api = await web_office.http.get(
        f"/api/v1/cycles/{target.cycle_id}/appraisals/{target.nip}/evaluation-document",
        headers={"Authorization": f"Bearer {web_office.read_tokens[Role.PENILAI]}"},
    )
    assert api.status_code == 200 and api.headers["content-type"] == PDF
    assert _text(api.content).replace(_issued(api.content), "") == text.replace(_issued(download.content), "")


def _issued(content: bytes) -> str:
    """The moment the document was drawn (the only part that differs between two downloads)."""
    text = _text(content)
    start = text.index("pada ", text.index("dokumen ini disusun dari catatan itu"))
    return text[start : text.index(".", start + 20)]


async def test_an_objection_filed_is_in_the_document(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.OBJECTION_REVIEW))
    async with signed_in(web_office, PENILAI_1) as penilai:
        download = await penilai.http.get(f"/penilaian/{target.cycle_id}/{target.nip}/dokumen-evaluasi")
    assert download.status_code == 200, download.text
    text = _text(download.content)
    assert "mengajukan keberatan" in text and "menetapkan hasil penilaian" in text
    assert f"PREDIKAT KINERJA PEGAWAI {Predicate.BAIK.label.upper()}" in text


async def test_it_waits_for_the_result_and_is_nobody_elses(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SIGN_OFF))
    path = f"/penilaian/{target.cycle_id}/{target.nip}/dokumen-evaluasi"
    async with signed_in(web_office, PEGAWAI_1) as employee:
        page = await employee.get(f"/penilaian/{target.cycle_id}/{target.nip}")
        assert 'id="dokumen-evaluasi"' not in page.text
        early = await employee.http.get(path)
    assert early.status_code == 409, early.text
    main = early.text[early.text.index("<main") :]
    assert "dokumen evaluasi belum tersedia" in main and "menetapkan hasil penilaian" in main, main
    signed = await web_office.appraisals.shared(Need(APPRAISED_1, Step.OBJECTION_WINDOW))
    async with signed_in(web_office, PEGAWAI_3) as outsider:  # of instansi B
        refused = await outsider.http.get(f"/penilaian/{signed.cycle_id}/{signed.nip}/dokumen-evaluasi")
    assert refused.status_code == 404 and PDF not in refused.headers["content-type"]


def test_the_font_that_prints_any_name_is_installed() -> None:
    """`make setup` installs DejaVu Sans (fonts-dejavu-core); without it a document falls back to Latin-1."""
    if not (Path(FONT_DIR) / "DejaVuSans.ttf").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"DejaVu Sans missing in {FONT_DIR}: run make setup as root")
        pytest.skip(f"DejaVu Sans missing in {FONT_DIR}; install fonts-dejavu-core")


async def test_a_units_documents_come_as_one_archive(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.OBJECTION_WINDOW))
    path = f"/kepegawaian/siklus/{target.cycle_id}/dokumen"
    async with signed_in(web_office, PENGELOLA) as pengelola:
        download = await pengelola.http.get(path, params={"unit": APPRAISED_1.unit_code})
        other = await pengelola.http.get(path, params={"unit": "TIDAK-ADA"})
        bad = await pengelola.http.get(path, params={"unit": "A\r\nB"})
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = archive.namelist()
        assert names == [f"{APPRAISED_1.unit_code}/dokumen-evaluasi-kinerja-{PERIOD}-{target.nip}.pdf"]
        assert APPRAISED_1.name in _text(archive.read(names[0]))
    assert other.status_code == 404 and "unit kerja TIDAK-ADA tidak ada" in other.text
    assert bad.status_code == 422
    async with signed_in(web_office, PEGAWAI_1) as employee:  # not the section's
        assert (await employee.http.get(path, params={"unit": APPRAISED_1.unit_code})).status_code == 403

    whole = io.BytesIO()  # what `kinerja siklus dokumen` writes: the whole cycle
    done = archive_of(web_office.uow_factory, target.cycle_id, whole, now=datetime.now(UTC))
    assert (done.documents, done.failed) == (1, 0) and len(zipfile.ZipFile(whole).namelist()) == 1
    with pytest.raises(DomainError, match="lebih dari 0 yang dibuat di sini"):  # a unit too large for a request
        archive_of(web_office.uow_factory, target.cycle_id, io.BytesIO(), now=datetime.now(UTC), limit=0)


def test_a_unit_code_is_a_folder_inside_the_archive() -> None:
    assert [folder(code) for code in ("A-BID", "..", "DINKES/01", "1.02 A", "Ünit")] == [
        "A-BID",
        "__",
        "DINKES_01",
        "1_02_A",
        "_nit",
    ]
