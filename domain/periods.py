"""Periodic evaluation through the year (issue 20): PermenPANRB 6/2022 Pasal 5 evaluates performance periodically and
yearly; its annex form is headed "PERIODE: TRIWULAN I/II/III/IV-AKHIR", and some offices use semesters. The periods
are the instansi's policy (domain.policy.PeriodPolicy, quarterly by default) [U: the frequency is the instansi's].

The last period of the year is the annual evaluation ("AKHIR") the appraisal already holds; the periods before it are
evaluated here. In each: once the period has ended, the employee records the realisation so far (per indicator of the
approved SKP) and the pejabat penilai then holds the dialog kinerja and records its feedback and, where the policy
asks, a periodic rating. The realisation is due in the cycle's working days after the period's end, the dialog in
working days after the realisation, each with the reminders and escalation of an appraisal's step. A period not
finished when the next one ends lapses (the next one opens regardless), as does one left open when the appraisal
closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.errors import DomainError
from domain.ratings import Expectation
from domain.skp import Realisation
from domain.stages import Role

PERIOD_RULE = "evaluasi kinerja periodik (PermenPANRB 6/2022 Pasal 5)"
PeriodKind = Literal["triwulan", "semester", "bulanan", "tidak_ada"]
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_MONTHS = {"triwulan": 3, "semester": 6, "bulanan": 1}
_NAMES = {"triwulan": "Triwulan", "semester": "Semester", "bulanan": "Bulan"}


class PeriodWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1, le=12)
    label: str  # "Triwulan I"
    first_day: date
    last_day: date
    # The instant it ends, for a cycle whose calendar compresses the year (CycleCalendar.period_ends: a demo, a
    # test); None: midnight after `last_day` in the cycle's zone.
    ends_at: AwareDatetime | None = None

    def end(self, zone: tzinfo) -> datetime:
        """When the period ends and its evaluation opens."""
        if self.ends_at is not None:
            return self.ends_at
        return datetime.combine(self.last_day + timedelta(days=1), time(), zone)


def windows(year: int, kind: PeriodKind, ends: Sequence[datetime] = (), zone: tzinfo = UTC) -> list[PeriodWindow]:
    """The periods of `year` evaluated before the annual one: three quarters, one semester or eleven months; with
    `ends` (one per period, in order: domain.calendar.resolve checks them), each ends then instead, its days read in
    `zone`."""
    found = _calendar_windows(year, kind)
    if not ends:
        return found
    if len(ends) != len(found):
        raise ValueError(f"{len(found)} periods, {len(ends)} ends")
    compressed = []
    first = None
    for window, end in zip(found, ends, strict=True):
        last = (end - timedelta(microseconds=1)).astimezone(zone).date()
        days = {"first_day": min(first or window.first_day, last), "last_day": last}
        compressed.append(window.model_copy(update={"ends_at": end, **days}))
        first = last
    return compressed


def _calendar_windows(year: int, kind: PeriodKind) -> list[PeriodWindow]:
    if kind == "tidak_ada":
        return []
    months = _MONTHS[kind]
    found = []
    for number, start in enumerate(range(1, 13, months), start=1):
        first = date(year, start, 1)
        last = (date(year, start + months, 1) if start + months <= 12 else date(year + 1, 1, 1)) - timedelta(days=1)
        found.append(PeriodWindow(number=number, label=f"{_NAMES[kind]} {_ROMAN[number - 1]}", first_day=first,
                                  last_day=last))  # fmt: skip
    return found[:-1]  # the last is the annual evaluation ("AKHIR")


class PeriodStep(StrEnum):
    WAITING = "waiting"  # the period has not ended
    REALISATION = "realisation"
    DIALOG = "dialog"
    DONE = "done"
    LAPSED = "lapsed"  # not finished when the next period ended, or the appraisal was closed meanwhile

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def responsible(self) -> Role:
        return _RESPONSIBLE[self]


_LABELS = {
    PeriodStep.WAITING: "Periode berjalan",
    PeriodStep.REALISATION: "Pegawai mencatat realisasi periode",
    PeriodStep.DIALOG: "Pejabat penilai melakukan dialog kinerja",
    PeriodStep.DONE: "Evaluasi periode selesai",
    PeriodStep.LAPSED: "Tidak diselesaikan",
}
_RESPONSIBLE = {
    PeriodStep.WAITING: Role.SYSTEM,
    PeriodStep.REALISATION: Role.PEGAWAI,
    PeriodStep.DIALOG: Role.PENILAI,
    PeriodStep.DONE: Role.SYSTEM,
    PeriodStep.LAPSED: Role.SYSTEM,
}


def check_turn(step: PeriodStep, wanted: PeriodStep, role: Role) -> None:
    """DomainError unless the period is at `wanted` and `role` is the one who acts there."""
    if role is not wanted.responsible:
        raise DomainError(
            f"evaluasi periodik: langkah ini dilakukan oleh {wanted.responsible.label}", field="peran", rule=PERIOD_RULE
        )
    if step is not wanted:
        raise DomainError(f"evaluasi periode ini sedang pada tahap '{step.label}'", field="tahap", rule=PERIOD_RULE)


def check_indicators(realisations: list[Realisation], indicator_ids: list[str]) -> None:
    """Each realisation names an indicator of the approved SKP, once; at least one is recorded."""
    if not realisations:
        raise DomainError("isi realisasi sedikitnya satu indikator", field="realisasi", rule=PERIOD_RULE)
    seen: set[str] = set()
    for realisation in realisations:
        if realisation.indicator_id not in indicator_ids:
            raise DomainError(
                f"indikator {realisation.indicator_id} tidak ada dalam SKP yang disetujui", field="realisasi"
            )
        if realisation.indicator_id in seen:
            raise DomainError(f"indikator {realisation.indicator_id} diisi dua kali", field="realisasi")
        seen.add(realisation.indicator_id)


class PeriodRecord(BaseModel):
    """One period of one appraisal, as the database keeps it (written with each step and notice)."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str = Field(max_length=200)
    cycle_id: str = Field(max_length=64)
    instansi_code: str = Field(max_length=64)
    unit_code: str = Field(max_length=64)
    employee_nip: str = Field(pattern=r"^\d{18}$")
    employee_name: str = Field(max_length=200)
    penilai_nip: str
    number: int = Field(ge=1, le=12)
    label: str = Field(max_length=40)
    last_day: date
    step: PeriodStep = PeriodStep.WAITING
    assignee_nip: str | None = None
    deadline: AwareDatetime | None = None
    overdue: bool = False
    escalation_level: int = 0
    realisations: list[Realisation] = Field(default_factory=list)
    realised_at: AwareDatetime | None = None
    feedback: str | None = None
    rating: Expectation | None = None
    dialog_at: AwareDatetime | None = None
