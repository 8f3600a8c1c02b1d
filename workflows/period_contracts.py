"""What crosses the Temporal boundary for an appraisal's periodic evaluation (workflows/periodic.py): its input,
state, Updates, signal and the inputs of its activities. A field added here must have a default (running evaluations
replay payloads written without it)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.bounds import MAX_OFFICIALS
from domain.periods import PeriodRecord, PeriodStep, PeriodWindow
from domain.policy import EscalationPolicy, PeriodPolicy
from domain.ratings import Expectation
from domain.skp import Realisation
from domain.stages import Role
from domain.workdays import WorkdayTable
from workflows.contracts import Actor, Nip, NoticeKind

WORKFLOW_NAME = "PeriodicEvaluation"  # the workflow type in Temporal: never rename while evaluations run
STOP = "stop"  # the signal the appraisal sends when it closes (withdrawn, or final)
REASSIGN = "reassign"  # ... and when its penilai or atasan is reassigned
SKP_CHANGED = "skp_changed"  # ... and when a change of its SKP was approved (domain.skp_versions)
YEAR_CHANGED = "year_changed"  # ... and when it took up new working days or a new supervision team from its cycle


def periodic_workflow_id(cycle_id: str, employee_nip: str) -> str:
    """One periodic evaluation per appraisal: a second start for the same pair is a no-op."""
    return f"periodik-{cycle_id}-{employee_nip}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PeriodicInput(_Frozen):
    """Started by the appraisal once its SKP is approved, with the periods that end after that."""

    appraisal_workflow_id: str
    cycle_id: str
    instansi_code: str
    unit_code: str
    employee_nip: Nip
    employee_name: str
    penilai_nip: Nip
    atasan_nip: Nip | None = None
    superiors: list[Nip] = Field(default_factory=list)
    supervision_team: list[Nip] = Field(default_factory=list, max_length=MAX_OFFICIALS)
    windows: list[PeriodWindow]
    indicator_ids: list[str]  # of the approved SKP: what a realisation may name
    periods: PeriodPolicy = PeriodPolicy()
    escalation: EscalationPolicy = EscalationPolicy()
    workdays: WorkdayTable | None = None
    utc_offset_hours: int | None = None


class PeriodicState(_Frozen):
    current: PeriodRecord | None = None  # the period being evaluated (None while the next one runs)
    done: list[PeriodRecord] = Field(default_factory=list)
    deadline_set_at: AwareDatetime | None = None
    checkpoints_done: int = 0
    notice_seq: int = 0
    stopped: bool = False
    reviewers: PeriodReviewers | None = None  # after a reassignment of the appraisal (None: the input's)
    indicator_ids: list[str] | None = None  # after a change of the SKP: every version's (None: the input's)
    # After the cycle's working days were counted again, or its supervision team changed (None/False: the input's).
    recounted: bool = False
    workdays: WorkdayTable | None = None
    supervision_team: list[str] | None = None


class PeriodReviewers(_Frozen):
    """The appraisal's pejabat penilai and atasan after a reassignment: the periods follow them."""

    penilai_nip: Nip
    atasan_nip: Nip | None = None


class PeriodIndicators(_Frozen):
    """The indicators a realisation may name once the appraisal's SKP changed: every version's."""

    indicator_ids: list[str] = Field(max_length=2_000)


class PeriodYear(_Frozen):
    """What the appraisal took up from its cycle since the evaluation started: the working days its deadlines count in
    (`recounted`: a recount of the calendar, domain.calendar.recount) and the supervision team its escalations reach
    (None: unchanged)."""

    recounted: bool = False
    workdays: WorkdayTable | None = None
    supervision_team: list[Nip] | None = None


class RecordPeriodRealisation(_Frozen):
    actor: Actor
    number: int = Field(ge=1, le=12)
    realisations: list[Realisation]


class HoldDialog(_Frozen):
    actor: Actor
    number: int = Field(ge=1, le=12)
    feedback: str
    rating: Expectation | None = None


class RecordPeriodStep(_Frozen):
    idempotency_key: str
    record: PeriodRecord
    action: str
    step_from: PeriodStep
    actor: str
    actor_role: Role
    occurred_at: AwareDatetime
    notify: list[str] = Field(default_factory=list)
    utc_offset_hours: int | None = None
    deadline_before: AwareDatetime | None = None  # a deadline moved (period.calendar_changed): where it was


class PeriodNotice(_Frozen):
    idempotency_key: str
    record: PeriodRecord
    kind: NoticeKind
    level: int = 0
    recipients: list[str]
    occurred_at: AwareDatetime
    utc_offset_hours: int | None = None
