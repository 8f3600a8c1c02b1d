"""Hari kerja (domain.workdays): weekends, the 2026 national holidays and cuti bersama of the SKB, an instansi's own
days off and six-day weeks, and cycle deadlines stated in working days (domain.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.calendar import CycleCalendar, resolve
from domain.errors import DomainError
from domain.policy import AppraisalPolicy
from domain.workdays import NATIONAL_DAYS_OFF, SOURCES, DayOff, DayOffKind, WorkingDaysPolicy, work_calendar

FIELD = "review_due"


def test_the_2026_list_is_the_decrees_17_holidays_and_8_days_of_joint_leave() -> None:
    listed = NATIONAL_DAYS_OFF[2026]
    kinds = [off.kind for off in listed]
    assert kinds.count(DayOffKind.NATIONAL) == 17 and kinds.count(DayOffKind.JOINT_LEAVE) == 8
    assert len({off.day for off in listed}) == 25 and all(off.day.year == 2026 for off in listed)
    assert "1497" in SOURCES[2026]


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
    with pytest.raises(DomainError, match="tahun 2027 belum tercatat") as refused:
        calendar.working_day_after(date(2026, 12, 28), 5, field=FIELD)
    assert refused.value.field == FIELD
    entered = WorkingDaysPolicy(
        days_off=[DayOff(day=date(2027, 1, 1), name="Tahun Baru 2027 Masehi", kind=DayOffKind.NATIONAL)],
        years_listed=[2027],
    )
    # 29, 30, 31 December, then 1 January 2027 off and the weekend: Monday 4 January.
    assert work_calendar(entered).working_day_after(date(2026, 12, 28), 4, field=FIELD) == date(2027, 1, 4)


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
    with pytest.raises(DomainError, match="tahun 2027 belum tercatat") as refused:
        resolve(spec.model_copy(update={"start": "2026-12-20", "skp_draft_due": "10HK"}), 2026, AppraisalPolicy())
    assert refused.value.field == "skp_draft_due"
