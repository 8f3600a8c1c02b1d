"""The SKM window of a cycle (PermenPANRB 14/2017): which answers count, and when an import is too late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.calendar import CycleCalendar, resolve
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY
from domain.survey_window import (
    CLOSED_RULE,
    FUTURE_RULE,
    WINDOW_RULE,
    SurveyPhase,
    SurveyWindow,
    check_import_open,
    check_submission,
    shown,
    submission_problem,
)

WIT = timezone(timedelta(hours=9))
# The policy calendar of 2026 in Jayapura: 1 October 00:00 to 30 November 23:59:59 local time.
DEADLINES = resolve(CycleCalendar(utc_offset_hours=9), 2026, DEFAULT_POLICY)
WINDOW = SurveyWindow(DEADLINES.survey_opens, DEADLINES.survey_closes)
LATER = datetime(2026, 12, 20, tzinfo=WIT)  # the import comes after every answer below


def test_the_window_runs_from_the_opening_instant_to_the_closing_one_both_included() -> None:
    assert WINDOW.opens == datetime(2026, 10, 1, tzinfo=WIT)
    assert WINDOW.closes == datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIT)
    assert WINDOW.phase(WINDOW.opens - timedelta(seconds=1)) is SurveyPhase.NOT_OPEN
    assert WINDOW.phase(WINDOW.opens) is SurveyPhase.OPEN
    assert WINDOW.phase(WINDOW.closes) is SurveyPhase.OPEN
    assert WINDOW.phase(WINDOW.closes + timedelta(seconds=1)) is SurveyPhase.CLOSED
    assert WINDOW.contains(datetime(2026, 11, 1, 3, tzinfo=UTC))
    assert SurveyPhase.OPEN.label == "sedang berlangsung"


def test_a_window_must_close_after_it_opens_and_instants_must_carry_a_zone() -> None:
    with pytest.raises(DomainError) as error:
        SurveyWindow(WINDOW.closes, WINDOW.opens)
    assert error.value.field == "survey_closes"
    with pytest.raises(DomainError, match="tanpa zona"):
        WINDOW.phase(datetime(2026, 10, 5, 9))


@pytest.mark.parametrize(
    ("submitted", "rule", "words"),
    [
        (datetime(2026, 9, 30, 23, 59, 59, tzinfo=WIT), WINDOW_RULE, "sebelum survei dibuka"),
        (datetime(2026, 12, 1, tzinfo=WIT), WINDOW_RULE, "sesudah survei ditutup"),
        (datetime(2026, 12, 21, tzinfo=WIT), WINDOW_RULE, "sesudah survei ditutup"),
        (datetime(2026, 11, 2, tzinfo=WIT), FUTURE_RULE, "sesudah waktu impor 2026-11-01 00:00:00 WIT"),
    ],
)
def test_an_answer_outside_the_window_or_after_its_import_is_refused_naming_field_and_rule(
    submitted: datetime, rule: str, words: str
) -> None:
    received = datetime(2026, 11, 1, tzinfo=WIT)
    with pytest.raises(DomainError) as error:
        check_submission(WINDOW, submitted, received_at=received, zone=WIT)
    assert (error.value.field, error.value.rule) == ("waktu", rule)
    assert words in str(error.value)
    problem = submission_problem(WINDOW, submitted, received_at=received, zone=WIT)
    assert problem is not None and problem.rule == rule


def test_the_message_shows_the_window_in_the_instansi_local_time() -> None:
    problem = submission_problem(WINDOW, datetime(2026, 9, 30, 8, tzinfo=WIT), received_at=LATER, zone=WIT)
    assert problem is not None
    assert problem.message == (
        "diisi 2026-09-30 08:00:00 WIT, sebelum survei dibuka;"
        " masa survei 2026-10-01 00:00:00 WIT – 2026-11-30 23:59:59 WIT"
    )


def test_answers_inside_the_window_pass_also_on_its_first_and_last_second() -> None:
    for submitted in (WINDOW.opens, datetime(2026, 10, 15, 10, tzinfo=WIT), WINDOW.closes):
        check_submission(WINDOW, submitted, received_at=LATER)
        assert submission_problem(WINDOW, submitted, received_at=submitted) is None


def test_an_import_is_refused_after_the_close_or_once_the_ikm_is_computed() -> None:
    check_import_open(WINDOW, WINDOW.closes)  # the last second still counts
    check_import_open(WINDOW, WINDOW.opens - timedelta(days=30))  # early: the rows themselves are refused
    with pytest.raises(DomainError) as closed:
        check_import_open(WINDOW, WINDOW.closes + timedelta(seconds=1), cycle_id="2026-DUKCAPIL", zone=WIT)
    assert (closed.value.field, closed.value.rule) == ("survei", CLOSED_RULE)
    assert "siklus 2026-DUKCAPIL sudah ditutup 2026-11-30 23:59:59 WIT" in str(closed.value)
    computed = datetime(2026, 11, 30, 15, 0, 5, tzinfo=UTC)
    with pytest.raises(DomainError, match="sudah dihitung pada 2026-12-01 00:00:05 WIT") as done:
        check_import_open(WINDOW, WINDOW.closes, computed_at=computed, zone=WIT)
    assert done.value.rule == CLOSED_RULE


@pytest.mark.parametrize(
    ("hours", "text"),
    [(7, "2026-10-01 07:00:00 WIB"), (8, "2026-10-01 08:00:00 WITA"), (0, "2026-10-01 00:00:00 UTC")],
)
def test_instants_are_shown_with_the_indonesian_zone_name(hours: int, text: str) -> None:
    assert shown(datetime(2026, 10, 1, tzinfo=UTC), timezone(timedelta(hours=hours))) == text
    assert shown(datetime(2026, 10, 1, tzinfo=UTC), timezone(timedelta(hours=5, minutes=30))).endswith("UTC+0530")
