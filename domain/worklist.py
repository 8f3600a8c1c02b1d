"""The worklist: where each appraisal stands — its step, who must act, by when, and whether it is overdue — so the
task lists (`kinerja tugas`), the supervision team's queue (`kinerja terlambat`), its bulk actions and a cycle's
closing report read one table instead of asking Temporal visibility. Written with the step or escalation that changes
it, in the same transaction, so a list shows a step as soon as it is recorded.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.stages import Role, Stage, Step


def listed_assignee(step: Step, assignees: list[str]) -> str | None:
    """The one person whose list shows the step: the first who must act, nobody's while the system acts (a
    pengelola kinerja who may set a calibration result by hand still sees it on the supervision pages, not as a
    task)."""
    return assignees[0] if assignees and step.responsible is not Role.SYSTEM else None


class WorkItem(BaseModel):
    """Where one appraisal stands.

    `recorded_at` is the workflow time of the step or escalation that wrote it, and a write never replaces an entry
    recorded later: a late retry of an earlier step cannot put the list back, while a run reset to an earlier step
    (its workflow time goes on) writes as usual. None for an entry written from outside the workflow (at enrolment,
    or by `kinerja sinkron-worklist`), which the appraisal's first write replaces."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    cycle_id: str
    instansi_code: str
    unit_code: str
    employee_nip: str
    penilai_nip: str
    step: Step
    assignee: str | None = None  # who must act now; None while nobody is (the system acts, or the appraisal is final)
    deadline: AwareDatetime | None = None
    overdue: bool = False
    escalation_level: int = 0
    recorded_at: AwareDatetime | None = None
    # Who decides an objection (the API lets them see the appraisal); None in entries written before it was kept.
    atasan_nip: str | None = None

    @property
    def stage(self) -> Stage:
        return self.step.stage


class WorklistQuery(BaseModel):
    """Which open steps to list: every given field must match (None: any). Closed appraisals (final or withdrawn)
    are never listed."""

    model_config = ConfigDict(frozen=True)

    cycle_id: str | None = None
    instansi_code: str | None = None
    unit_code: str | None = None
    stage: Stage | None = None
    assignee: str | None = None
    penilai_nip: str | None = None
    overdue: bool | None = None
    deadline_before: AwareDatetime | None = None  # only steps whose deadline is at or before this instant
