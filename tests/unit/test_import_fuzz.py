"""The importers fed generated and mutated files (issue 19): every file ends in a clean import or a clear refusal (an
ImportFileError for the file, a ValidationFailed listing the bad lines: both DomainErrors, with a message), never
another exception, for CSV and XLSX, each kind of import. The example files are the seeds the mutations start from.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from domain.errors import DomainError
from importing import tables
from importing.iku import parse_iku
from importing.predicates import parse_predicates
from importing.realisations import parse_realisations
from importing.roster import parse_roster
from importing.skp import parse_skp
from importing.survey import parse_survey
from importing.tables import Table, read_table

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PARSERS: dict[str, Callable[[Table], Any]] = {
    "roster": lambda table: parse_roster(table, "DUKCAPIL-JPR", date(2026, 1, 2)),
    "iku": lambda table: parse_iku(table, "DUKCAPIL-JPR", 2026),
    "skp": lambda table: parse_skp(table, 2026),
    "survey": parse_survey,
    "predicates": parse_predicates,
    "realisations": parse_realisations,
}
SEEDS = {
    "roster": "roster_dukcapil.csv",
    "iku": "iku_dukcapil.csv",
    "skp": "skp_dukcapil.csv",
    "survey": "survey_dukcapil.csv",
    "predicates": "predikat_dukcapil.csv",
    "realisations": None,
}
REALISATIONS = "indikator;realisasi;bukti;catatan\n1.1;97,5;https://contoh.go.id/bukti.pdf;sesuai\n1.2;-3;;\n"
SETTINGS = settings(
    max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _seed(kind: str) -> bytes:
    name = SEEDS[kind]
    return (EXAMPLES / name).read_bytes() if name else REALISATIONS.encode()


def _import(kind: str, path: Path) -> None:
    """Read and parse: a DomainError (the file's or its lines') is a clean refusal; anything else fails the test."""
    try:
        PARSERS[kind](read_table(path))
    except DomainError as refused:
        assert str(refused).strip()


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed with a few bytes, lines or cells changed, cut, repeated or swapped."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["byte", "insert", "cut", "line", "cell", "repeat"]))
        if how == "byte":
            data[at] = draw(st.integers(0, 255))
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif how == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif how == "line":
            data[at:at] = draw(st.sampled_from([b"\n", b"\r\n", b'"', b";", b",", b"\x00", b"\xef\xbb\xbf", b"\r"]))
        elif how == "cell":
            text = draw(st.text(max_size=30)).encode("utf-8", "surrogatepass")
            data[at:at] = b"," + text
        else:
            end = min(len(data), at + draw(st.integers(1, 300)))
            data[at:at] = data[at:end] * draw(st.integers(1, 5))
    return bytes(data)


@pytest.mark.parametrize("kind", sorted(PARSERS))
@SETTINGS
@given(data=st.data())
def test_a_mutated_csv_is_imported_or_refused_cleanly(kind: str, data: st.DataObject, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(data.draw(mutated(_seed(kind)), label="file"))
    _import(kind, path)


@pytest.mark.parametrize("kind", sorted(PARSERS))
@SETTINGS
@given(cells=st.lists(st.lists(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(), st.dates(),
                                             st.booleans()), max_size=12), max_size=15))  # fmt: skip
def test_a_generated_spreadsheet_is_imported_or_refused_cleanly(
    kind: str, cells: list[list[Any]], tmp_path: Path
) -> None:
    """The seed's header, then generated cells of every type a spreadsheet holds."""
    header = _seed(kind).decode("utf-8-sig").splitlines()[0]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header.replace(";", ",").split(","))
    for row in cells:
        try:
            sheet.append(row)
        except (ValueError, TypeError, IllegalCharacterError):  # openpyxl cannot write it (a control character)
            continue
    path = tmp_path / f"{kind}.xlsx"
    book.save(path)
    _import(kind, path)


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_random_bytes_named_xlsx_or_csv_are_refused_cleanly(data: bytes, tmp_path: Path) -> None:
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"acak{suffix}"
        path.write_bytes(data)
        _import("survey", path)
    zipped = io.BytesIO()
    openpyxl.Workbook().save(zipped)
    damaged = bytearray(zipped.getvalue())
    if data:
        damaged[len(damaged) // 2 : len(damaged) // 2 + len(data)] = data
    path = tmp_path / "rusak.xlsx"
    path.write_bytes(bytes(damaged))
    _import("roster", path)


def test_a_file_past_the_row_limit_is_refused_while_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused at the first row past the limit, before the rest is read (a file of any length costs that much)."""
    monkeypatch.setattr(tables, "MAX_UPLOAD_ROWS", 50)
    path = tmp_path / "survei.csv"
    path.write_text("unit,token,u1\n" + "".join(f"CAPIL,T{n},3\n" for n in range(51)))
    with pytest.raises(DomainError, match="lebih dari 50 baris data"):
        read_table(path)
    path.write_text("unit,token,u1\n" + "".join(f"CAPIL,T{n},3\n" for n in range(50)))
    assert len(read_table(path).rows) == 50


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables, "MAX_IMPORT_FILE_BYTES", 1024 * 1024)
    path = tmp_path / "survei.csv"
    path.write_bytes(b"unit,token,u1\n" + b"CAPIL,T,3\n" * 120_000)
    with pytest.raises(DomainError, match="paling besar 1 MB"):
        read_table(path)
