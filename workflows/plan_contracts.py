"""What crosses the Temporal boundary for a development plan (workflows/development_plan.py): its input, state,
Updates and the inputs of its activities. A field added here must have a default (running plans replay payloads
written without it)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.bounds import MAX_OFFICIALS, Reason
from domain.development import DevelopmentPlan, PlanRecord, PlanStep
from domain.policy import EscalationPolicy, FollowUpPolicy
from domain.ratings import Predicate
from domain.stages import Role
from domain.workdays import WorkdayTable
from workflows.contracts import Actor, Nip, NoticeKind

WORKFLOW_NAME = "DevelopmentPlan"  # the workflow type in Temporal: never rename while plans run


def plan_workflow_id(cycle_id: str, employee_nip: str) -> str:
    """One plan per employee per cycle: a second start for the same pair is a no-op."""
    return f"tindak-lanjut-{cycle_id}-{employee_nip}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DevelopmentPlanInput(_Frozen):
    """Started by the appraisal as it ends with a final predicate that calls for a plan (FollowUpPolicy)."""

    appraisal_workflow_id: str
    cycle_id: str
    instansi_code: str
    period: int
    unit_code: str
    employee_nip: Nip
    employee_name: str
    penilai_nip: Nip
    atasan_nip: Nip | None = None
    superiors: list[Nip] = Field(default_factory=list)  # the employee's line, nearest first: the escalation ladder
    supervision_team: list[Nip] = Field(default_factory=list, max_length=MAX_OFFICIALS)
    predicate: Predicate
    follow_up: FollowUpPolicy = FollowUpPolicy()
    escalation: EscalationPolicy = EscalationPolicy()
    workdays: WorkdayTable | None = None  # the cycle's working days (Deadlines.workdays)
    utc_offset_hours: int | None = None


class DevelopmentPlanState(_Frozen):
    record: PlanRecord
    deadline_set_at: AwareDatetime
    checkpoints_done: int = 0
    notice_seq: int = 0


class SendPlan(_Frozen):
    """The penilai sends the plan (first, or corrected before the employee agrees)."""

    actor: Actor
    plan: DevelopmentPlan


class AgreePlan(_Frozen):
    actor: Actor


class AskPlanChange(_Frozen):
    actor: Actor
    reason: Reason


class ReassignPlan(_Frozen):
    """The supervision team gives the plan another pejabat penilai (and atasan), with the reason."""

    actor: Actor
    penilai_nip: Nip
    atasan_nip: Nip | None = None
    reason: Reason


class RecordPlanStep(_Frozen):
    """A step of the plan as the database keeps it: the record after it, the audit entry, the next actor told."""

    idempotency_key: str
    record: PlanRecord
    action: str
    step_from: PlanStep
    actor: str
    actor_role: Role
    reason: str | None = None
    occurred_at: AwareDatetime
    notify: list[str] = Field(default_factory=list)
    utc_offset_hours: int | None = None  # the cycle's zone, for the deadline in the notice


class PlanNotice(_Frozen):
    """A reminder before the plan's deadline or an escalation after it (the record marks it overdue)."""

    idempotency_key: str
    record: PlanRecord
    kind: NoticeKind
    level: int = 0
    recipients: list[str]
    occurred_at: AwareDatetime
    utc_offset_hours: int | None = None
