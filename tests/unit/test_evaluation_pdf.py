"""The evaluation document's drawing (documents.evaluation_pdf) takes whatever the validators let through: feedback
of 5,000 characters or of many short lines crosses pages instead of failing the download or a unit's archive."""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import pytest
from pypdf import PdfReader

from documents.evaluation_pdf import render
from domain.bounds import MAX_FEEDBACK_CHARS
from services.evaluation_document import EvaluationDocument, Person, ResultLine, Signature


def _document(feedback: str, notes: tuple[str, ...] = ()) -> EvaluationDocument:
    person = Person("Pegawai yang dinilai", "Sri Wahyuni, S.H.", "199212252019032001", "–", "Verifikator", "Pelayanan")
    line = ResultLine("1.1", "R" * 500, "utama", "I" * 500, "kuantitas", "6.000 berkas", "6.240", "104,00%")
    signed = Signature("Pejabat Penilai Kinerja", "menetapkan", "Herman", "198009092005011001", "1 Februari 2027", None)
    return EvaluationDocument(
        instansi="Dinas Kependudukan dan Pencatatan Sipil",
        period=2026,
        cycle_id="C",
        unit_code="PELAYANAN",
        appraised_from=None,
        people=[person, person, person],
        results=[line] * 3,
        behaviours=["Berorientasi Pelayanan"],
        hasil_kerja="Sesuai Ekspektasi",
        perilaku="Sesuai Ekspektasi",
        matrix_predicate="Baik",
        predicate="Baik",
        predicate_changes=[],
        feedback=feedback,
        notes=list(notes),
        signatures=[signed],
        issued_at="07-12-2026 10:00 WIB",
    )


@pytest.mark.parametrize(
    "feedback",
    [
        "Pertahankan kecepatan verifikasi berkas. " * (MAX_FEEDBACK_CHARS // 41),
        "\n".join(f"- langkah perbaikan {n}" for n in range(60)),
    ],
    ids=["longest", "many-lines"],
)
def test_long_feedback_crosses_pages(feedback: str) -> None:
    reader = PdfReader(io.BytesIO(render(_document(feedback))))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2 and "UMPAN BALIK" in text and "PENETAPAN" in text


def test_the_years_notes_follow_the_feedback_only_when_there_are_some() -> None:
    note = "05-04-2026 09:00 WIB · catatan 1 · Pejabat penilai: laporan triwulan tepat waktu"
    with_notes = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(render(_document("ok", (note,))))).pages)
    without = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(render(_document("ok")))).pages)
    assert "UMPAN BALIK BERKELANJUTAN" in with_notes and "laporan triwulan tepat waktu" in with_notes
    assert "UMPAN BALIK BERKELANJUTAN" not in without


def test_someone_who_joined_during_the_year_is_appraised_from_that_day() -> None:
    joined = dataclasses.replace(_document("ok"), appraised_from=date(2026, 7, 1))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(render(joined))).pages)
    assert "PERIODE PENILAIAN: 1 JULI 2026 SD 31 DESEMBER 2026" in text


def test_an_skp_changed_during_the_year_prints_each_version_under_its_heading() -> None:
    doc = _document("ok")
    first = dataclasses.replace(doc.results[0], version="SKP versi 1: 01-01-2026 s.d. 30-06-2026", rhk="Lama")
    second = dataclasses.replace(doc.results[0], number="2.1", version="SKP versi 2: sejak 01-07-2026", rhk="Baru")
    text = " ".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(render(dataclasses.replace(doc, results=[first, first, second])))).pages
    )
    text = " ".join(text.split())
    heading_1, heading_2 = (
        text.index("SKP VERSI 1: 01-01-2026 S.D. 30-06-2026"),
        text.index("SKP VERSI 2: SEJAK 01-07-2026"),
    )
    assert heading_1 < text.index("Lama") < heading_2 < text.index("Baru") and text.count("SKP VERSI 1") == 1
