"""Hari kerja (domain.workdays): weekends, the 2026 and 2027 national holidays and cuti bersama of the SKB, an
instansi's own days off and six-day weeks, and cycle deadlines stated in working days (domain.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from domain.calendar import CycleCalendar, resolve
from domain.errors import DomainError
from domain.escalation import checkpoints
from domain.policy import AppraisalPolicy, EscalationPolicy
from domain.workdays import (
    NATIONAL_DAYS_OFF,
    SOURCES,
    DayOff,
    DayOffKind,
    WorkdayTable,
    WorkingDaysPolicy,
    days_between,
    moved,
    work_calendar,
    workday_table,
)

FIELD = "review_due"


def test_the_2026_list_is_the_decrees_17_holidays_and_8_days_of_joint_leave() -> None:
    listed = NATIONAL_DAYS_OFF[2026]
    kinds = [off.kind for off in listed]
    assert kinds.count(DayOffKind.NATIONAL) == 17 and kinds.count(DayOffKind.JOINT_LEAVE) == 8
    assert len({off.day for off in listed}) == 25 and all(off.day.year == 2026 for off in listed)
    assert "1497" in SOURCES[2026]


def test_the_2027_list_is_the_decrees_18_holidays_and_8_days_of_joint_leave() -> None:
    listed = NATIONAL_DAYS_OFF[2027]
    kinds = [off.kind for off in listed]
    assert kinds.count(DayOffKind.NATIONAL) == 18 and kinds.count(DayOffKind.JOINT_LEAVE) == 8
    assert len({off.day for off in listed}) == 26 and all(off.day.year == 2027 for off in listed)
    assert "2027" in SOURCES[2027]
    calendar = work_calendar(WorkingDaysPolicy())
    # Idulfitri 1448 H: Nyepi on Monday 8 March, cuti bersama on the 9th, Idulfitri on the 10th and 11th, cuti
    # bersama on Friday 12 and Monday 15: from Friday 5 March the first working day after is Tuesday 16 March.
    assert calendar.working_day_after(date(2027, 3, 5), 1, field=FIELD) == date(2027, 3, 16)
    assert calendar.working_days_between(date(2027, 3, 1), date(2027, 3, 19), field=FIELD) == 9


def test_weekends_holidays_and_joint_leave_are_not_working_days() -> None:
    calendar = work_calendar(WorkingDaysPolicy())
    assert calendar.is_working_day(date(2026, 3, 16))  # a Monday
    assert not calendar.is_working_day(date(2026, 3, 14))  # Saturday
    assert not calendar.is_working_day(date(2026, 3, 19))  # Nyepi
    assert not calendar.is_working_day(date(2026, 3, 20))  # cuti bersama Idulfitri
    # Idulfitri 1447 H: from Tuesday 17 March, Wednesday 18 (cuti bersama), Thursday 19 (Nyepi), Friday 20, the
    # weekend (Idulfitri), Monday 23 and Tuesday 24 (cuti bersama): the third working day after is Friday 27 March.
    assert calendar.working_day_after(date(2026, 3, 17), 1, field=FIELD) == date(2026, 3, 25)
    assert calendar.working_day_after(date(2026, 3, 17), 3, field=FIELD) == date(2026, 3, 27)
    assert calendar.working_days_between(date(2026, 3, 16), date(2026, 3, 27), field=FIELD) == 5


def test_an_instansi_adds_its_own_days_off_and_may_work_six_days() -> None:
    own = WorkingDaysPolicy(days_off=[DayOff(day=date(2026, 3, 26), name="HUT Kabupaten")])
    assert work_calendar(own).working_day_after(date(2026, 3, 17), 3, field=FIELD) == date(2026, 3, 30)
    six = work_calendar(WorkingDaysPolicy(six_day_week=True))
    assert six.is_working_day(date(2026, 3, 28)) and not six.is_working_day(date(2026, 3, 29))  # Saturday, Sunday
    assert six.working_day_after(date(2026, 3, 17), 3, field=FIELD) == date(2026, 3, 27)  # 25, 26, 27
    assert six.working_day_after(date(2026, 3, 27), 1, field=FIELD) == date(2026, 3, 28)


def test_a_year_whose_holidays_nobody_listed_is_refused_not_guessed() -> None:
    calendar = work_calendar(WorkingDaysPolicy())
    with pytest.raises(DomainError, match="tahun 2028 belum tercatat") as refused:
        calendar.working_day_after(date(2027, 12, 27), 5, field=FIELD)
    assert refused.value.field == FIELD
    entered = WorkingDaysPolicy(
        days_off=[DayOff(day=date(2028, 1, 3), name="Libur hari jadi kota", kind=DayOffKind.INSTANSI)],
        years_listed=[2028],
    )
    # 28 to 31 December, then the weekend of 1 January 2028 and the instansi's Monday 3 off: Tuesday 4 January.
    assert work_calendar(entered).working_day_after(date(2027, 12, 27), 5, field=FIELD) == date(2028, 1, 4)


@pytest.mark.parametrize("count", [0, -1, 261])
def test_a_count_out_of_bounds_is_refused(count: int) -> None:
    with pytest.raises(DomainError, match="1 sampai 260"):
        work_calendar(WorkingDaysPolicy()).working_day_after(date(2026, 3, 2), count, field=FIELD)


def test_a_cycle_deadline_in_working_days_ends_with_that_day_in_the_cycles_zone() -> None:
    spec = CycleCalendar(
        start="2026-03-17",
        utc_offset_hours=9,  # WIT
        skp_draft_due="3HK",
        skp_due="5 hk",
        survey_opens="P1D",
        survey_closes="P20D",
        self_assessment_due="P21D",
        review_due="P22D",
        calibration_due="P23D",
        sign_off_due="P24D",
    )
    deadlines = resolve(spec, 2026, AppraisalPolicy())
    assert deadlines.skp_draft_due == datetime(2026, 3, 27, 14, 59, 59, tzinfo=UTC)  # 23.59.59 WIT
    assert deadlines.skp_due == datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC)  # 30, 31 March
    with pytest.raises(DomainError, match="tahun 2028 belum tercatat") as refused:
        resolve(spec.model_copy(update={"start": "2027-12-20", "skp_draft_due": "10HK"}), 2027, AppraisalPolicy())
    assert refused.value.field == "skp_draft_due"


# --- reminders and escalation in hari kerja (domain.escalation) ------------------------------------------------------

WIB_ZONE = timezone(timedelta(hours=7))
CHRISTMAS_EVE = datetime(
    2026, 12, 23, 23, 59, tzinfo=WIB_ZONE
)  # Wednesday; the 24th is joint leave, the 25th a holiday
IN_WORKING_DAYS = EscalationPolicy(reminders_before_working_days=[1, 3], grace_working_days=1, max_levels=3)


def _table() -> WorkdayTable:
    return workday_table(work_calendar(WorkingDaysPolicy()), [2025, 2026, 2027])


def test_an_instant_moves_by_working_days_at_its_time_of_day() -> None:
    calendar = work_calendar(WorkingDaysPolicy())
    monday = datetime(2026, 12, 28, 23, 59, tzinfo=WIB_ZONE)
    assert calendar.shifted(monday, -1, WIB_ZONE) == CHRISTMAS_EVE  # Thu 24, Fri 25, the weekend skipped
    assert calendar.shifted(CHRISTMAS_EVE, 1, WIB_ZONE) == monday
    assert calendar.shifted(CHRISTMAS_EVE.astimezone(UTC), 1, WIB_ZONE) == monday.astimezone(UTC)  # in its own zone
    # Thursday 31 December; 1 January 2027, the weekend and Tuesday 5 January (Isra Mikraj) skipped.
    assert calendar.shifted(datetime(2026, 12, 30, 9, tzinfo=WIB_ZONE), 3, WIB_ZONE) == datetime(
        2027, 1, 6, 9, tzinfo=WIB_ZONE
    )
    assert calendar.shifted(datetime(2027, 12, 30, 9, tzinfo=WIB_ZONE), 3, WIB_ZONE) is None  # 2028 is not listed


def test_the_cycle_carries_the_listed_working_days_only_where_its_policy_counts_in_them() -> None:
    table = _table()
    assert table.years == [2026, 2027] and len(table.days_off) == 51 and date(2026, 12, 24) in table.days_off
    spec = CycleCalendar(start=date(2026, 1, 2))
    assert resolve(spec, 2026, AppraisalPolicy()).workdays is None
    assert resolve(spec, 2026, AppraisalPolicy(escalation=IN_WORKING_DAYS)).workdays == table


def test_reminders_and_escalation_fall_on_working_days_around_the_holidays() -> None:
    planned = datetime(2026, 12, 1, tzinfo=UTC)
    points = checkpoints(CHRISTMAS_EVE, planned, IN_WORKING_DAYS, _table(), 7)
    assert [(p.kind.value, p.level, p.at.astimezone(WIB_ZONE)) for p in points] == [
        ("reminder", 0, datetime(2026, 12, 18, 23, 59, tzinfo=WIB_ZONE)),  # 3 working days before: Friday
        ("reminder", 0, datetime(2026, 12, 22, 23, 59, tzinfo=WIB_ZONE)),
        ("escalation", 1, CHRISTMAS_EVE),
        ("escalation", 2, datetime(2026, 12, 28, 23, 59, tzinfo=WIB_ZONE)),  # not on Christmas Eve's holidays
        ("escalation", 3, datetime(2026, 12, 29, 23, 59, tzinfo=WIB_ZONE)),
    ]
    # Without the cycle's table (a cycle started before), or without working days in the policy: durations.
    assert checkpoints(CHRISTMAS_EVE, planned, IN_WORKING_DAYS)[-2].at == CHRISTMAS_EVE + IN_WORKING_DAYS.grace
    plain = checkpoints(CHRISTMAS_EVE, planned, EscalationPolicy(), _table(), 7)
    assert plain == checkpoints(CHRISTMAS_EVE, planned, EscalationPolicy())


def test_past_the_listed_years_the_escalation_counts_calendar_days() -> None:
    new_year_eve = datetime(2027, 12, 31, 23, 59, tzinfo=WIB_ZONE)
    policy = EscalationPolicy(grace_working_days=2, max_levels=2)
    points = checkpoints(new_year_eve, datetime(2027, 12, 1, tzinfo=UTC), policy, _table(), 7)
    assert points[-1].at == new_year_eve + timedelta(days=2)  # 2028's holidays are not listed: not guessed


def test_levels_counted_into_an_unlisted_year_stay_in_order() -> None:
    """Each level from the one before: the third falls back to calendar days from the second, never before it."""
    policy = EscalationPolicy(grace_working_days=3, max_levels=3)
    due = datetime(2027, 12, 23, 23, 59, tzinfo=WIB_ZONE)  # Thursday; Friday 24 is joint leave
    points = checkpoints(due, datetime(2027, 12, 1, tzinfo=UTC), policy, _table(), 7)
    second = datetime(2027, 12, 29, 23, 59, tzinfo=WIB_ZONE)  # Mon 27, Tue 28, Wed 29
    escalations = [p.at.astimezone(WIB_ZONE) for p in points if p.level]
    assert escalations == [due, second, second + timedelta(days=3)]  # Thu 30, Fri 31, then 2028: unlisted


@pytest.mark.parametrize("bad", [{"grace_working_days": 0}, {"reminders_before_working_days": [61]}])
def test_working_day_counts_are_bounded(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        EscalationPolicy.model_validate(bad)


def test_an_extension_is_measured_and_repeated_in_the_cycles_working_days() -> None:
    """What an extension that moves the later deadlines counts (CalendarPolicy.extension_shifts_later)."""
    table = _table()
    monday = datetime(2026, 12, 28, 23, 59, tzinfo=WIB_ZONE)
    assert days_between(table, CHRISTMAS_EVE, monday, WIB_ZONE) == 1  # Thu 24 to Sun 27 are no working days
    assert days_between(None, CHRISTMAS_EVE, monday, WIB_ZONE) == 5  # without the table: calendar days
    assert days_between(table, monday, CHRISTMAS_EVE, WIB_ZONE) == 0
    # After Wednesday 23 December up to Monday 4 January: Mon 28 to Thu 31 December and Monday 4 January.
    assert days_between(table, CHRISTMAS_EVE, datetime(2027, 1, 4, tzinfo=WIB_ZONE), WIB_ZONE) == 5
    assert days_between(table, CHRISTMAS_EVE, datetime(2028, 1, 4, tzinfo=WIB_ZONE), WIB_ZONE) == 377  # 2028 unlisted
    assert moved(table, CHRISTMAS_EVE, 1, WIB_ZONE) == monday
    assert moved(None, CHRISTMAS_EVE, 1, WIB_ZONE) == CHRISTMAS_EVE + timedelta(days=1)
    last_monday = datetime(2027, 12, 27, 23, 59, tzinfo=WIB_ZONE)
    assert moved(table, last_monday, 5, WIB_ZONE) == last_monday + timedelta(days=5)  # into 2028: calendar days
