"""Read a CSV or XLSX file into rows of trimmed text cells, keyed by normalised header names.

Line numbers are the rows a user sees in the spreadsheet: the header is line 1, so the first data row is line 2, and
blank rows are skipped but still counted. Cells are text; the parsers decide what a number or a NIP is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.bounds import MAX_IMPORT_FILE_BYTES, MAX_UPLOAD_ROWS
from importing.errors import ImportFileError

CSV_SUFFIXES = frozenset({".csv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
# Above 2**53 a float no longer holds every integer: an 18-digit NIP typed into a number cell has already lost its
# last digits (Excel keeps 15 significant digits). Such a cell is shown in exponent form so the NIP check says so.
_EXACT_FLOAT_INTEGER = 2**53
_SEP_LINE = re.compile(r"sep=(.)\s*", re.IGNORECASE)
_FIRST_LINE_CHARS = 1 << 20  # the header line is read alone to choose the delimiter: never more than this


class NumberStyle(StrEnum):
    """How the file writes decimals, as far as its format tells."""

    INDONESIAN = "indonesian"  # ';'-separated CSV of an Indonesian Excel: '.' groups thousands, ',' is the decimal
    POINT = "point"  # XLSX number cells: a decimal point, never grouped
    UNKNOWN = "unknown"  # ','-separated CSV: either convention is possible


class Column(BaseModel):
    """A column an import understands: its canonical name and the other headers accepted for it."""

    model_config = ConfigDict(frozen=True)

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its cells, read through the table's columns (shared by every row, so a row of a 100,000-row
    file costs its cells and little more)."""

    line: int
    cells: tuple[str, ...]
    columns: Mapping[str, int]  # header → index in `cells`
    overflow: tuple[str, ...] = ()  # non-empty cells under no header: usually the wrong delimiter

    def get(self, column: str) -> str:
        index = self.columns.get(column)
        return self.cells[index] if index is not None and index < len(self.cells) else ""

    @property
    def values(self) -> dict[str, str]:
        return {name: self.get(name) for name in self.columns}


@dataclass(frozen=True, slots=True)
class Table:
    source: str  # the file name, for messages
    headers: list[str]  # normalised, or canonical after `conform`
    rows: list[Row]
    labels: dict[str, str] = field(default_factory=dict)  # header -> the header as written in the file
    number_style: NumberStyle = NumberStyle.UNKNOWN

    def label(self, header: str) -> str:
        return self.labels.get(header, header)


def normalise_header(text: str) -> str:
    """'NIP Atasan' -> 'nip_atasan', 'Unit-Kerja ' -> 'unit_kerja', 'Target (Min)' -> 'target_min'."""
    return re.sub(r"[\W_]+", "_", text.strip().casefold()).strip("_")


def read_table(path: str | Path, columns: Sequence[Column] = (), *, sheet: str | None = None) -> Table:
    """Read a .csv or .xlsx file; with `columns`, map accepted aliases to canonical names and require the columns.

    CSV: UTF-8 (a BOM is dropped) or, failing that, Windows-1252; the delimiter is ';' or ',', whichever the header
    line has more of; an Excel "sep=;" first line is honoured. XLSX: the first sheet or `sheet`; formulas give their
    cached values (a file never opened in Excel has none); integral numbers lose their '.0', dates become ISO text.
    """
    file = Path(path)
    if not file.is_file():
        raise ImportFileError(f"{file.name}: berkas tidak ditemukan ({file})")
    _check_size(file)
    suffix = file.suffix.casefold()
    if suffix in CSV_SUFFIXES:
        table = _csv_table(file)
    elif suffix in XLSX_SUFFIXES:
        table = _xlsx_table(file, sheet)
    elif suffix == ".xls":
        raise ImportFileError(
            f"{file.name}: format .xls (Excel 97–2003) tidak didukung; simpan sebagai .xlsx atau .csv"
        )
    else:
        raise ImportFileError(f"{file.name}: jenis berkas '{file.suffix}' tidak didukung; gunakan .csv atau .xlsx")
    return conform(table, columns) if columns else table


def _check_size(file: Path) -> None:
    size = file.stat().st_size
    if size > MAX_IMPORT_FILE_BYTES:
        raise ImportFileError(
            f"{file.name}: berkas {size / (1024 * 1024):.0f} MB, paling besar {MAX_IMPORT_FILE_BYTES // (1024 * 1024)}"
            " MB; pecah berkas menjadi beberapa impor"
        )


def conform(table: Table, columns: Sequence[Column]) -> Table:
    """The table with headers renamed to the columns' canonical names; a missing required column is an error.

    Headers that are no column's name or alias are kept as they are, so a file may carry extra columns.
    """
    canonical: dict[str, str] = {}
    for column in columns:
        for name in (column.name, *column.aliases):
            canonical[normalise_header(name)] = column.name
    renamed: dict[str, str] = {}
    for header in table.headers:
        name = canonical.get(header, header)
        if name in renamed.values():
            first = next(h for h, n in renamed.items() if n == name)
            raise ImportFileError(
                f"{table.source}: kolom '{table.label(first)}' dan '{table.label(header)}' sama-sama berarti "
                f"'{name}'; hapus salah satu"
            )
        renamed[header] = name
    headers = list(renamed.values())
    missing = [c.name for c in columns if c.required and c.name not in headers]
    if missing:
        found = ", ".join(table.label(h) for h in table.headers) or "tidak ada"
        raise ImportFileError(
            f"{table.source}: kolom wajib tidak ada: {', '.join(missing)} (kolom yang terbaca: {found})"
        )
    if not table.rows:
        return replace(table, headers=headers, labels={renamed[h]: table.label(h) for h in table.headers})
    positions = {renamed[header]: index for header, index in table.rows[0].columns.items()}  # shared by every row
    rows = [Row(row.line, row.cells, positions, row.overflow) for row in table.rows]
    labels = {renamed[h]: table.label(h) for h in table.headers}
    return replace(table, headers=headers, rows=rows, labels=labels)


def overflow_message(row: Row) -> str | None:
    """The error for cells beyond the header, or None."""
    if not row.overflow:
        return None
    shown = ", ".join(f"'{v}'" for v in row.overflow[:3])
    return (
        f"{len(row.overflow)} nilai di luar kolom judul ({shown}); periksa pemisah kolom (';' atau ',') "
        "dan tanda kutip pada sel yang berisi pemisah"
    )


# --- building the table -----------------------------------------------------------------------------------------


def _table(source: str, grid: Iterable[tuple[int, list[str]]], style: NumberStyle) -> Table:
    """The table of `grid`'s rows, read one at a time and never more than MAX_UPLOAD_ROWS of them."""
    cells = iter(grid)
    header = next(((line, row) for line, row in cells if any(row)), None)
    if header is None:
        raise ImportFileError(f"{source}: berkas kosong, tidak ada baris judul")
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, text in enumerate(header[1]):
        name = normalise_header(text)
        if not name:
            continue
        if name in labels:
            raise ImportFileError(f"{source}: judul kolom '{text}' ganda pada baris {header[0]}")
        columns[name] = index
        labels[name] = text
    if not columns:
        raise ImportFileError(f"{source}: baris judul {header[0]} tidak berisi nama kolom")
    named = set(columns.values())
    rows: list[Row] = []
    for line, row in cells:
        if not any(row):
            continue
        if len(rows) == MAX_UPLOAD_ROWS:
            raise ImportFileError(
                f"{source}: lebih dari {MAX_UPLOAD_ROWS:,} baris data; pecah berkas menjadi beberapa impor".replace(
                    ",", "."
                )
            )
        overflow = tuple(v for i, v in enumerate(row) if v and i not in named)
        rows.append(Row(line, tuple(row), columns, overflow))
    return Table(source=source, headers=list(columns), rows=rows, labels=labels, number_style=style)


def _csv_table(file: Path) -> Table:
    """Read as UTF-8 (a BOM dropped) a record at a time; a file that is not UTF-8 is read again as Windows-1252."""
    try:
        return _csv_read(file, "utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Older Excel versions on Windows save "CSV" in the ANSI code page, Windows-1252 on Indonesian systems.
        return _csv_read(file, "cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(f"{file.name}: pengodean teks tidak dikenal; simpan sebagai CSV UTF-8") from None


def _csv_read(file: Path, encoding: str) -> Table:
    try:
        with file.open(encoding=encoding, newline="") as text:
            first = text.readline(_FIRST_LINE_CHARS)
            # Excel's "sep=;" hint is hidden when Excel opens the file, so the header below it is still row 1 there.
            hint = _SEP_LINE.fullmatch(first)
            if hint:
                delimiter = hint.group(1)
            else:
                while first and not first.strip():
                    first = text.readline(_FIRST_LINE_CHARS)
                delimiter = ";" if first.count(";") > first.count(",") else ","
                text.seek(0)
            style = NumberStyle.INDONESIAN if delimiter == ";" else NumberStyle.UNKNOWN
            reader = csv.reader(text, delimiter=delimiter, skipinitialspace=True)
            try:
                return _table(file.name, _records(reader), style)
            except csv.Error as error:
                raise ImportFileError(f"{file.name}: CSV rusak di sekitar baris {reader.line_num}: {error}") from None
    except OSError as error:
        raise ImportFileError(f"{file.name}: berkas tidak dapat dibaca ({error.strerror or error})") from None


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    # Records, not physical lines: a quoted cell spanning lines is still one spreadsheet row.
    for line, record in enumerate(reader, start=1):
        yield line, [cell.strip() for cell in record]


def _xlsx_table(file: Path, sheet: str | None) -> Table:
    # Imported here: openpyxl is only needed for spreadsheets and is slow to import.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # a damaged archive fails in zlib, the XML parser or openpyxl, in many ways
        raise ImportFileError(
            f"{file.name}: bukan berkas Excel .xlsx yang dapat dibaca ({type(error).__name__})"
        ) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise ImportFileError(
                f"{file.name}: lembar '{sheet}' tidak ada; lembar yang ada: {', '.join(workbook.sheetnames)}"
            )
        try:
            rows = _sheet_rows(worksheet.iter_rows(min_row=1, values_only=True))
            return _table(file.name, rows, NumberStyle.POINT)
        except ImportFileError:
            raise
        except Exception as error:  # likewise: a sheet is unpacked (and may fail) row by row
            raise ImportFileError(f"{file.name}: lembar '{worksheet.title}' rusak ({type(error).__name__})") from None
    finally:
        workbook.close()


def _sheet_rows(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, list[str]]]:
    for line, values in enumerate(rows, start=1):
        yield line, [cell_text(value) for value in values]


def cell_text(value: object) -> str:
    """The text of a spreadsheet cell value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_FLOAT_INTEGER:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()
