"""What crosses the Temporal boundary: the appraisal workflow's input, update and signal payloads, its state, and the
activities' inputs and results. Pydantic models only, no Temporal imports, so clients, workers and tests share them.

Replay safety: a field added here must have a default, because running workflows replay payloads written without it.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_serializer,
    model_validator,
)

from domain.achievement import IndicatorAchievement
from domain.assessment import PredicateResult, RatingDecision, Suggestion
from domain.calendar import Deadlines
from domain.nip import NIP_LENGTH
from domain.officials import Officials
from domain.policy import AppraisalPolicy
from domain.ratings import Expectation, Predicate
from domain.skp import Realisation, Skp
from domain.skp_versions import SkpChange, SkpVersion
from domain.stages import Role, Stage, Step
from domain.withdrawal import WithdrawalCause
from domain.worklist import WorkItem

Nip = Annotated[str, Field(pattern=r"^\d{18}$")]
SYSTEM = "system"  # the actor of timer and calibration steps, as in the audit log

# A reason must say something a reviewer of the audit log can weigh, not "ok" or "-".
MIN_REASON_CHARS = 10


_WORKFLOW_ID = re.compile(rf"^appraisal-(?P<cycle>.+)-(?P<nip>\d{{{NIP_LENGTH}}})$")


def appraisal_workflow_id(cycle_id: str, employee_nip: str) -> str:
    """One appraisal per employee per cycle: the id makes a second start for the same pair a no-op."""
    return f"{_appraisal_prefix(cycle_id)}{employee_nip}"


def appraisal_workflow_ids(cycle_id: str) -> tuple[str, int]:
    """(prefix, length) that every appraisal id of the cycle has and no other id has: the length, a NIP's 18
    characters after the prefix, keeps cycle `2026-A` from taking in `2026-A-B`'s appraisals."""
    prefix = _appraisal_prefix(cycle_id)
    return prefix, len(prefix) + NIP_LENGTH


def _appraisal_prefix(cycle_id: str) -> str:
    return f"appraisal-{cycle_id}-"


def parse_appraisal_workflow_id(workflow_id: str) -> tuple[str, str] | None:
    """(cycle id, NIP) of an appraisal workflow id, or None for any other workflow (logs carry both)."""
    match = _WORKFLOW_ID.match(workflow_id)
    return (match["cycle"], match["nip"]) if match else None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- workflow input ------------------------------------------------------------------------------------------------


# The parts of the instansi's policy an appraisal never reads, left out of its input: the distribution patterns are
# the cycle's calibration's (read from the database), the survey bands the unit's IKM's. Carried, they were 2.3 KB of
# the 4.3 KB input that every appraisal's history starts with (issue 21). An input decodes them as the defaults, so
# an appraisal must not read them (tests/unit/test_contracts.py); an input written before this carries them whole.
POLICY_NOT_CARRIED = ("calibration", "survey")


class AppraisalInput(_Frozen):
    cycle_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    instansi_code: str = Field(min_length=1, max_length=32)
    period: int = Field(ge=2000, le=2100)
    employee_nip: Nip
    employee_name: str = Field(min_length=1, max_length=200)
    unit_code: str = Field(min_length=1, max_length=32)
    penilai_nip: Nip
    atasan_nip: Nip | None = None
    # The employee's line of superiors, nearest first: who hears of an escalation one level further up.
    superiors: list[Nip] = Field(default_factory=list)
    supervision_team: list[Nip] = Field(min_length=1)  # tim pengawasan of the instansi
    pengelola_kinerja: list[Nip] = Field(default_factory=list)  # BKD/BKPSDM: calibration and the SKP fallback
    deadlines: Deadlines
    # The instansi's rules as the cycle started with them, without the parts no appraisal reads (POLICY_NOT_CARRIED).
    policy: AppraisalPolicy = AppraisalPolicy()
    # Continue as new once the history has this many events (None: when the server suggests it). Tests set it low.
    history_limit: int | None = Field(default=None, ge=50)
    # The state a previous run handed over when it continued as new.
    carried: AppraisalState | None = None

    @field_serializer("policy", when_used="json")
    def _carried_policy(self, policy: AppraisalPolicy) -> dict[str, Any]:
        return policy.model_dump(mode="json", exclude=set(POLICY_NOT_CARRIED))

    @model_validator(mode="after")
    def _people(self) -> AppraisalInput:
        if self.penilai_nip == self.employee_nip:
            raise ValueError("pegawai tidak dapat menjadi pejabat penilai dirinya sendiri")
        if self.atasan_nip is not None and self.atasan_nip in (self.penilai_nip, self.employee_nip):
            raise ValueError("atasan pejabat penilai harus orang lain dari pegawai dan pejabat penilai")
        return self


# --- updates and the signal ----------------------------------------------------------------------------------------


class Actor(_Frozen):
    """Who sends a command and in which capacity; the workflow checks the NIP against the people of that role."""

    nip: Nip
    role: Role


class _Command(_Frozen):
    actor: Actor


class SubmitSkp(_Command):
    skp: Skp
    reason: str | None = None  # required when pengelola kinerja or the supervision team submit on the employee's behalf


class ChangeSkp(_Command):
    """A new version of the SKP during the year (domain.skp_versions), in force from `effective_from` once approved."""

    skp: Skp
    effective_from: date
    reason: str  # required; bounded by the validator (workflows.admission), as every reason


class ApproveSkp(_Command):
    note: str = ""


class ReturnSkp(_Command):
    comments: str


class SubmitSelfAssessment(_Command):
    realisations: list[Realisation]
    reason: str | None = None  # required for a take-over


class SubmitReview(_Command):
    perilaku: Expectation  # rating perilaku kerja (BerAKHLAK), decided directly by the penilai
    hasil_kerja: Expectation  # the chosen rating hasil kerja; differing from the suggestion needs override_reason
    override_reason: str | None = None
    feedback: str = ""


class Sign(_Command):
    note: str = ""


class Acknowledge(_Command):
    reason: str | None = None  # required for a take-over


class FileObjection(_Command):
    reason: str


class DecideObjection(_Command):
    predicate: Predicate | None = None  # None: the result stands (keberatan ditolak)
    reason: str


class ExtendDeadline(_Command):
    new_deadline: AwareDatetime
    reason: str


class Reassign(_Command):
    penilai_nip: Nip
    atasan_nip: Nip | None = None  # None: keep the current atasan pejabat penilai
    reason: str


class Withdraw(_Command):
    """Take the employee out of the cycle (domain.withdrawal): the pengelola kinerja, with the cause and a reason."""

    cause: WithdrawalCause
    reason: str  # what happened, e.g. the decree: "SK Gubernur 821/123/2026, pindah ke Pemprov Papua Selatan"
    effective_on: date | None = None  # TMT (terhitung mulai tanggal) of the move, retirement or leave, if known


class CalibrationSource(StrEnum):
    """Where a calibration result comes from: the only two the `apply_calibration` Update accepts."""

    CYCLE = "cycle"  # the cycle's locked decision, as the database holds it (SE MenPAN-RB 3/2023)
    PENGELOLA = "pengelola"  # a pengelola kinerja of the appraisal, with a written reason


class ApplyCalibration(_Frozen):
    """The calibration result for this employee, through the `apply_calibration` Update.

    Without an actor it is the cycle's: the cycle's push sends it once the decision is locked, and the workflow reads
    the predicate from the locked decision in the database, so whoever sends one can at most have the real decision
    applied early. With an actor, a pengelola kinerja of the appraisal sets the predicate, with a written reason."""

    actor: Actor | None = None
    predicate: Predicate | None = None  # the pengelola's; never sent with the cycle's (the database has it)
    reason: str = ""


class ApplyOfficials(_Frozen):
    """The cycle's officials changed (domain.officials): the appraisal takes up the lists last recorded for its cycle
    in the database, whatever sent this (the cycle's push does), so a forged one can only apply what the admin
    kepegawaian recorded."""

    version: int = Field(default=0, ge=0)  # the change the cycle pushes; the latest recorded is the one applied


class CalibrationDecision(_Frozen):
    """The calibration result for this employee (SE MenPAN-RB 3/2023) as the appraisal keeps it: what the
    `apply_calibration` Update brought, or the payload of the retired `calibration_decided` signal."""

    calibration_id: str = Field(min_length=1, max_length=100)
    predicate: Predicate
    reason: str = ""
    decided_by: str = Field(default=SYSTEM, pattern=r"^(\d{18}|system)$")  # NIP of the approver, or "system"
    source: CalibrationSource = CalibrationSource.CYCLE  # every signal's was the cycle's


# --- state (the query result) --------------------------------------------------------------------------------------


class TimelineEvent(_Frozen):
    at: AwareDatetime
    actor: str  # NIP or "system"
    role: Role
    action: str
    step_from: Step
    step_to: Step
    on_behalf_of: str | None = None
    reason: str | None = None
    note: str | None = None


class ReviewOutcome(_Frozen):
    """The penilai's review as stored and shown: ratings, the suggestion they saw, the predicate from the matrix."""

    reviewed_by: str
    reviewed_at: AwareDatetime
    perilaku: Expectation
    hasil_kerja: RatingDecision
    result: PredicateResult
    feedback: str = ""
    achievements: list[IndicatorAchievement] = Field(default_factory=list)
    suggestion: Suggestion | None = None
    calibration: CalibrationDecision | None = None
    final_predicate: Predicate | None = None

    @property
    def standing(self) -> Predicate:
        """The predicate the appraisal stands at now: calibration's or the objection decision's over the matrix's."""
        return self.final_predicate or self.result.predicate


class Objection(_Frozen):
    filed_by: str
    filed_at: AwareDatetime
    reason: str
    predicate_before: Predicate
    decided_by: str | None = None
    decided_at: AwareDatetime | None = None
    decision_reason: str | None = None
    predicate_after: Predicate | None = None

    @property
    def changed(self) -> bool:
        return self.predicate_after is not None and self.predicate_after != self.predicate_before


class Withdrawal(_Frozen):
    """How the appraisal was withdrawn from the cycle, as the state keeps it (the audit entry has the same facts: its
    reason begins with the cause's label, its `after` holds the cause, the reason as written, the TMT and the step)."""

    cause: WithdrawalCause
    reason: str
    effective_on: date | None = None
    withdrawn_by: str
    withdrawn_at: AwareDatetime
    from_step: Step


class AppraisalState(BaseModel):
    """Everything the workflow knows; also what it carries across continue-as-new."""

    workflow_id: str = ""
    cycle_id: str
    instansi_code: str
    period: int
    employee_nip: str
    employee_name: str
    unit_code: str
    penilai_nip: str
    atasan_nip: str | None = None

    step: Step = Step.SKP_DRAFTING
    stage: Stage = Stage.TARGET_SETTING
    assignees: list[str] = Field(default_factory=list)
    step_entered_at: AwareDatetime
    deadline: AwareDatetime | None = None
    overdue: bool = False
    escalation_level: int = 0
    # Deadline bookkeeping: when the current deadline was set and how many of its checkpoints have been handled.
    deadline_set_at: AwareDatetime | None = None
    checkpoints_done: int = 0
    # Days the later deadlines moved by extensions, where the policy says so (CalendarPolicy.extension_shifts_later):
    # working days where the cycle counts them, else calendar days.
    deadline_shift: int = 0

    skp: Skp | None = None
    skp_returns: int = 0
    skp_return_comments: str | None = None
    # An SKP changed during the year (domain.skp_versions): the versions it replaced, the day the one in force took
    # effect (None: 1 January, the first version), and a new one waiting for approval.
    skp_versions: list[SkpVersion] = Field(default_factory=list)
    skp_from: date | None = None
    skp_change: SkpChange | None = None
    skp_change_returned: bool = False  # the last change proposed was returned (its comments: skp_return_comments)
    realisations: list[Realisation] = Field(default_factory=list)
    achievements: list[IndicatorAchievement] = Field(default_factory=list)
    suggestion: Suggestion | None = None
    review: ReviewOutcome | None = None
    pending_calibration: CalibrationDecision | None = None  # arrived before the workflow was ready for it
    periodic_decided: bool = False  # whether to start the periodic evaluation was decided (once the SKP approved)
    periodic_started: bool = False  # ... and it was started (workflows/periodic.py)
    periodic_reviewers: list[str | None] | None = None  # the penilai and atasan it last heard of
    periodic_skp_versions: int = 0  # ... and how many SKP versions a change had replaced when it last heard
    periodic_calendar_version: int = 0  # ... and the recount of the cycle's calendar it last heard of
    periodic_team: list[str] | None = None  # ... and the supervision team (None: as the appraisal started)
    calibration: CalibrationDecision | None = None
    predicate: Predicate | None = None  # the current predicate: matrix, then calibration, then objection
    signed_at: AwareDatetime | None = None
    objection: Objection | None = None
    finished_at: AwareDatetime | None = None
    withdrawal: Withdrawal | None = None
    # The cycle's officials once they changed during the year (None: those the appraisal started with).
    officials: Officials | None = None
    officials_version: int = 0  # the cycle's change they come from
    # The cycle's deadlines once its working days changed during the year (None: the input's), and the change.
    deadlines: Deadlines | None = None
    calendar_version: int = 0
    deadline_extended: bool = False  # the current step's deadline is an extension's, not the calendar's

    timeline: list[TimelineEvent] = Field(default_factory=list)
    step_seq: int = 0  # recorded steps so far: part of every idempotency key
    notice_seq: int = 0  # reminders and escalations sent so far
    runs: int = 1  # 1 + how often the workflow continued as new


class AppraisalSummary(_Frozen):
    """What every Update answers and the workflow returns: where the appraisal stands and the step just recorded.

    Every Update's answer and the workflow's result are kept in its history; the whole state in each (the SKP, the
    realisations, the review, twice over with the suggestion) made them half of an appraisal year's history. The
    `state` query has everything. The fields are AppraisalState's own, by name and type, so a program that reads the
    answer as the state (the command line before this, an old API server during a rolling deploy) still decodes it.
    """

    workflow_id: str = ""
    cycle_id: str
    instansi_code: str
    period: int
    employee_nip: str
    employee_name: str
    unit_code: str
    penilai_nip: str
    atasan_nip: str | None = None
    step: Step
    stage: Stage
    assignees: list[str] = Field(default_factory=list)
    step_entered_at: AwareDatetime
    deadline: AwareDatetime | None = None
    overdue: bool = False
    escalation_level: int = 0
    predicate: Predicate | None = None
    signed_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    withdrawal: Withdrawal | None = None
    timeline: list[TimelineEvent] = Field(default_factory=list)  # the step just recorded, if any


def summary_of(state: AppraisalState) -> AppraisalSummary:
    """The state as an Update answers it: with only the last step of its timeline."""
    fields = {name: getattr(state, name) for name in AppraisalSummary.model_fields}
    return AppraisalSummary.model_validate({**fields, "timeline": state.timeline[-1:]})


# --- activities ----------------------------------------------------------------------------------------------------


def first_work_item(input: AppraisalInput) -> WorkItem:
    """A new appraisal's first step: the employee drafts the SKP by the cycle's drafting deadline."""
    first = Step.SKP_DRAFTING
    return WorkItem(
        workflow_id=appraisal_workflow_id(input.cycle_id, input.employee_nip),
        cycle_id=input.cycle_id,
        instansi_code=input.instansi_code,
        unit_code=input.unit_code,
        employee_nip=input.employee_nip,
        penilai_nip=input.penilai_nip,
        step=first,
        assignee=input.employee_nip,
        deadline=input.deadlines.for_step(first, input.deadlines.start),
        atasan_nip=input.atasan_nip,
    )


class ReviewChange(_Frozen):
    """What a later step changes in the review the database holds (the calibration's result, the decision on an
    objection), sent instead of the whole review: the review step wrote it, and the appraisal is its one writer."""

    final_predicate: Predicate
    calibration: CalibrationDecision | None = None  # None: the calibration stays as stored


class RecordStep(_Frozen):
    """One human or system step, recorded once: audit entry, the SKP/review content, a notice to the next actor.

    Every one is kept in the appraisal's history as its activity's input: its empty fields are left out of it."""

    workflow_id: str
    idempotency_key: str
    instansi_code: str
    period: int
    employee_nip: str
    employee_name: str
    actor: str  # NIP or "system"
    actor_role: Role
    on_behalf_of: str | None = None
    action: str
    reason: str | None = None
    step_from: Step
    step_to: Step
    occurred_at: AwareDatetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    skp: Skp | None = None
    skp_status: str | None = None
    closed_skp: SkpVersion | None = None  # the version an approved change replaced, to keep (domain.skp_versions)
    policy_version: str = ""
    review: ReviewOutcome | None = None
    review_change: ReviewChange | None = None  # instead of `review`, where the step changes only its predicate
    notify: list[str] = Field(default_factory=list)  # NIPs told about the new step
    next_deadline: AwareDatetime | None = None
    work: WorkItem | None = None  # where the appraisal stands after the step (None: recorded before the worklist)
    utc_offset_hours: int | None = None  # the cycle's zone, for the deadline in the notice (None: all three)

    @model_serializer(mode="wrap", when_used="json")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = {name: value for name, value in handler(self).items() if value is not None or name not in _NONE_DEFAULT}
        work = data.get("work")
        if isinstance(work, dict):  # what the worklist entry repeats of the step is left out of it (_completed)
            same = {key for key, field in _WORK_FROM_STEP.items() if key in work and work[key] == data.get(field)}
            data["work"] = {key: value for key, value in work.items() if key not in same}
        return data

    @model_validator(mode="before")
    @classmethod
    def _completed(cls, data: Any) -> Any:
        work = data.get("work") if isinstance(data, dict) else None
        if isinstance(work, dict) and any(key not in work for key in _WORK_FROM_STEP):
            taken = {key: data[field] for key, field in _WORK_FROM_STEP.items() if key not in work and field in data}
            data = {**data, "work": {**work, **taken}}
        return data


# The fields of RecordStep that decode as None when left out.
_NONE_DEFAULT = frozenset(
    name for name, f in RecordStep.model_fields.items() if not f.is_required() and f.default is None
)
# The worklist entry's fields that are the step's own (WorkItem: RecordStep), as _work_after fills them.
_WORK_FROM_STEP = {
    "workflow_id": "workflow_id",
    "instansi_code": "instansi_code",
    "employee_nip": "employee_nip",
    "step": "step_to",
    "recorded_at": "occurred_at",
}


class RecordStepResult(_Frozen):
    idempotency_key: str
    newly_recorded: bool
    outbox_ids: list[int] = Field(default_factory=list)


class LockedCalibration(_Frozen):
    """Which employee's result to read from the locked decision of which cycle (AppraisalActivities)."""

    cycle_id: str
    instansi_code: str
    period: int
    employee_nip: str


class CycleOfficials(_Frozen):
    """Whose officials to read (AppraisalActivities.cycle_officials)."""

    cycle_id: str


class RecordedOfficials(_Frozen):
    """A cycle's officials as the admin kepegawaian last recorded them (services.officials_record)."""

    version: int
    officials: Officials
    changed_by: str  # NIP of the admin kepegawaian
    reason: str | None = None


class NoticeKind(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"


class SendNotice(_Frozen):
    """A reminder before a deadline or an escalation after it."""

    workflow_id: str
    idempotency_key: str
    kind: NoticeKind
    employee_nip: str
    employee_name: str
    step: Step
    deadline: AwareDatetime
    level: int = 0
    recipients: list[str]
    occurred_at: AwareDatetime
    work: WorkItem | None = None  # an escalation marks the appraisal overdue in the worklist
    utc_offset_hours: int | None = None  # the cycle's zone, for the deadline in the notice (None: all three)


AppraisalInput.model_rebuild()
