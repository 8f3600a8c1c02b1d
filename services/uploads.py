"""An uploaded import file, checked before any parser reads it: its size (domain.bounds.MAX_UPLOAD_BYTES), its type
by its content — never by its name — and its number of rows (MAX_UPLOAD_ROWS). A file that passes is read into a
table by the same reader the command line uses (importing.tables.read_table).

XLSX is a zip of XML: a few megabytes can unpack to gigabytes, so the sizes its archive declares are checked as
well, and its rows are counted while streaming, stopping at the limit.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from enum import StrEnum
from pathlib import Path

from domain.bounds import MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS
from domain.errors import DomainError
from importing.tables import Table, read_table

FIELD = "berkas"
MAX_UNPACKED_BYTES = 40 * MAX_UPLOAD_BYTES  # what an XLSX may unpack to: a sheet of 100,000 rows is ~60 MB of XML
_ZIP = b"PK\x03\x04"
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # Excel 97-2003 (.xls) and other legacy Office files


class FileType(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def read_upload(data: bytes, name: str) -> Table:
    """The table of an uploaded file, or DomainError saying which bound or type it breaks."""
    check_size(len(data))
    kind = file_type(data, name)
    if kind is FileType.XLSX:
        _check_archive(data, name)
    rows = _count_rows(data, kind)
    if rows > MAX_UPLOAD_ROWS + 1:  # the header is a row of the file, not of the data
        raise DomainError(
            f"{_stem(name)}: lebih dari {MAX_UPLOAD_ROWS:,} baris data; pecah berkas menjadi beberapa impor".replace(
                ",", "."
            ),
            field=FIELD,
            rule="batas baris berkas impor",
        )
    with tempfile.TemporaryDirectory(prefix="kinerja-impor-") as folder:
        path = Path(folder) / f"{_stem(name)}.{kind.value}"
        path.write_bytes(data)
        return read_table(path)


def check_size(size: int) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise DomainError(
            f"berkas paling besar {MAX_UPLOAD_BYTES // (1024 * 1024)} MB, yang dikirim {size / (1024 * 1024):.1f} MB",
            field=FIELD,
            rule="batas ukuran berkas impor",
        )
    if size == 0:
        raise DomainError("berkas kosong", field=FIELD)


def file_type(data: bytes, name: str) -> FileType:
    """CSV or XLSX, from the bytes themselves."""
    if data.startswith(_ZIP):
        return FileType.XLSX
    if data.startswith(_OLE2):
        raise DomainError(
            f"{_stem(name)}: format .xls (Excel 97–2003) tidak didukung; simpan sebagai .xlsx atau .csv", field=FIELD
        )
    if b"\x00" in data[:65536]:
        raise DomainError(
            f"{_stem(name)}: bukan berkas teks CSV atau Excel .xlsx (isinya biner); gunakan .csv atau .xlsx",
            field=FIELD,
        )
    return FileType.CSV


def _check_archive(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
    except zipfile.BadZipFile:
        raise DomainError(f"{_stem(name)}: bukan berkas Excel .xlsx yang dapat dibaca", field=FIELD) from None
    if "xl/workbook.xml" not in names:
        raise DomainError(
            f"{_stem(name)}: arsip zip ini bukan buku kerja Excel .xlsx (tidak ada xl/workbook.xml)", field=FIELD
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise DomainError(
            f"{_stem(name)}: isi .xlsx terlalu besar setelah dibuka ({unpacked // (1024 * 1024)} MB); pecah berkasnya",
            field=FIELD,
            rule="batas ukuran berkas impor",
        )


def _count_rows(data: bytes, kind: FileType) -> int:
    """The file's rows (header included), counted up to one past the limit."""
    limit = MAX_UPLOAD_ROWS + 2
    if kind is FileType.CSV:
        if data.count(b"\n") < limit - 1:  # records never outnumber lines
            return data.count(b"\n") + 1
        text = data.decode("utf-8", errors="replace")
        return sum(1 for _, _ in zip(range(limit), csv.reader(io.StringIO(text, newline="")), strict=False))
    import openpyxl  # slow to import: only for spreadsheets

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # unreadable: read_table says so in its own words
        return 0
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return 0
        return sum(1 for _, _ in zip(range(limit), sheet.iter_rows(values_only=True), strict=False))
    finally:
        book.close()


def _stem(name: str) -> str:
    """A safe file name for the reader's messages: the upload's own name without its folder or suffix."""
    base = Path(name.replace("\\", "/")).name
    stem = "".join(ch for ch in Path(base).stem if ch.isalnum() or ch in "-_. ")[:80].strip()
    return stem or "berkas"
