"""The calendar of one appraisal cycle: when each step is due, as absolute UTC instants (reference 1.7).

A cycle sets each deadline either as an absolute date or time, as an ISO-8601 duration from the cycle start
("P30D", "PT10M"), so a whole cycle can run in minutes for a demo or a test, or in hari kerja from the start day
("10HK": the end of the tenth working day after it, domain.workdays). Deadlines left unset come from the
policy's calendar for the year. `resolve` turns the spec into `Deadlines` and refuses deadlines out of order, naming
the field, so a workflow never starts with a calendar it cannot keep.
"""

from __future__ import annotations

import calendar as _gregorian
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, model_validator

from domain.errors import DomainError
from domain.periods import windows
from domain.policy import AppraisalPolicy, CalendarDate
from domain.stages import Step
from domain.workdays import WorkCalendar, WorkdayTable, work_calendar, workday_table

# Indonesia keeps no daylight saving: WIB is UTC+7, WITA UTC+8, WIT UTC+9, so a fixed offset is exact.
WIB = 7
ZONE_NAMES = {WIB: "WIB", 8: "WITA", 9: "WIT"}  # by UTC offset, as people write them

FIELD_LABELS = {
    "start": "mulai siklus",
    "skp_draft_due": "batas penyusunan SKP oleh pegawai",
    "skp_due": "batas penetapan SKP",
    "survey_opens": "pembukaan survei kepuasan masyarakat",
    "survey_closes": "penutupan survei kepuasan masyarakat",
    "self_assessment_due": "batas penilaian diri",
    "review_due": "batas penilaian oleh pejabat penilai",
    "calibration_due": "batas kalibrasi",
    "sign_off_due": "batas penetapan hasil penilaian",
    "objection_window": "masa keberatan",
    "objection_decision_due": "batas keputusan keberatan",
}

PERIOD_ENDS_LABEL = "akhir periode evaluasi"
MAX_PERIOD_ENDS = 11  # monthly periods: eleven before the annual evaluation (domain.periods)

# Each pair must be in this order; `strict` False allows the two to fall on the same instant.
_ORDER: tuple[tuple[str, str, bool], ...] = (
    ("start", "skp_draft_due", True),
    ("skp_draft_due", "skp_due", False),
    ("skp_due", "self_assessment_due", True),
    ("self_assessment_due", "review_due", True),
    ("review_due", "calibration_due", True),
    ("calibration_due", "sign_off_due", True),
    ("start", "survey_opens", False),
    ("survey_opens", "survey_closes", True),
    # The survey index (IKM) informs the organisation's predicate, which calibration needs (SE MenPAN-RB 3/2023).
    ("survey_closes", "calibration_due", False),
)

_WORKING_DAYS = re.compile(r"^(?P<count>\d{1,3})\s*HK$", re.IGNORECASE)  # hari kerja: '10HK', '10 hk'
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IsoDuration:
    """An ISO-8601 duration. Years and months are calendar units, so they only mean something from a start."""

    years: int = 0
    months: int = 0
    delta: timedelta = timedelta()

    def after(self, start: datetime) -> datetime:
        """`start` plus this duration; a day past the end of the month falls back to its last day (31 Jan + P1M)."""
        month_index = start.month - 1 + self.months
        year = start.year + self.years + month_index // 12
        month = month_index % 12 + 1
        day = min(start.day, _gregorian.monthrange(year, month)[1])
        return start.replace(year=year, month=month, day=day) + self.delta

    def as_timedelta(self, field: str) -> timedelta:
        if self.years or self.months:
            raise DomainError(
                f"{FIELD_LABELS.get(field, field)} harus dinyatakan dalam minggu, hari, jam, menit atau detik"
                " (tanpa tahun atau bulan), mis. 'P14D'",
                field=field,
            )
        return self.delta


def parse_duration(text: str, field: str) -> IsoDuration:
    """Parse an ISO-8601 duration such as 'P30D', 'PT10M', 'P1Y2M' or 'P2W'; the error names `field`."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise DomainError(
            f"'{text}' bukan durasi ISO-8601 yang sah; contoh: 'P30D' (30 hari), 'PT10M' (10 menit),"
            " 'P1DT12H' (1 hari 12 jam), 'P2W' (2 minggu), 'P1Y2M' (1 tahun 2 bulan)",
            field=field,
        )
    parts = match.groupdict()
    whole = {name: int(parts[name] or 0) for name in ("years", "months", "weeks", "days", "hours", "minutes")}
    seconds = Decimal((parts["seconds"] or "0").replace(",", "."))
    try:
        delta = timedelta(
            weeks=whole["weeks"],
            days=whole["days"],
            hours=whole["hours"],
            minutes=whole["minutes"],
            seconds=float(seconds),
        )
    except OverflowError:
        raise DomainError(f"'{text}' terlalu panjang untuk sebuah durasi", field=field) from None
    return IsoDuration(years=whole["years"], months=whole["months"], delta=delta)


# Text first and left to right, so 'P1Y2M' stays text (calendar months from the start) instead of pydantic's
# fixed-length timedelta, and '2027-01-31' stays a date in local time.
DeadlineSpec = Annotated[
    str | Annotated[datetime, Strict()] | Annotated[date, Strict()] | Annotated[timedelta, Strict()],
    Field(union_mode="left_to_right"),
]
"""An absolute instant or date, a timedelta from the cycle start, or text: an ISO-8601 duration or date/time."""
WindowSpec = Annotated[str | Annotated[timedelta, Strict()], Field(union_mode="left_to_right")]


class CycleCalendar(BaseModel):
    """What a cycle says about its deadlines; anything left None comes from the policy's calendar for the year.

    Text values are ISO-8601: a duration from `start` ('P30D', 'PT10M') or a date/time ('2027-01-31',
    '2027-01-31T17:00:00+07:00'). A date means the end of that day, and a time without offset is local time
    (`utc_offset_hours`: 7 WIB, 8 WITA, 9 WIT).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: (
        Annotated[str | Annotated[datetime, Strict()] | Annotated[date, Strict()], Field(union_mode="left_to_right")]
        | None
    ) = None  # None: 1 January of the period, 00:00 local time
    utc_offset_hours: int = Field(default=WIB, ge=WIB, le=9)
    skp_draft_due: DeadlineSpec | None = None
    skp_due: DeadlineSpec | None = None
    survey_opens: DeadlineSpec | None = None
    survey_closes: DeadlineSpec | None = None
    self_assessment_due: DeadlineSpec | None = None
    review_due: DeadlineSpec | None = None
    calibration_due: DeadlineSpec | None = None
    sign_off_due: DeadlineSpec | None = None
    objection_window: WindowSpec | None = None  # from signing; PP 30/2019 Pasal 59: 14 days
    objection_decision_due: WindowSpec | None = None  # from filing
    # When each period of the periodic evaluation ends (domain.periods), for a cycle that compresses its year (a
    # demo, a test); None: the quarters, semesters or months of the period's year, as the policy's periods say.
    period_ends: list[DeadlineSpec] | None = Field(default=None, max_length=MAX_PERIOD_ENDS)


class Deadlines(BaseModel):
    """The resolved calendar of a cycle: absolute UTC instants, in order, plus the two windows counted from events."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    skp_draft_due: AwareDatetime
    skp_due: AwareDatetime
    survey_opens: AwareDatetime
    survey_closes: AwareDatetime
    self_assessment_due: AwareDatetime
    review_due: AwareDatetime
    calibration_due: AwareDatetime
    sign_off_due: AwareDatetime
    objection_window: timedelta = Field(gt=timedelta())
    objection_decision_due: timedelta = Field(gt=timedelta())
    # The zone the cycle's people read its deadlines in (the calendar's): notices print them there. None for a cycle
    # resolved before it was kept; its notices print all three zones.
    utc_offset_hours: int | None = Field(default=None, ge=WIB, le=9)
    # The working days of the years the cycle spans, when its policy counts reminders or escalation in hari kerja
    # (EscalationPolicy.in_working_days): what its appraisals count them from (domain.workdays.WorkdayTable).
    workdays: WorkdayTable | None = None
    # CycleCalendar.period_ends resolved (None: the periods end with their calendar months).
    period_ends: list[AwareDatetime] | None = Field(default=None, max_length=MAX_PERIOD_ENDS)

    @model_validator(mode="after")
    def _in_order(self) -> Deadlines:
        check_order({name: getattr(self, name) for name in FIELD_LABELS if name not in _WINDOWS})
        check_period_ends(self.start, self.period_ends or [], self.self_assessment_due)
        return self

    def for_step(self, step: Step, entered_at: datetime, *, redraft: bool = False) -> datetime | None:
        """When `step`, entered at `entered_at`, is due; None for steps nobody has to act on.

        A returned SKP is due by the penetapan deadline: the drafting deadline (minggu kedua Januari) is for the
        first draft, and sending a redraft straight into escalation would punish the employee for the return.
        """
        if step is Step.SKP_DRAFTING:
            return self.skp_due if redraft else self.skp_draft_due
        if step is Step.OBJECTION_WINDOW:
            return entered_at + self.objection_window
        if step is Step.OBJECTION_REVIEW:
            return entered_at + self.objection_decision_due
        fixed = {
            Step.SKP_APPROVAL: self.skp_due,
            Step.SELF_ASSESSMENT: self.self_assessment_due,
            Step.SUPERVISOR_REVIEW: self.review_due,
            Step.AWAITING_CALIBRATION: self.calibration_due,
            Step.SIGN_OFF: self.sign_off_due,
        }
        return fixed.get(step)


_WINDOWS = frozenset({"objection_window", "objection_decision_due"})


def check_order(instants: dict[str, datetime]) -> None:
    """Refuse the first pair of deadlines out of order, naming the later field and both dates."""
    for earlier, later, strict in _ORDER:
        a, b = instants[earlier], instants[later]
        if b < a or (strict and b == a):
            relation = "setelah" if strict else "tidak sebelum"
            raise DomainError(
                f"{FIELD_LABELS[later]} ({_show(b)}) harus {relation} {FIELD_LABELS[earlier]} ({_show(a)})",
                field=later,
                rule="urutan tahap penilaian kinerja (PermenPANRB 6/2022 Pasal 5)",
            )


def check_period_ends(start: datetime, ends: list[datetime], self_assessment_due: datetime) -> None:
    """The periods' ends in order after the start, the last before the self-assessment's deadline (the last period is
    the annual evaluation's); DomainError naming `period_ends` otherwise."""
    previous = start
    for end in ends:
        if end <= previous:
            raise DomainError(
                f"{PERIOD_ENDS_LABEL} ({_show(end)}) harus setelah mulai siklus dan akhir periode sebelumnya"
                f" ({_show(previous)})",
                field="period_ends",
            )
        previous = end
    if previous > self_assessment_due:
        raise DomainError(
            f"{PERIOD_ENDS_LABEL} ({_show(previous)}) harus sebelum {FIELD_LABELS['self_assessment_due']}"
            f" ({_show(self_assessment_due)}): periode terakhir dinilai dalam penilaian tahunan",
            field="period_ends",
        )


def resolve(spec: CycleCalendar, period: int, policy: AppraisalPolicy) -> Deadlines:
    """The absolute UTC deadlines of a cycle of `period`; DomainError naming the field for bad or unordered input."""
    zone = timezone(timedelta(hours=spec.utc_offset_hours))
    start = _start(spec.start, period, zone)
    workdays = work_calendar(policy.working_days)
    defaults = policy.calendar
    default_dates: dict[str, CalendarDate] = {
        "skp_draft_due": defaults.skp_draft_due,
        "skp_due": defaults.skp_due,
        "survey_opens": defaults.survey_opens,
        "survey_closes": defaults.survey_closes,
        "self_assessment_due": defaults.self_assessment_due,
        "review_due": defaults.review_due,
        "calibration_due": defaults.calibration_due,
        "sign_off_due": defaults.sign_off_due,
    }
    instants: dict[str, datetime] = {"start": start}
    for name, fallback in default_dates.items():
        given: DeadlineSpec | None = getattr(spec, name)
        if given is None:
            # A survey opens at the start of its day; every deadline runs to the end of its day.
            day = fallback.in_period(period)
            instants[name] = _day_start(day, zone) if name == "survey_opens" else _day_end(day, zone)
        else:
            instants[name] = _instant(given, name, start, zone, workdays)
    check_order(instants)
    period_ends = _period_ends(spec, period, policy, start, zone, workdays)
    if period_ends is not None:
        check_period_ends(start, period_ends, instants["self_assessment_due"])
    return Deadlines(
        **{name: value.astimezone(UTC) for name, value in instants.items()},
        objection_window=_window(spec.objection_window, "objection_window", defaults.objection_window),
        objection_decision_due=_window(
            spec.objection_decision_due, "objection_decision_due", defaults.objection_decision_due
        ),
        # The zone its dates are read in (a date ends at 23.59 there), so the one its people read them in.
        utc_offset_hours=spec.utc_offset_hours,
        # The year's working days and those around it (a reminder before a January deadline, a late step in the
        # next January), as far as they are listed.
        workdays=workday_table(workdays, (period - 1, period, period + 1))
        if policy.escalation.in_working_days
        else None,
        period_ends=period_ends,
    )


def _period_ends(
    spec: CycleCalendar, period: int, policy: AppraisalPolicy, start: datetime, zone: timezone, workdays: WorkCalendar
) -> list[datetime] | None:
    """The calendar's ends of the periods in UTC: one for each period the policy evaluates before the annual one."""
    if spec.period_ends is None:
        return None
    expected = len(windows(period, policy.periods.kind))
    if len(spec.period_ends) != expected:
        raise DomainError(
            f"kebijakan periode '{policy.periods.kind}' mengevaluasi {expected} periode sebelum penilaian tahunan;"
            f" {PERIOD_ENDS_LABEL} diisi {len(spec.period_ends)}",
            field="period_ends",
        )
    return [_instant(given, "period_ends", start, zone, workdays).astimezone(UTC) for given in spec.period_ends]


@dataclass(frozen=True)
class Recount:
    """A cycle's deadlines counted again after its instansi's working days changed (`recount`)."""

    deadlines: Deadlines
    moved: dict[str, tuple[datetime, datetime]]  # field → (before, after), in UTC
    kept: list[str]  # fields stated in hari kerja that stay: reached already, or recounted into the past


def recount(spec: CycleCalendar, period: int, policy: AppraisalPolicy, before: Deadlines, now: datetime) -> Recount:
    """The cycle's deadlines after the instansi's working days changed (issue 20: a decree adds cuti bersama, the
    instansi a day off): each deadline its calendar states in hari kerja ('10HK') and not yet reached is counted
    again on `policy.working_days`, and the working days' table its appraisals count reminders, escalation and
    extensions in is replaced. The periods' ends stay (each appraisal's periodic evaluation keeps those it started
    with). Dates, times and durations do not depend on working days and stay, as does a deadline already reached, or
    one the new count would put before `now` (a day off removed): moving a deadline into the past would make a step
    overdue behind its people's backs. DomainError naming the field where the new count breaks the calendar's
    order."""
    zone = timezone(timedelta(hours=spec.utc_offset_hours))
    workdays = work_calendar(policy.working_days)
    start = before.start.astimezone(zone)
    instants: dict[str, datetime] = {name: getattr(before, name) for name in FIELD_LABELS if name not in _WINDOWS}
    after: dict[str, object] = {}
    moved: dict[str, tuple[datetime, datetime]] = {}
    kept: list[str] = []

    def again(name: str, given: DeadlineSpec, old: datetime) -> datetime:
        if not (isinstance(given, str) and _WORKING_DAYS.match(given.strip())):
            return old
        new = _instant(given, name, start, zone, workdays).astimezone(UTC)
        if old <= now or new <= now:
            kept.append(name)
            return old
        if new != old:
            moved[name] = (old, new)
        return new

    for name in FIELD_LABELS:
        given = getattr(spec, name)
        if name not in _WINDOWS and name != "start" and given is not None:
            after[name] = instants[name] = again(name, given, instants[name])
    if before.workdays is not None:
        after["workdays"] = workday_table(workdays, (period - 1, period, period + 1))
    check_order(instants)
    deadlines = before.model_copy(update=after)
    check_period_ends(deadlines.start, deadlines.period_ends or [], deadlines.self_assessment_due)
    return Recount(deadlines=deadlines, moved=moved, kept=kept)


def _start(given: datetime | date | str | None, period: int, zone: timezone) -> datetime:
    if given is None:
        return datetime(period, 1, 1, tzinfo=zone)
    if isinstance(given, str):
        text = given.strip()
        if text.upper().startswith("P"):
            raise DomainError("mulai siklus harus tanggal atau waktu, bukan durasi", field="start")
        given = _parse_point(text, "start")
    if isinstance(given, datetime):
        return _aware(given, zone)
    return _day_start(given, zone)


def _instant(given: DeadlineSpec, field: str, start: datetime, zone: timezone, workdays: WorkCalendar) -> datetime:
    if isinstance(given, str):
        text = given.strip()
        working = _WORKING_DAYS.match(text)
        if working is not None:
            # "10 hari kerja": to the end of the tenth working day after the start's day, in the cycle's zone.
            day = workdays.working_day_after(start.astimezone(zone).date(), int(working["count"]), field=field)
            return _day_end(day, zone)
        if text.upper().startswith("P"):
            try:
                return parse_duration(text, field).after(start)
            except DomainError:
                raise
            except (OverflowError, ValueError):  # past the year 9999
                raise DomainError(f"'{text}' terlalu panjang untuk sebuah durasi", field=field) from None
        given = _parse_point(text, field)
    if isinstance(given, timedelta):
        if given <= timedelta():
            raise DomainError(f"durasi {FIELD_LABELS.get(field, PERIOD_ENDS_LABEL)} harus lebih dari nol", field=field)
        return start + given
    if isinstance(given, datetime):
        return _aware(given, zone)
    return _day_end(given, zone)


def _window(given: timedelta | str | None, field: str, default: timedelta) -> timedelta:
    if given is None:
        return default
    value = parse_duration(given, field).as_timedelta(field) if isinstance(given, str) else given
    if value <= timedelta():
        raise DomainError(f"{FIELD_LABELS[field]} harus lebih dari nol", field=field)
    return value


def _parse_point(text: str, field: str) -> datetime | date:
    try:
        if "T" in text.upper() or " " in text:
            return datetime.fromisoformat(text)
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            f"'{text}' bukan tanggal (YYYY-MM-DD), waktu ISO-8601 (YYYY-MM-DDTHH:MM, boleh dengan zona waktu)"
            " atau durasi dari mulai siklus: ISO-8601 (mis. 'P30D', 'PT10M') atau hari kerja (mis. '10HK')",
            field=field,
        ) from None


def _aware(value: datetime, zone: timezone) -> datetime:
    return value.replace(tzinfo=zone) if value.tzinfo is None or value.utcoffset() is None else value


def _day_start(day: date, zone: timezone) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _day_end(day: date, zone: timezone) -> datetime:
    # "Paling lambat 31 Januari" runs to the end of that day, local time.
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def _show(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


MAX_WINDOW = timedelta(days=366)  # the objection window and the atasan's time to decide: a year at most


def resolve_for_period(spec: CycleCalendar, period: int, policy: AppraisalPolicy) -> Deadlines:
    """`resolve` for a cycle someone starts (the API, `siklus mulai`): its start lies in the year before the period,
    the period or the year after (a late start), and every deadline before the end of the year after that, so no
    date accepted here overflows a timer or falls outside the appraisal's years later (workflows.admission)."""
    try:
        deadlines = resolve(spec, period, policy)
    except (OverflowError, ValueError) as error:
        if isinstance(error, DomainError):
            raise
        raise DomainError("kalender siklus memuat tanggal yang tidak dapat dihitung", field="start") from None
    if not period - 1 <= deadlines.start.year <= period + 1:
        raise DomainError(
            f"mulai siklus {deadlines.start.date().isoformat()} jauh dari periode {period}; siklus periode {period}"
            f" dimulai antara {period - 1} dan {period + 1}",
            field="start",
        )
    last = deadlines.sign_off_due  # the instants are in order (Deadlines checks it)
    if last.year > period + 2:
        raise DomainError(
            f"batas penetapan {last.date().isoformat()} jauh setelah periode {period}; setiap batas waktu siklus"
            f" periode {period} paling lambat akhir {period + 2}",
            field="sign_off_due",
        )
    for name in ("objection_window", "objection_decision_due"):
        if getattr(deadlines, name) > MAX_WINDOW:
            raise DomainError(f"paling lama {MAX_WINDOW.days} hari", field=name)
    return deadlines
