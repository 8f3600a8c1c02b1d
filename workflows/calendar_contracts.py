"""What crosses the Temporal boundary when a cycle's working days change during the year (issue 20,
domain.calendar.recount): the cycle's Update, the record its activity writes, the push to every running appraisal
and the appraisal's Update. Like a change of officials, the database holds the change (an audit entry,
services.calendar_record) and an appraisal takes up only what was recorded there, whoever sent it the Update.
A field added here must have a default (running workflows replay payloads written without it)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.calendar import CycleCalendar, Deadlines
from workflows.contracts import Actor


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ChangeCalendar(_Frozen):
    """The admin kepegawaian has the cycle count its deadlines again on the instansi's working days as they are now
    (a decree's cuti bersama, a day off of the instansi's own), with the reason."""

    actor: Actor
    reason: str = ""  # checked by the cycle's validator (domain.bounds.check_text)


class MovedDeadline(_Frozen):
    field: str
    before: AwareDatetime
    after: AwareDatetime


class RecordedCalendar(_Frozen):
    """A cycle's deadlines as the admin kepegawaian last had them counted again (services.calendar_record)."""

    version: int
    deadlines: Deadlines
    moved: list[MovedDeadline] = Field(default_factory=list)
    kept: list[str] = Field(default_factory=list)  # in hari kerja, but reached already (or recounted into the past)
    changed_by: str  # NIP of the admin kepegawaian
    reason: str | None = None


class CalendarChanged(_Frozen):
    version: int  # the cycle's how-manieth change
    moved: list[MovedDeadline]
    kept: list[str]
    appraisals: int  # running appraisals that took the change up


class RecordCalendar(_Frozen):
    """Count the cycle's deadlines again and write the change's audit entry (once per `key`)."""

    cycle_id: str
    instansi_code: str
    period: int
    version: int
    calendar: CycleCalendar
    before: Deadlines
    actor: str
    reason: str | None = None
    key: str  # the Update's id: a retried activity writes the entry once
    occurred_at: AwareDatetime


class PushCalendar(_Frozen):
    cycle_id: str
    instansi_code: str
    period: int
    version: int
    batch_size: int = Field(default=200, ge=1, le=1000)


class ApplyCalendar(_Frozen):
    """The cycle's calendar changed: the appraisal takes up the deadlines last recorded for its cycle."""

    version: int = Field(default=0, ge=0)


class CycleCalendarRequest(_Frozen):
    """Whose recorded calendar to read (AppraisalActivities.cycle_calendar)."""

    cycle_id: str
