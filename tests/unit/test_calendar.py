"""The cycle calendar: absolute dates, ISO-8601 durations from the start, the regulation defaults, and their order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.calendar import CycleCalendar, Deadlines, parse_duration, recount, resolve, resolve_for_period
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY, AppraisalPolicy
from domain.stages import Step

WIB_MIDNIGHT_JAN_1_2026 = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)


def _compressed(**overrides: object) -> CycleCalendar:
    spec: dict[str, object] = {
        "start": "2026-03-01T08:00:00+07:00",
        "skp_draft_due": "PT10M",
        "skp_due": "PT20M",
        "survey_opens": "PT5M",
        "survey_closes": "PT40M",
        "self_assessment_due": "PT30M",
        "review_due": "PT45M",
        "calibration_due": "PT1H",
        "sign_off_due": "PT1H15M",
        "objection_window": "PT10M",
        "objection_decision_due": "PT10M",
    }
    spec.update(overrides)
    return CycleCalendar.model_validate(spec)


def test_the_defaults_are_the_regulation_dates_at_the_end_of_the_day_in_wib() -> None:
    deadlines = resolve(CycleCalendar(), 2026, DEFAULT_POLICY)
    assert deadlines.start == WIB_MIDNIGHT_JAN_1_2026
    # SKP ditetapkan paling lambat akhir Januari: 31 January 23:59:59 WIB.
    assert deadlines.skp_due == datetime(2026, 1, 31, 16, 59, 59, tzinfo=UTC)
    assert deadlines.skp_draft_due == datetime(2026, 1, 14, 16, 59, 59, tzinfo=UTC)
    assert deadlines.survey_opens == datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # a survey opens at the day's start
    assert deadlines.review_due == datetime(2027, 1, 10, 16, 59, 59, tzinfo=UTC)
    # PP 30/2019 Pasal 59: 14 days for a keberatan.
    assert deadlines.objection_window == timedelta(days=14)


def test_durations_count_from_the_start_so_a_cycle_runs_in_minutes() -> None:
    deadlines = resolve(_compressed(), 2026, DEFAULT_POLICY)
    start = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert deadlines.start == start
    assert deadlines.skp_draft_due == start + timedelta(minutes=10)
    assert deadlines.sign_off_due == start + timedelta(hours=1, minutes=15)
    assert deadlines.objection_decision_due == timedelta(minutes=10)


def test_absolute_dates_and_times_mix_with_durations() -> None:
    calendar = _compressed(
        start=date(2026, 1, 1),
        skp_draft_due="P2W",
        skp_due=date(2026, 1, 31),
        survey_opens="2026-10-01T00:00",
        survey_closes=datetime(2026, 11, 30, 17, 0, tzinfo=UTC),
        self_assessment_due="P1Y4D",
        review_due="2027-01-10",
        calibration_due=timedelta(days=385),
        sign_off_due="P1Y1M",
        objection_window=timedelta(days=14),
        objection_decision_due="P14D",
        utc_offset_hours=8,  # WITA
    )
    deadlines = resolve(calendar, 2026, DEFAULT_POLICY)
    assert deadlines.start == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert deadlines.skp_draft_due == datetime(2026, 1, 14, 16, 0, tzinfo=UTC)
    assert deadlines.skp_due == datetime(2026, 1, 31, 15, 59, 59, tzinfo=UTC)
    assert deadlines.survey_opens == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert deadlines.survey_closes == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert deadlines.self_assessment_due == datetime(2027, 1, 4, 16, 0, tzinfo=UTC)
    assert deadlines.calibration_due == datetime(2027, 1, 20, 16, 0, tzinfo=UTC)
    assert deadlines.sign_off_due == datetime(2027, 1, 31, 16, 0, tzinfo=UTC)  # calendar months from the start
    assert deadlines.utc_offset_hours == 8  # kept: notices print the deadlines in WITA


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P30D", timedelta(days=30)),
        ("PT10M", timedelta(minutes=10)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P2W", timedelta(weeks=2)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("pt90s", timedelta(seconds=90)),
    ],
)
def test_iso_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text, "skp_due").delta == expected


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "30D", "P-1D", "P1H", "1 week"])
def test_a_bad_duration_names_the_field_and_shows_examples(text: str) -> None:
    with pytest.raises(DomainError) as error:
        parse_duration(text, "review_due")
    assert error.value.field == "review_due" and "P30D" in str(error.value)


def test_a_month_of_31_january_ends_on_the_last_day_of_february() -> None:
    start = datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_duration("P1M", "skp_due").after(start) == datetime(2026, 2, 28, tzinfo=UTC)


def test_a_duration_too_long_for_any_clock_names_the_field() -> None:
    with pytest.raises(DomainError) as error:
        parse_duration("P9999999999D", "review_due")
    assert error.value.field == "review_due" and "terlalu panjang" in str(error.value)


def test_windows_cannot_be_calendar_months() -> None:
    with pytest.raises(DomainError) as error:
        resolve(_compressed(objection_window="P1M"), 2026, DEFAULT_POLICY)
    assert error.value.field == "objection_window"


def test_deadlines_out_of_order_are_refused_naming_the_later_field() -> None:
    with pytest.raises(DomainError) as error:
        resolve(_compressed(review_due="PT25M"), 2026, DEFAULT_POLICY)
    assert error.value.field == "review_due"
    assert "batas penilaian oleh pejabat penilai" in str(error.value) and "harus setelah" in str(error.value)


def test_the_survey_must_close_before_calibration() -> None:
    with pytest.raises(DomainError) as error:
        resolve(_compressed(survey_closes="PT2H"), 2026, DEFAULT_POLICY)
    assert error.value.field == "calibration_due"


def test_a_start_that_is_a_duration_is_refused() -> None:
    with pytest.raises(DomainError) as error:
        resolve(_compressed(start="P1D"), 2026, DEFAULT_POLICY)
    assert error.value.field == "start"


def test_resolved_deadlines_keep_their_order_when_deserialised() -> None:
    deadlines = resolve(_compressed(), 2026, DEFAULT_POLICY)
    data = deadlines.model_dump(mode="json")
    assert Deadlines.model_validate(data) == deadlines
    data["review_due"] = data["start"]
    with pytest.raises(ValidationError):
        Deadlines.model_validate(data)


def test_each_step_has_its_deadline() -> None:
    deadlines = resolve(_compressed(), 2026, DEFAULT_POLICY)
    entered = deadlines.start + timedelta(minutes=50)
    assert deadlines.for_step(Step.SKP_DRAFTING, entered) == deadlines.skp_draft_due
    # A returned SKP is due by the penetapan deadline, not the first-draft one.
    assert deadlines.for_step(Step.SKP_DRAFTING, entered, redraft=True) == deadlines.skp_due
    assert deadlines.for_step(Step.SUPERVISOR_REVIEW, entered) == deadlines.review_due
    assert deadlines.for_step(Step.OBJECTION_WINDOW, entered) == entered + timedelta(minutes=10)
    assert deadlines.for_step(Step.FINAL, entered) is None


@pytest.mark.parametrize("spec", ["P8000Y", "P99999999M"])
def test_a_duration_past_the_calendar_is_refused_naming_the_field(spec: str) -> None:
    with pytest.raises(DomainError) as refused:
        resolve(CycleCalendar(skp_draft_due=spec), 2026, DEFAULT_POLICY)
    assert refused.value.field == "skp_draft_due" and "terlalu panjang" in str(refused.value)


def test_a_started_cycle_lies_in_its_years_and_its_windows_are_bounded() -> None:
    """What someone starts through the API or `siklus mulai` (resolve_for_period): no date that would overflow a
    timer or fall outside the appraisal's years is accepted, each refused naming its field."""
    ok = resolve_for_period(CycleCalendar.model_validate({"start": "2026-01-02"}), 2026, DEFAULT_POLICY)
    assert ok.start.year == 2026
    cases = [
        ({"start": "0001-01-01T00:00+07:00", "skp_draft_due": "P1D"}, "start"),
        ({"start": "9999-12-20", "skp_draft_due": "P1D"}, "skp_due"),  # after the period's own deadlines
        ({"start": "1999-01-01"}, "start"),
        ({"start": "2026-01-02", "sign_off_due": "P10Y"}, "sign_off_due"),
        ({"start": "2026-01-02", "objection_window": "P5000D"}, "objection_window"),
    ]
    for spec, field in cases:
        with pytest.raises(DomainError) as refused:
            resolve_for_period(CycleCalendar.model_validate(spec), 2026, DEFAULT_POLICY)
        assert refused.value.field == field, spec


def test_a_compressed_year_ends_its_periods_when_its_calendar_says() -> None:
    deadlines = resolve(_compressed(period_ends=["PT6M", "PT12M", "PT18M"]), 2026, DEFAULT_POLICY)
    start = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert deadlines.period_ends == [start + timedelta(minutes=6 * n) for n in (1, 2, 3)]
    assert resolve(_compressed(), 2026, DEFAULT_POLICY).period_ends is None  # the quarters of the year
    data = deadlines.model_dump(mode="json")
    assert Deadlines.model_validate(data) == deadlines


@pytest.mark.parametrize(
    ("ends", "said"),
    [
        (["PT6M", "PT12M"], "mengevaluasi 3 periode"),  # the policy's quarters: three before the annual one
        (["PT6M", "PT6M", "PT18M"], "harus setelah mulai siklus dan akhir periode sebelumnya"),
        (["PT6M", "PT12M", "PT31M"], "harus sebelum batas penilaian diri"),
        (["PT6M", "PT12M", "P1Y2M"], "harus sebelum batas penilaian diri"),
        (["PT6M", "PT12M", "bukan"], "bukan tanggal"),
    ],
)
def test_period_ends_out_of_order_or_count_are_refused_naming_the_field(ends: list[str], said: str) -> None:
    with pytest.raises(DomainError) as error:
        resolve(_compressed(period_ends=ends), 2026, DEFAULT_POLICY)
    assert error.value.field == "period_ends" and said in str(error.value)


IN_WORKING_DAYS = DEFAULT_POLICY.with_overrides({"escalation": {"grace_working_days": 3}}, "hk")


def _with_day_off(day: date) -> AppraisalPolicy:
    days_off = {"days_off": [{"day": day.isoformat(), "name": "Libur"}]}
    return IN_WORKING_DAYS.with_overrides({"working_days": days_off}, "libur")


def test_a_new_day_off_moves_the_deadlines_stated_in_working_days_not_yet_reached() -> None:
    spec = _compressed(start="2026-08-03", skp_draft_due="5HK", skp_due="10HK", survey_opens="P1D",
                       survey_closes="30HK", self_assessment_due="20HK", review_due="2026-12-01",
                       calibration_due="P150D", sign_off_due="P160D", period_ends=["3HK", "8HK", "12HK"])  # fmt: skip
    before = resolve(spec, 2026, IN_WORKING_DAYS)
    assert before.workdays is not None
    day_off = date(2026, 8, 12)  # a Wednesday, after the drafting deadline (10 August) and before the others
    policy = _with_day_off(day_off)
    now = datetime(2026, 8, 11, 3, 0, tzinfo=UTC)
    counted = recount(spec, 2026, policy, before, now)
    expected = resolve(spec, 2026, policy)
    after = counted.deadlines
    assert after.skp_draft_due == before.skp_draft_due  # reached already
    assert after.skp_due == expected.skp_due > before.skp_due  # one working day later
    assert after.self_assessment_due == expected.self_assessment_due > before.self_assessment_due
    # The periods' ends stay as the periodic evaluations started with them, even those stated in working days.
    assert after.period_ends == before.period_ends and expected.period_ends != before.period_ends
    assert (after.review_due, after.calibration_due) == (before.review_due, before.calibration_due)  # no HK in them
    assert day_off in (after.workdays.days_off if after.workdays else [])
    assert set(counted.moved) == {"skp_due", "survey_closes", "self_assessment_due"}
    assert "skp_draft_due" in counted.kept and Deadlines.model_validate(after.model_dump(mode="json")) == after


def test_a_recount_that_breaks_the_order_is_refused_naming_the_field() -> None:
    spec = _compressed(start="2026-08-03", self_assessment_due="10HK", review_due="2026-08-19T12:00:00+07:00",
                       skp_draft_due="P1D", skp_due="P2D", survey_opens="P1D", survey_closes="P3D",
                       calibration_due="P30D", sign_off_due="P40D")  # fmt: skip
    before = resolve(spec, 2026, DEFAULT_POLICY)
    with pytest.raises(DomainError) as error:
        recount(spec, 2026, _with_day_off(date(2026, 8, 5)), before, datetime(2026, 8, 4, tzinfo=UTC))
    assert error.value.field == "review_due"
