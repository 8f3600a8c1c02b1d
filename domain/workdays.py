"""Hari kerja: the days an office works, for deadlines stated in working days (issue 20).

An instansi works five days a week, Monday to Friday (Perpres 21/2023 on the working days and hours of government
offices and ASN), or six where its region rules so [U: policy, `six_day_week`]. Not working days: the national
holidays (hari libur nasional) and the joint leave (cuti bersama) that the Menteri Agama, the Menteri
Ketenagakerjaan and the Menteri PANRB fix each year in a joint decree (SKB), and the instansi's own days off.

The published lists ship as data below, with the decree they come from; a later year's list is entered by the
instansi's HR in its policy (`working_days.days_off`, and the year in `working_days.years_listed`) until it ships.
Counting working days into a year whose holidays nobody has listed is refused rather than guessed: a deadline that
ignores Idul Fitri is worse than none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import DomainError

MAX_WORKING_DAYS = 260  # a year of them: a deadline further than that is a typing mistake


class DayOffKind(StrEnum):
    NATIONAL = "libur_nasional"
    JOINT_LEAVE = "cuti_bersama"
    INSTANSI = "instansi"

    @property
    def label(self) -> str:
        return {"libur_nasional": "Hari libur nasional", "cuti_bersama": "Cuti bersama", "instansi": "Libur instansi"}[
            self.value
        ]


class DayOff(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    day: date
    name: str = Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$")
    kind: DayOffKind = DayOffKind.INSTANSI


# SKB Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB Nomor 1497 Tahun 2025, Nomor 2 Tahun 2025, Nomor 5 Tahun
# 2025 tentang Hari Libur Nasional dan Cuti Bersama Tahun 2026 (19 September 2025): 17 national holidays, 8 days
# of joint leave. Those falling on a weekend are listed as published; they change no count.
#
# 2027: the joint decree on the Hari Libur Nasional dan Cuti Bersama Tahun 2027 as the Kementerian Sekretariat Negara
# published it ("Inilah SKB 3 Menteri Libur Nasional dan Cuti Bersama 2027", setneg.go.id, September 2026): 18
# national holidays (Isra Mikraj falls twice, 27 Rajab 1448 and 1449 H), 8 days of joint leave. This machine reaches
# no government site: the list was transcribed from the data of python-holidays 0.108 (November 2026), which cites
# that page in its web.archive.org copy of 17 September 2026, and checked against its 2026 list, which matches the
# decree above day for day. The decree's number was not seen; docs/policy.md asks HR to compare the list with the
# signed decree. Idulfitri (10-11 March) and Iduladha (17 May) are marked estimated there (its lunar table is
# confirmed to 2026); the joint leave the decree puts around them (9, 12 and 15 March; 18 May) agrees with them.
# Should the sidang isbat move one, HR adds the day in `working_days.days_off`.
SOURCES = {
    2026: "SKB Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB Nomor 1497, 2 dan 5 Tahun 2025",
    2027: "SKB Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB tentang Hari Libur Nasional dan Cuti Bersama"
    " Tahun 2027, sebagaimana diumumkan Kementerian Sekretariat Negara (setneg.go.id, September 2026)",
}
_N, _C = DayOffKind.NATIONAL, DayOffKind.JOINT_LEAVE
NATIONAL_DAYS_OFF: Mapping[int, tuple[DayOff, ...]] = {
    2026: tuple(
        DayOff(day=date(2026, month, day), name=name, kind=kind)
        for month, day, name, kind in (
            (1, 1, "Tahun Baru 2026 Masehi", _N),
            (1, 16, "Isra Mikraj Nabi Muhammad SAW", _N),
            (2, 16, "Cuti bersama Tahun Baru Imlek", _C),
            (2, 17, "Tahun Baru Imlek 2577 Kongzili", _N),
            (3, 18, "Cuti bersama Hari Suci Nyepi", _C),
            (3, 19, "Hari Suci Nyepi (Tahun Baru Saka 1948)", _N),
            (3, 20, "Cuti bersama Idulfitri 1447 H", _C),
            (3, 21, "Idulfitri 1447 H", _N),
            (3, 22, "Idulfitri 1447 H", _N),
            (3, 23, "Cuti bersama Idulfitri 1447 H", _C),
            (3, 24, "Cuti bersama Idulfitri 1447 H", _C),
            (4, 3, "Wafat Yesus Kristus", _N),
            (4, 5, "Kebangkitan Yesus Kristus (Paskah)", _N),
            (5, 1, "Hari Buruh Internasional", _N),
            (5, 14, "Kenaikan Yesus Kristus", _N),
            (5, 15, "Cuti bersama Kenaikan Yesus Kristus", _C),
            (5, 27, "Iduladha 1447 H", _N),
            (5, 28, "Cuti bersama Iduladha 1447 H", _C),
            (5, 31, "Hari Raya Waisak 2570 BE", _N),
            (6, 1, "Hari Lahir Pancasila", _N),
            (6, 16, "1 Muharam Tahun Baru Islam 1448 H", _N),
            (8, 17, "Proklamasi Kemerdekaan", _N),
            (8, 25, "Maulid Nabi Muhammad SAW", _N),
            (12, 24, "Cuti bersama Kelahiran Yesus Kristus", _C),
            (12, 25, "Kelahiran Yesus Kristus", _N),
        )
    ),
    2027: tuple(
        DayOff(day=date(2027, month, day), name=name, kind=kind)
        for month, day, name, kind in (
            (1, 1, "Tahun Baru 2027 Masehi", _N),
            (1, 5, "Isra Mikraj Nabi Muhammad SAW", _N),
            (2, 5, "Cuti bersama Tahun Baru Imlek", _C),
            (2, 6, "Tahun Baru Imlek 2578 Kongzili", _N),
            (3, 8, "Hari Suci Nyepi (Tahun Baru Saka 1949)", _N),
            (3, 9, "Cuti bersama Idulfitri 1448 H", _C),
            (3, 10, "Idulfitri 1448 H", _N),
            (3, 11, "Idulfitri 1448 H", _N),
            (3, 12, "Cuti bersama Idulfitri 1448 H", _C),
            (3, 15, "Cuti bersama Idulfitri 1448 H", _C),
            (3, 25, "Cuti bersama Wafat Yesus Kristus", _C),
            (3, 26, "Wafat Yesus Kristus", _N),
            (3, 28, "Kebangkitan Yesus Kristus (Paskah)", _N),
            (5, 1, "Hari Buruh Internasional", _N),
            (5, 6, "Kenaikan Yesus Kristus", _N),
            (5, 17, "Iduladha 1448 H", _N),
            (5, 18, "Cuti bersama Iduladha 1448 H", _C),
            (5, 19, "Cuti bersama Hari Raya Waisak", _C),
            (5, 20, "Hari Raya Waisak 2571 BE", _N),
            (6, 1, "Hari Lahir Pancasila", _N),
            (6, 6, "1 Muharam Tahun Baru Islam 1449 H", _N),
            (8, 15, "Maulid Nabi Muhammad SAW", _N),
            (8, 17, "Proklamasi Kemerdekaan", _N),
            (12, 24, "Cuti bersama Kelahiran Yesus Kristus", _C),
            (12, 25, "Kelahiran Yesus Kristus", _N),
            (12, 26, "Isra Mikraj Nabi Muhammad SAW", _N),
        )
    ),
}


class WorkingDaysPolicy(BaseModel):
    """An instansi's working week and its own days off; `years_listed`: the years whose national holidays and joint
    leave its HR entered in `days_off` themselves (a year not shipped in NATIONAL_DAYS_OFF)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    six_day_week: bool = False
    days_off: list[DayOff] = Field(default_factory=list, max_length=400)
    years_listed: list[int] = Field(default_factory=list, max_length=20)


@dataclass(frozen=True)
class WorkCalendar:
    working_weekdays: frozenset[int]  # date.weekday(): Monday 0
    days_off: frozenset[date]
    known_years: frozenset[int]  # years whose national holidays are listed

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays and day not in self.days_off

    def working_day_after(self, start: date, count: int, *, field: str) -> date:
        """The `count`-th working day after `start` (the day `start` itself does not count); DomainError naming
        `field` for a count out of bounds or for a day in a year whose holidays are not listed."""
        if not 1 <= count <= MAX_WORKING_DAYS:
            raise DomainError(
                f"jumlah hari kerja harus 1 sampai {MAX_WORKING_DAYS}, bukan {count}",
                field=field,
                rule="tenggat dalam hari kerja",
            )
        day, left = start, count
        while left:
            day += timedelta(days=1)
            self._listed(day.year, field)
            left -= self.is_working_day(day)
        return day

    def working_days_between(self, first: date, last: date, *, field: str) -> int:
        """Working days from `first` to `last`, both counted (0 when `last` is before `first`)."""
        found, day = 0, first
        while day <= last:
            self._listed(day.year, field)
            found += self.is_working_day(day)
            day += timedelta(days=1)
        return found

    def shifted(self, instant: datetime, count: int, zone: tzinfo) -> datetime | None:
        """The same time of day in `zone`, `count` working days later (earlier when negative), the days off and
        the days of the weekend skipped; None when a day it passes is in a year whose holidays are not listed."""
        local = instant.astimezone(zone)
        day, left, step = local.date(), abs(count), 1 if count > 0 else -1
        while left:
            day += timedelta(days=step)
            if day.year not in self.known_years:
                return None
            left -= self.is_working_day(day)
        return datetime.combine(day, local.timetz()).astimezone(instant.tzinfo)

    def _listed(self, year: int, field: str) -> None:
        if year not in self.known_years:
            raise DomainError(
                f"hari libur nasional dan cuti bersama tahun {year} belum tercatat, sehingga hari kerja tidak dapat"
                f" dihitung; admin kepegawaian mencatatnya dalam kebijakan instansi (working_days.days_off, dan"
                f" {year} dalam working_days.years_listed) atau menyatakan tenggat sebagai tanggal",
                field=field,
                rule="tenggat dalam hari kerja",
            )


def work_calendar(
    policy: WorkingDaysPolicy, shipped: Mapping[int, Iterable[DayOff]] = NATIONAL_DAYS_OFF
) -> WorkCalendar:
    """The instansi's calendar: the shipped national lists and its own days off."""
    days = {off.day for listed in shipped.values() for off in listed} | {off.day for off in policy.days_off}
    weekdays = frozenset(range(6 if policy.six_day_week else 5))
    return WorkCalendar(
        working_weekdays=weekdays,
        days_off=frozenset(days),
        known_years=frozenset(shipped) | frozenset(policy.years_listed),
    )


class WorkdayTable(BaseModel):
    """An instansi's working days over the years a cycle spans, as data the cycle carries (domain.calendar.Deadlines):
    an appraisal counts its reminders and escalations in hari kerja from what it was given when its cycle started,
    never from a list a later release ships, so its timers replay as they ran."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    six_day_week: bool = False
    days_off: list[date] = Field(default_factory=list, max_length=800)
    years: list[int] = Field(default_factory=list, max_length=4)

    def calendar(self) -> WorkCalendar:
        return WorkCalendar(
            working_weekdays=frozenset(range(6 if self.six_day_week else 5)),
            days_off=frozenset(self.days_off),
            known_years=frozenset(self.years),
        )


def workday_table(calendar: WorkCalendar, years: Iterable[int]) -> WorkdayTable:
    """What `calendar` knows of `years` (those whose holidays are listed), as a cycle carries it."""
    listed = sorted(year for year in set(years) if year in calendar.known_years)
    days = sorted(day for day in calendar.days_off if day.year in listed)
    return WorkdayTable(six_day_week=5 in calendar.working_weekdays, days_off=days, years=listed)


def zone_of(utc_offset_hours: int | None) -> timezone:
    """A cycle's zone (WIB for a cycle resolved before its zone was kept)."""
    return timezone(timedelta(hours=utc_offset_hours if utc_offset_hours is not None else 7))


def moved(table: WorkdayTable | None, instant: datetime, count: int, zone: tzinfo) -> datetime:
    """`instant` moved by `count` working days of `table` at its time of day in `zone`; calendar days without a table
    or into a year it does not list."""
    found = table.calendar().shifted(instant, count, zone) if table is not None and count else None
    return found if found is not None else instant + timedelta(days=count)


def days_between(table: WorkdayTable | None, start: datetime, end: datetime, zone: tzinfo) -> int:
    """The working days of `table` after `start`'s day up to `end`'s day in `zone`; calendar days without a table or
    through a year it does not list (0 when `end` is not on a later day)."""
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if last <= first:
        return 0
    calendar = table.calendar() if table is not None else None
    if calendar is None or any(year not in calendar.known_years for year in range(first.year, last.year + 1)):
        return (last - first).days
    return sum(calendar.is_working_day(first + timedelta(days=n)) for n in range(1, (last - first).days + 1))
