"""What crosses the Temporal boundary for the cycle workflow (one per instansi and period): its input, state, updates
and the inputs and results of its activities.

Everything here is compact on purpose: per-employee data (predicates, survey responses, proposals) stays in the
database, and the workflow carries counts and short lists, so its history stays small whatever the roster size.
A field added here must have a default (running cycles replay payloads written without it).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.audit_chain import AuditAnchor
from domain.calendar import CycleCalendar, Deadlines
from domain.officials import Officials
from domain.policy import EscalationPolicy
from domain.ratings import OrgPredicate, Predicate
from workflows.contracts import Actor, Nip, NoticeKind

SKIPPED_SHOWN = 50  # skipped employees listed in the state; the rest are counted
CHANGES_SHOWN = 30  # proposed changes listed in the state; all of them are in the database
UPKEEP_MAX_MINUTES = 240  # the longest one night's worklist upkeep may run (three attempts stay within a day)


def cycle_workflow_id(cycle_id: str) -> str:
    return f"cycle-{cycle_id}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CyclePhase(StrEnum):
    ENROLLING = "enrolling"
    RUNNING = "running"  # target setting and self-assessment; the survey window may be open
    SURVEY_CLOSED = "survey_closed"
    CALIBRATING = "calibrating"  # the review deadline has passed; waiting for the organisation predicate / decision
    SIGNING_OFF = "signing_off"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    CyclePhase.ENROLLING: "Pendaftaran pegawai",
    CyclePhase.RUNNING: "Penyusunan SKP, penilaian diri dan penilaian",
    CyclePhase.SURVEY_CLOSED: "Survei ditutup, menunggu batas penilaian",
    CyclePhase.CALIBRATING: "Kalibrasi",
    CyclePhase.SIGNING_OFF: "Penetapan dan masa keberatan",
    CyclePhase.CLOSED: "Selesai",
}


class CycleInput(_Frozen):
    cycle_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    instansi_code: str = Field(min_length=1, max_length=32)
    period: int = Field(ge=2000, le=2100)
    calendar: CycleCalendar
    deadlines: Deadlines  # resolved once at start, so every appraisal of the cycle has the same ones
    supervision_team: list[Nip] = Field(min_length=1)
    pengelola_kinerja: list[Nip] = Field(default_factory=list)
    # Who sets the organisation predicate: the leader one level up (e.g. the Sekda for a dinas) or a committee.
    pimpinan: list[Nip] = Field(min_length=1)
    populations: dict[str, int] = Field(default_factory=dict)  # served population per unit, for the sample size
    batch_size: int = Field(default=500, ge=1, le=2000)  # employees enrolled per activity
    history_limit: int | None = Field(default=None, ge=50)  # continue as new above this (None: when suggested)
    carried: CycleState | None = None
    # The instansi's reminder offsets and grace at start, for the calibration deadline as for every appraisal step
    # (None, as in cycles started before it was carried: the regulation defaults of DEFAULT_POLICY).
    escalation: EscalationPolicy | None = None


class Skipped(_Frozen):
    nip: str
    name: str
    reason: str


class UnitIkm(_Frozen):
    unit: str
    responses: int
    ikm: str | None  # the index rounded to 2 dp, as text (exact); None when no response
    grade: str | None
    adequate: bool
    required_sample: int | None = None


class UnitPredicates(_Frozen):
    unit: str
    counts: dict[Predicate, int]
    missing: int = 0  # enrolled, but no review recorded


class CalibrationView(_Frozen):
    """What the committee sees: the pattern check and the fewest changes that satisfy it."""

    proposal_id: str = ""  # fingerprint of the stored proposal; a decision names the one it was made on
    org_predicate: OrgPredicate
    set_by: str
    recommendations: dict[str, str] = Field(default_factory=dict)  # role → recommended organisation predicate/text
    total: int
    feasible: bool
    violations: list[str]
    changes: int
    changes_shown: list[str]  # one line per proposed change, in words
    counts_before: dict[Predicate, int]
    counts_after: dict[Predicate, int]
    policy_version: str


class CalibrationOutcome(_Frozen):
    decided_by: str
    accepted: bool
    overrides: int
    justification: str | None
    compliant: bool
    violations: list[str]
    counts: dict[Predicate, int]
    pushed: int = 0


class CycleState(BaseModel):
    cycle_id: str
    instansi_code: str
    period: int
    phase: CyclePhase = CyclePhase.ENROLLING
    total: int | None = None  # active employees to enrol or skip (known after the first batch, counted at each)
    enrolled: int = 0
    already_closed: int = 0
    offset: int = 0  # active employees read so far, in NIP order
    cursor: str | None = None  # the last NIP read: the next page starts after it
    skipped_whole: bool = False  # a page recorded before cursors counted the whole cycle's skipped employees
    skipped_count: int = 0
    skipped: list[Skipped] = Field(default_factory=list)
    survey: list[UnitIkm] | None = None
    predicates: list[UnitPredicates] | None = None
    calibration: CalibrationView | None = None
    outcome: CalibrationOutcome | None = None
    report: CycleReport | None = None
    runs: int = 1
    max_history: int = 0  # the longest history any run of this cycle has had while enrolling (events)
    calibration_due: AwareDatetime | None = None  # set on entering calibration
    calibration_reminders: int = 0  # reminders sent to the pimpinan before calibration_due
    calibration_escalations: int = 0  # escalations sent at and after calibration_due while undecided
    # The officials once the admin kepegawaian changed them during the year (None: the input's), and how often.
    officials: Officials | None = None
    officials_version: int = 0
    # The deadlines once counted again on the instansi's working days during the year (None: the input's), and how
    # often (workflows.calendar_contracts).
    deadlines: Deadlines | None = None
    calendar_version: int = 0
    # The audit chains' heads at each phase (domain.audit_chain): kept in the history, outside the database.
    anchors: list[AuditAnchor] = Field(default_factory=list)


class CalibrationState(BaseModel):
    """What the calibration page reads of a cycle (the `calibration_state` query): a few fields, where the whole state
    carries every unit's predicates and IKM, thousands of rows to decode on every view at a province's size."""

    cycle_id: str
    instansi_code: str
    period: int
    phase: CyclePhase
    calibration_due: AwareDatetime | None
    calibration: CalibrationView | None
    outcome: CalibrationOutcome | None
    # Per unit, the appraisals without a predicate at the review deadline: only the units that have any (few).
    unreviewed: dict[str, int] = Field(default_factory=dict)


class CycleReport(_Frozen):
    generated_at: AwareDatetime
    enrolled: int
    final: int  # appraisals that reached the final step
    open_steps: int  # appraisals not yet final (from the worklist)
    predicates: list[UnitPredicates]
    survey: list[UnitIkm]
    reminders: int
    escalations: int
    # Steps overdue when the report was made (None: an older report, made where visibility could not count).
    overdue_now: int | None
    objections: int = 0
    calibration_reminders: int = 0  # the cycle's own notices to the pimpinan about calibration_due
    calibration_escalations: int = 0
    withdrawn: int = 0  # employees withdrawn from the cycle (domain.withdrawal): neither final nor open
    withdrawn_by_cause: dict[str, int] = Field(default_factory=dict)  # WithdrawalCause value → count
    audit_seal: AuditAnchor | None = None  # the audit chains' heads when the report was made (None: older reports)


class CycleTemplate(_Frozen):
    """What a yearly Temporal Schedule starts a cycle from: everything but the period, which is the year it fires."""

    instansi_code: str = Field(min_length=1, max_length=32)
    calendar: CycleCalendar = CycleCalendar()  # start None: 1 January of the period; deadlines from the policy
    supervision_team: list[Nip] = Field(min_length=1)
    pengelola_kinerja: list[Nip] = Field(default_factory=list)
    pimpinan: list[Nip] = Field(min_length=1)
    populations: dict[str, int] = Field(default_factory=dict)
    batch_size: int = Field(default=500, ge=1, le=2000)


class PrepareCycle(_Frozen):
    template: CycleTemplate
    period: int = Field(ge=2000, le=2100)


# --- updates -------------------------------------------------------------------------------------------------------


class SetOrgPredicate(_Frozen):
    actor: Nip
    org_predicate: OrgPredicate
    recommendations: dict[str, str] = Field(default_factory=dict)  # e.g. {"pengelola_kinerja": "baik", ...}


class DecideCalibration(_Frozen):
    actor: Nip
    proposal_id: str | None = None  # the proposal decided on (None: the current one)
    accept: bool = True
    overrides: dict[Nip, Predicate] = Field(default_factory=dict)
    justification: str | None = None


class ChangeOfficials(_Frozen):
    """New lists of the cycle's officials (domain.officials), from the admin kepegawaian, with the reason."""

    actor: Actor
    officials: Officials
    reason: str = ""


class OfficialsChanged(_Frozen):
    version: int  # the cycle's how-manieth change
    officials: Officials
    changes: dict[str, dict[str, list[str]]]  # list → {"masuk": [...], "keluar": [...]} (domain.officials.changes)
    appraisals: int  # running appraisals that took the change up


# --- activities ----------------------------------------------------------------------------------------------------


class EnrolBatch(_Frozen):
    cycle_id: str
    instansi_code: str
    period: int
    deadlines: Deadlines
    supervision_team: list[str]
    pengelola_kinerja: list[str]
    offset: int  # employees read so far: where the page starts when there is no cursor (a cycle older than it)
    limit: int
    task_queue: str
    after_nip: str | None = None  # the previous page's last NIP: the page starts after it


class EnrolBatchResult(_Frozen):
    total: int
    next_offset: int
    started: int
    already_closed: int
    skipped: list[Skipped]  # the first SKIPPED_SHOWN of this page
    skipped_count: int = 0
    last_nip: str | None = None  # where the next page starts
    # False in results recorded before pages had a cursor: their first page carried the whole cycle's skipped
    # employees, and offsets and `total` counted only those enrolled.
    paged: bool = False


class CycleRef(_Frozen):
    cycle_id: str
    instansi_code: str
    period: int


ANCHOR_ACTIVITY = "cycle.anchor_audit"


class AnchorRequest(CycleRef):
    """Take the audit chains' heads at a phase of the cycle (the label names it)."""

    label: str = Field(min_length=1, max_length=100)


class SurveyRequest(CycleRef):
    populations: dict[str, int] = Field(default_factory=dict)


class ProposeRequest(CycleRef):
    request: SetOrgPredicate


class DecideRequest(CycleRef):
    decision: DecideCalibration
    key: str  # the Update's id: a retried activity recognises its own locked decision


class ReportRequest(SurveyRequest):
    enrolled: int = 0
    # The IKM per unit as computed when the survey closed (what the penilai saw); None only in runs started before it
    # was passed, whose report computes it again from the stored answers.
    survey: list[UnitIkm] | None = None


class CalibrationNotice(CycleRef):
    """A reminder before the calibration deadline, or an escalation at or after it (no decision yet)."""

    workflow_id: str
    idempotency_key: str  # cycle workflow + kind + checkpoint: a retried activity writes nothing twice
    kind: NoticeKind
    level: int = 0  # escalation level; 0 for a reminder
    deadline: AwareDatetime
    recipients: list[str] = Field(min_length=1)
    pimpinan: list[str]
    proposed: bool = False  # the organisation predicate is set and a proposal waits for the decision
    occurred_at: AwareDatetime
    utc_offset_hours: int | None = None  # the cycle's zone, for the deadline in the notice (None: all three)


class RecordOfficials(CycleRef):
    """The audit entry of a change of officials, checked against the roster and the actor's grant first."""

    version: int
    officials: Officials
    before: Officials
    actor: str
    reason: str | None = None
    key: str  # the Update's id: a retried activity writes the entry once
    occurred_at: AwareDatetime


class PushOfficials(CycleRef):
    version: int
    batch_size: int = Field(default=200, ge=1, le=1000)


class PushRequest(CycleRef):
    decided_by: str = Field(default="system", pattern=r"^(\d{18}|system)$")
    batch_size: int = Field(default=200, ge=1, le=1000)


CycleInput.model_rebuild()
CycleState.model_rebuild()


class WorklistUpkeep(_Frozen):
    """What the daily upkeep schedule passes: how long its check may run. A run stopped at the budget says where it
    stopped, and the next night's run goes on from there (its last completion result)."""

    budget_minutes: float = Field(default=30, gt=0, le=UPKEEP_MAX_MINUTES)


class WorklistUpkept(_Frozen):
    removed: int  # entries of appraisals that ended without finishing
    unchecked: int  # entries kept because Temporal did not answer for them
    complete: bool  # False: stopped at the budget before the last open entry
    began_after: str | None = None  # the workflow id this run went on from (None: from the first)
    resume_after: str | None = None  # where the next run goes on (None: from the first again)


class UpkeepRun(_Frozen):
    """One night's upkeep activity: the schedule's settings and where the last night's run stopped."""

    upkeep: WorklistUpkeep
    after: str | None = None
