"""A survey file's `waktu` column and the cycle's survey window: every answer outside it reported with its line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from domain.survey_window import FUTURE_RULE, WINDOW_RULE, SurveyWindow
from importing.errors import ValidationFailed
from importing.survey import parse_survey
from importing.tables import read_table
from importing.values import parse_instant

WIB = timezone(timedelta(hours=7))
WIT = timezone(timedelta(hours=9))
WINDOW = SurveyWindow(datetime(2026, 10, 1, tzinfo=WIT), datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIT))
RECEIVED = datetime(2026, 11, 20, 10, tzinfo=WIT)
ANSWERS = "3,4,3,3,3,4,3,3,4"


def _file(tmp_path: Path, *rows: str, header: str = "unit,token,u1,u2,u3,u4,u5,u6,u7,u8,u9,waktu") -> Path:
    path = tmp_path / "survei.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-05", datetime(2026, 10, 5, tzinfo=WIT)),
        ("2026-10-05 09:12", datetime(2026, 10, 5, 9, 12, tzinfo=WIT)),
        ("2026-10-05T09:12:30+07:00", datetime(2026, 10, 5, 9, 12, 30, tzinfo=WIB)),
        ("2026-10-05T02:12:30Z", datetime(2026, 10, 5, 2, 12, 30, tzinfo=UTC)),
        ("05/10/2026", datetime(2026, 10, 5, tzinfo=WIT)),
        ("5/10/2026 9.12.33", datetime(2026, 10, 5, 9, 12, 33, tzinfo=WIT)),
        ("05-10-2026 09:12", datetime(2026, 10, 5, 9, 12, tzinfo=WIT)),
    ],
)
def test_instants_in_iso_or_indonesian_day_first_order(text: str, expected: datetime) -> None:
    assert parse_instant(text, WIT) == expected


@pytest.mark.parametrize("text", ["10/25/2026", "2026-13-01", "kemarin", "31/02/2026 10.00"])
def test_impossible_or_month_first_dates_are_refused_not_guessed(text: str) -> None:
    with pytest.raises(ValueError, match="bukan tanggal/waktu yang sah"):
        parse_instant(text, WIT)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+09:00", "02/10/0202", "9999-12-31T23:59:59-12:00"])
def test_years_far_outside_any_period_are_refused_as_a_row_error(text: str) -> None:
    with pytest.raises(ValueError, match="di luar 2000-2100"):
        parse_instant(text, WIT)


def test_answers_inside_the_window_keep_their_time(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        f"DAFDUK,T1,{ANSWERS},2026-10-01 00:00",
        f"DAFDUK,T2,{ANSWERS},30/11/2026 23.59.59",
        f"CAPIL,T3,{ANSWERS},",  # no time: a paper tally typed in, answered by the time it is imported
    )
    responses = parse_survey(read_table(path), zone=WIT, window=WINDOW, received_at=WINDOW.closes)
    assert [r.submitted_at for r in responses] == [WINDOW.opens, WINDOW.closes, WINDOW.closes]


def test_every_answer_outside_the_window_is_reported_with_line_column_and_rule(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        f"DAFDUK,T1,{ANSWERS},2026-09-30 23:59",  # line 2: the day before it opens
        f"DAFDUK,T2,{ANSWERS},2026-10-10 09:00",  # line 3: fine
        f"CAPIL,T3,{ANSWERS},2026-11-21 08:00",  # line 4: after the import
        f"CAPIL,T4,{ANSWERS},pekan lalu",  # line 5: not a time
        f"CAPIL,T5,{ANSWERS},2026-12-01T00:00:00+09:00",  # line 6: after the close
    )
    with pytest.raises(ValidationFailed) as failed:
        parse_survey(read_table(path), zone=WIT, window=WINDOW, received_at=RECEIVED)
    errors = failed.value.errors
    assert [(e.line, e.column, e.code) for e in errors] == [
        (2, "waktu", "waktu.di_luar_masa_survei"),
        (4, "waktu", "waktu.di_luar_masa_survei"),
        (5, "waktu", "waktu.tidak_sah"),
        (6, "waktu", "waktu.di_luar_masa_survei"),
    ]
    assert "sebelum survei dibuka" in errors[0].message and WINDOW_RULE in errors[0].message
    assert "2026-10-01 00:00:00 WIT – 2026-11-30 23:59:59 WIT" in errors[0].message
    assert FUTURE_RULE in errors[1].message
    assert "sesudah survei ditutup" in errors[3].message
    assert failed.value.message.endswith("tidak ada data yang diimpor")


def test_without_a_time_column_every_answer_counts_as_given_at_the_import(tmp_path: Path) -> None:
    path = _file(
        tmp_path, f"DAFDUK,T1,{ANSWERS}", f"DAFDUK,T2,{ANSWERS}", header="unit,token,u1,u2,u3,u4,u5,u6,u7,u8,u9"
    )
    early = WINDOW.opens - timedelta(days=3)
    with pytest.raises(ValidationFailed) as failed:
        parse_survey(read_table(path), zone=WIT, window=WINDOW, received_at=early)
    assert [e.line for e in failed.value.errors] == [2, 3]
    rendered = failed.value.errors[0].render()
    assert rendered.startswith("baris 2, kolom waktu: (kosong) — tanpa waktu pengisian, dianggap diisi saat impor")
    assert [r.submitted_at for r in parse_survey(read_table(path), window=WINDOW, received_at=RECEIVED)] == [
        RECEIVED,
        RECEIVED,
    ]


def test_a_form_tool_timestamp_column_in_xlsx_is_read_in_the_given_zone(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Stempel waktu", "Unit", "Token", *[f"U{i}" for i in range(1, 10)]])
    sheet.append([datetime(2026, 10, 2, 8, 30), "DAFDUK", "T1", *[4] * 9])
    path = tmp_path / "survei.xlsx"
    workbook.save(path)
    [response] = parse_survey(read_table(path), zone=WIT, window=WINDOW, received_at=RECEIVED)
    assert response.submitted_at == datetime(2026, 10, 2, 8, 30, tzinfo=WIT)


def test_without_a_window_the_time_is_only_read(tmp_path: Path) -> None:
    path = _file(tmp_path, f"DAFDUK,T1,{ANSWERS},2020-01-01", f"DAFDUK,T2,{ANSWERS},")
    first, second = parse_survey(read_table(path), zone=WIB)
    assert first.submitted_at == datetime(2020, 1, 1, tzinfo=WIB)
    assert second.submitted_at is None
    with pytest.raises(ValueError, match="received_at"):
        parse_survey(read_table(path), window=WINDOW)


def test_a_time_without_its_zone_is_refused_unless_the_files_zone_is_given(tmp_path: Path) -> None:
    """WIB, WITA and WIT are an hour apart: an answer at 23:30 WIT on the closing day is inside the window, read as
    WIB it is after the close. So a waktu without an offset is never read in a guessed zone."""
    path = _file(tmp_path, f"DAFDUK,T1,{ANSWERS},30/11/2026 23.30", f"DAFDUK,T2,{ANSWERS},2026-11-30T23:30+09:00")
    with pytest.raises(ValidationFailed) as failed:
        parse_survey(read_table(path), window=WINDOW, received_at=WINDOW.closes + timedelta(minutes=1))
    [error] = failed.value.errors
    assert (error.line, error.column, error.code) == (2, "waktu", "waktu.tanpa_zona")
    assert "--zona" in error.message

    first, second = parse_survey(
        read_table(path), zone=WIT, window=WINDOW, received_at=WINDOW.closes + timedelta(minutes=1)
    )
    assert first.submitted_at == second.submitted_at == datetime(2026, 11, 30, 23, 30, tzinfo=WIT)
