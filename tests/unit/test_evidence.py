"""Evidence files by their content (domain.evidence): the magic bytes decide, never the name; sizes are bounded per
file and per appraisal; a stored file is named by the SHA-256 of its bytes. And what the self-assessment page shows
before a step: the capaian as typed (services.step_views), lower-is-better and ranges included, and the 3×3 matrix."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from domain.bounds import MAX_EVIDENCE_BYTES_PER_APPRAISAL, MAX_EVIDENCE_FILE_BYTES, MAX_EVIDENCE_FILES_PER_APPRAISAL
from domain.errors import DomainError
from domain.evidence import (
    EvidenceType,
    check_file,
    check_quota,
    download_name,
    reference,
    referenced,
    safe_name,
    sniff,
)
from domain.policy import DEFAULT_POLICY, AchievementPolicy
from domain.ratings import Expectation, Predicate
from domain.skp import Aspect, Indicator, Polarity, Target
from services.step_views import parse_realisation, predicate_matrix, preview_capaian
from tests.evidence_samples import EXE, JPEG, PDF, PNG, pdf_of


@pytest.mark.parametrize(
    ("data", "kind"), [(PDF, EvidenceType.PDF), (JPEG, EvidenceType.JPEG), (PNG, EvidenceType.PNG)]
)
def test_the_accepted_kinds_are_known_by_their_first_bytes(data: bytes, kind: EvidenceType) -> None:
    assert sniff(data) is kind
    checked = check_file(data, "apa saja.bin")
    assert checked.media_type is kind
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size == len(data)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (EXE, "laporan.pdf"),  # an executable named as a PDF
        (b"<html><script>alert(1)</script></html>", "foto.png"),
        (b"GIF89a\x01\x00\x01\x00", "foto.jpg"),
        (b"PK\x03\x04" + b"\x00" * 40, "bukti.pdf"),  # a zip (or an .xlsx)
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00NOPE", "foto.png"),  # a PNG signature without its header chunk
        (b" %PDF-1.4\n%%EOF", "laporan.pdf"),  # not at the start
    ],
)
def test_anything_else_is_refused_whatever_its_name(data: bytes, name: str) -> None:
    assert sniff(data) is None
    with pytest.raises(DomainError) as refused:
        check_file(data, name)
    assert refused.value.field == "berkas"
    assert "bukan PDF, JPG atau PNG" in str(refused.value)
    assert name.rsplit("/", 1)[-1] in str(refused.value)  # the file is named in the message


def test_a_cut_pdf_is_refused() -> None:
    with pytest.raises(DomainError, match="tidak utuh"):
        check_file(PDF.replace(b"%%EOF", b""), "laporan.pdf")


def test_empty_and_oversized_files_are_refused() -> None:
    with pytest.raises(DomainError, match="kosong") as empty:
        check_file(b"", "kosong.pdf")
    assert empty.value.field == "berkas"
    largest = pdf_of(MAX_EVIDENCE_FILE_BYTES)
    assert check_file(largest, "besar.pdf").size == MAX_EVIDENCE_FILE_BYTES
    with pytest.raises(DomainError, match="paling besar 4 MB") as too_large:
        check_file(pdf_of(MAX_EVIDENCE_FILE_BYTES + 1), "besar.pdf")
    assert too_large.value.rule == "batas ukuran satu berkas bukti"


def test_what_one_appraisal_stores_is_bounded() -> None:
    check_quota(MAX_EVIDENCE_FILES_PER_APPRAISAL - 1, 0, 10)
    check_quota(0, MAX_EVIDENCE_BYTES_PER_APPRAISAL - 10, 10)
    with pytest.raises(DomainError, match="paling banyak menyimpan 100 berkas"):
        check_quota(MAX_EVIDENCE_FILES_PER_APPRAISAL, 0, 10)
    with pytest.raises(DomainError, match="paling besar 40 MB seluruhnya"):
        check_quota(3, MAX_EVIDENCE_BYTES_PER_APPRAISAL - 10, 11)


def test_a_stored_file_is_referred_to_by_its_hash() -> None:
    sha = hashlib.sha256(PDF).hexdigest()
    assert referenced(reference(sha)) == sha
    assert referenced("https://drive.example.go.id/laporan.pdf") is None
    assert referenced("kinerja://bukti/" + sha.upper()) is None
    assert referenced("kinerja://bukti/" + sha + "/../x") is None


def test_names_are_shown_safely_and_saved_with_the_real_extension() -> None:
    assert safe_name("C:\\Users\\sri\\Laporan Q1.pdf") == "Laporan Q1.pdf"
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("a\x00b\u202ecod.exe") == "abcod.exe"  # NUL and the right-to-left override
    assert safe_name("...") == "bukti"
    assert safe_name("x" * 500) == "x" * 200
    assert download_name("laporan.exe", EvidenceType.PDF) == "laporan.pdf"
    assert download_name("foto.JPEG", EvidenceType.JPEG) == "foto.JPEG"
    assert download_name("bukti", EvidenceType.PNG) == "bukti.png"


# --- the capaian as typed, before the step -------------------------------------------------------------------------


def _indicator(target: Target) -> Indicator:
    return Indicator(id="I1", aspect=Aspect.KUANTITAS, text="Berkas", target=target, unit_of_measure="berkas")


POLICY = AchievementPolicy()


@pytest.mark.parametrize(
    ("target", "typed", "percent"),
    [
        (Target(value=Decimal(1200)), "1.210", Decimal("100.83")),  # Indonesian thousands
        (Target(value=Decimal(98)), "98,2", Decimal("100.20")),
        (Target(polarity=Polarity.LOWER_IS_BETTER, value=Decimal(10)), "8", Decimal("120.00")),  # fewer is better
        (Target(polarity=Polarity.LOWER_IS_BETTER, value=Decimal(10)), "25", Decimal("0.00")),  # floored at 0
        (Target(polarity=Polarity.RANGE, value=Decimal(90), upper=Decimal("97.5")), "95", Decimal("100.00")),
    ],
)
def test_the_capaian_is_computed_as_typed(target: Target, typed: str, percent: Decimal) -> None:
    assert preview_capaian(_indicator(target), typed, POLICY).percent == percent


@pytest.mark.parametrize(
    ("typed", "message"),
    [("-5", "tidak boleh negatif"), ("abc", "bukan angka"), ("1,23456", "paling banyak 4 angka"), ("1e99", "bukan")],
)
def test_a_value_the_step_would_refuse_says_why(typed: str, message: str) -> None:
    preview = preview_capaian(_indicator(Target(value=Decimal(10))), typed, POLICY)
    assert preview.percent is None
    assert preview.message is not None and message in preview.message


def test_nothing_typed_shows_nothing() -> None:
    preview = preview_capaian(_indicator(Target(value=Decimal(10))), "  ", POLICY)
    assert preview.percent is None and preview.message is None


def test_values_are_read_as_the_step_takes_them() -> None:
    assert parse_realisation("100,0", "x") == Decimal(100)
    assert str(parse_realisation("98,20", "x")) == "98.2"
    assert str(parse_realisation("1.210", "x")) == "1210"
    with pytest.raises(DomainError) as empty:
        parse_realisation("", "realisasi-0")
    assert empty.value.field == "realisasi-0"


def test_the_matrix_marks_the_chosen_pair() -> None:
    matrix = predicate_matrix(DEFAULT_POLICY, Expectation.ABOVE, Expectation.ABOVE)
    assert matrix.predicate is Predicate.SANGAT_BAIK
    chosen = [(row.hasil_kerja, cell.perilaku) for row in matrix.rows for cell in row.cells if cell.chosen]
    assert chosen == [(Expectation.ABOVE, Expectation.ABOVE)]
    assert predicate_matrix(DEFAULT_POLICY, Expectation.MEETS, None).predicate is None
    below = predicate_matrix(DEFAULT_POLICY, Expectation.BELOW, Expectation.BELOW)
    assert below.predicate is Predicate.SANGAT_KURANG
