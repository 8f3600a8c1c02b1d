"""An uploaded import file is checked before any parser reads it: its size, its type by content (never by its name),
its rows, and for XLSX what its archive unpacks to."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from domain.bounds import MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS
from domain.errors import DomainError
from services import uploads
from services.uploads import FileType, file_type, read_upload

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_csv_is_read_whatever_its_name_says() -> None:
    data = (EXAMPLES / "roster_dukcapil.csv").read_bytes()
    table = read_upload(data, "C:\\Users\\hr\\roster.xlsx")  # a wrong suffix, and a Windows path
    assert table.source == "roster.csv" and "nip" in table.headers and len(table.rows) == 12


def test_an_xlsx_is_read_by_its_content() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["kode", "nama"])
    sheet.append(["IKU-01", "Perekaman KTP-el"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert file_type(buffer.getvalue(), "iku.csv") is FileType.XLSX
    table = read_upload(buffer.getvalue(), "iku.csv")
    assert table.rows[0].values == {"kode": "IKU-01", "nama": "Perekaman KTP-el"}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "kosong"),
        (b"x" * (MAX_UPLOAD_BYTES + 1), "paling besar 5 MB"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 100, ".xls (Excel 97"),
        (b"\x7fELF\x02\x01\x01\x00\x00", "biner"),
        (b"PK\x03\x04not really a zip", "bukan berkas Excel"),
    ],
    ids=["empty", "too-large", "xls", "binary", "broken-zip"],
)
def test_what_is_not_an_importable_file_is_refused_before_reading(data: bytes, words: str) -> None:
    with pytest.raises(DomainError) as refused:
        read_upload(data, "berkas.csv")
    assert refused.value.field == "berkas" and words in str(refused.value)


def test_a_zip_that_is_no_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(DomainError, match=r"bukan buku kerja Excel"):
        read_upload(buffer.getvalue(), "roster.xlsx")


def test_an_xlsx_that_unpacks_to_too_much_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 200_000)
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 100_000)
    with pytest.raises(DomainError, match=r"terlalu besar setelah dibuka"):
        read_upload(buffer.getvalue(), "roster.xlsx")


def test_a_file_of_more_rows_than_allowed_is_refused_before_parsing() -> None:
    data = b"nip,nama\n" + b"1,a\n" * (MAX_UPLOAD_ROWS + 1)
    assert len(data) <= MAX_UPLOAD_BYTES
    with pytest.raises(DomainError) as refused:
        read_upload(data, "roster.csv")
    assert "lebih dari 100.000 baris" in str(refused.value) and refused.value.rule == "batas baris berkas impor"
    at_limit = b"nip,nama\n" + b"1,a\n" * MAX_UPLOAD_ROWS
    assert len(read_upload(at_limit, "roster.csv").rows) == MAX_UPLOAD_ROWS
