"""What the application asks of storage: records, repository protocols and the abstract unit of work.

Nothing here imports SQLAlchemy, so unit tests (and activities under test) can pass an in-memory fake that satisfies
the same protocols. Repositories take and return domain models, never ORM rows.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Annotated, Any, Generic, Protocol, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.audit import AuditEntry
from domain.audit_chain import ChainHead, SealedEntry
from domain.calendar import Deadlines
from domain.development import PlanRecord
from domain.feedback import FeedbackNote
from domain.organisation import Employee, Instansi, ReviewerOverride, Unit
from domain.periods import PeriodRecord
from domain.policy import AppraisalPolicy
from domain.ratings import OrgPredicate, Predicate
from domain.skp import Iku, Skp
from domain.skp_versions import SkpVersion
from domain.stages import Step
from domain.survey import IkmResult
from domain.worklist import WorkItem, WorklistQuery
from identity.records import IdentityRepository
from persistence.evidence import EvidenceRepository
from persistence.survey_form import SurveyFormRepository

M = TypeVar("M", bound=BaseModel)

SURVEY_ITEMS = 9  # the nine unsur of the SKM (PermenPANRB 14/2017)


def _now() -> datetime:
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class SkpRecord(_Record):
    """An SKP with its workflow status and the version to send back when saving (None: not stored yet)."""

    skp: Skp
    status: str = Field(min_length=1, max_length=32)
    policy_version: str
    version: int | None = None


class ReviewRecord(_Record, Generic[M]):
    """The supervisor review of one appraisal workflow; `review` is the domain model the caller asked for."""

    workflow_id: str = Field(min_length=1, max_length=200)
    employee_nip: str
    period: int
    review: M
    version: int | None = None
    updated_at: AwareDatetime | None = None
    # Kept beside the review so that a cycle's predicates are counted by an index, not by reading every review:
    # the cycle of the appraisal, the unit it runs in and the predicate it stands at now (calibration's, then the
    # objection's, over the matrix's). None in a review that has no cycle (tests) or no predicate yet.
    cycle_id: str | None = None
    unit_code: str | None = None
    predicate: Predicate | None = None


@dataclass(frozen=True, slots=True)
class ReviewStanding:
    """Where one of a cycle's reviews stands, for the report's list of every reviewed employee: read as columns with
    its person's name, unit and join date (None where the employee is not on the instansi's roster), without the
    review's document. At 100,000 reviews reading and validating each document and person took most of a minute."""

    workflow_id: str
    employee_nip: str
    unit_code: str | None  # the unit the appraisal runs in
    predicate: str  # where it stands now (ReviewRecord.predicate)
    achievements: list[dict[str, Any]] | None  # the review's achievements as stored (each with its "percent")
    name: str | None
    roster_unit: str | None
    joined_on: date | None


class CalibrationRecord(_Record, Generic[M]):
    """The calibration of one group (unit or job family) of an instansi in one period."""

    instansi_code: str
    period: int
    group_code: str
    org_predicate: OrgPredicate
    status: str = Field(min_length=1, max_length=32)
    policy_version: str
    calibration: M
    version: int | None = None
    # What the calibration page lists of it, in order (a proposal's changes, a locked decision's moved predicates):
    # kept in rows of their own, replaced by a save that gives them (None: as stored), read a page at a time
    # (`CalibrationRepository.lines`).
    listed: list[dict[str, Any]] | None = None
    # What the page shows of it besides what it lists (a proposal's message and counts after its changes), read
    # without the document (`CalibrationRepository.summary`); written as given by each save (None: none).
    summary: dict[str, Any] | None = None


SurveyAnswer = Annotated[int, Field(ge=1, le=4)]


class SurveyResponseRecord(_Record):
    """One SKM questionnaire: nine unsur on the 1-4 scale (PermenPANRB 14/2017); None where left blank."""

    instansi_code: str
    period: int
    unit_code: str
    respondent_token: str = Field(min_length=1, max_length=100)
    answers: tuple[SurveyAnswer | None, ...] = Field(min_length=SURVEY_ITEMS, max_length=SURVEY_ITEMS)
    comment: str | None = None
    source: str = Field(min_length=1, max_length=16)  # csv, xlsx, form, ...
    submitted_at: AwareDatetime = Field(default_factory=_now)


class CycleRecord(_Record):
    """The calendar a cycle was planned with (`siklus mulai`, a yearly schedule, the cycle's own enrolment)."""

    cycle_id: str = Field(min_length=1, max_length=64)
    instansi_code: str
    period: int
    deadlines: Deadlines
    policy_version: str
    registered_at: AwareDatetime = Field(default_factory=_now)
    # The instansi's policy when the cycle began enrolling: every page, and every late joiner, is planned under it.
    # None for cycles recorded before it was kept.
    policy: AppraisalPolicy | None = None


class CycleSurveyRecord(_Record):
    """The IKM per unit a cycle computed from the stored SKM answers when its survey closed (PermenPANRB 14/2017)."""

    cycle_id: str = Field(min_length=1, max_length=64)
    instansi_code: str
    period: int
    units: list[IkmResult]
    policy_version: str
    computed_at: AwareDatetime = Field(default_factory=_now)


class OutboxMessage(_Record):
    id: int | None = None  # set by the store
    created_at: AwareDatetime = Field(default_factory=_now)
    channel: str = Field(min_length=1, max_length=16)  # "email" or "log"
    recipient: str = Field(min_length=1, max_length=254)
    subject: str = Field(max_length=300)
    body: str
    workflow_id: str | None = None
    idempotency_key: str | None = None
    sent_at: AwareDatetime | None = None
    attempts: int = 0
    next_attempt_at: AwareDatetime | None = None  # not before: a dispatcher's claim, or a retry's back-off
    last_error: str | None = None
    failed_at: AwareDatetime | None = None  # delivery given up


class OutboxCounts(_Record):
    """What the outbox holds, by where delivery stands."""

    waiting: int  # not tried yet, or to be tried again
    failed: int  # given up: `kinerja notifikasi ulangi` queues them again
    sent: int
    waiting_by_channel: dict[str, int]


class OutboxBacklog(_Record):
    """What the outbox has not sent, read from the unsent rows only (cheap however many were sent)."""

    waiting_by_channel: dict[str, int]
    failed: int
    oldest_waiting_at: AwareDatetime | None  # created_at of the oldest waiting notice


class WorkflowIds(_Record):
    """Which workflows' notices: these ids exactly, and the ids that start with a prefix and are this long (the
    appraisals of a cycle, workflows.contracts.appraisal_workflow_ids: the length keeps `2026-A` from `2026-A-B`)."""

    exact: tuple[str, ...] = ()
    prefixed: tuple[tuple[str, int], ...] = ()

    def matches(self, workflow_id: str | None) -> bool:
        if workflow_id is None:
            return False
        return workflow_id in self.exact or any(
            workflow_id.startswith(prefix) and len(workflow_id) == length for prefix, length in self.prefixed
        )


class GivenUp(_Record):
    """Where a given-up message was to go: what `kinerja notifikasi ulangi` needs to re-address it."""

    id: int
    idempotency_key: str | None
    channel: str
    recipient: str
    next_attempt_at: AwareDatetime | None  # in the future: a dispatcher may be sending it right now


class InstansiRepository(Protocol):
    def add(self, instansi: Instansi) -> None: ...
    def get(self, code: str) -> Instansi | None: ...
    def all(self) -> list[Instansi]: ...
    def policy(self, code: str) -> AppraisalPolicy: ...
    def set_policy_overrides(self, code: str, overrides: dict[str, Any]) -> AppraisalPolicy: ...
    def lock(self, code: str) -> None: ...


class UnitRepository(Protocol):
    def add(self, unit: Unit, instansi_code: str) -> None: ...
    def save(self, unit: Unit, instansi_code: str) -> None: ...
    def get(self, instansi_code: str, code: str) -> Unit | None: ...
    def list_by_instansi(self, instansi_code: str) -> list[Unit]: ...
    def mapping(self, instansi_code: str) -> dict[str, Unit]: ...
    def count(self, instansi_code: str) -> int: ...
    def names(self, instansi_code: str, codes: Collection[str]) -> dict[str, str]: ...


class EmployeeRepository(Protocol):
    def add(self, employee: Employee, instansi_code: str) -> None: ...
    def save(self, employee: Employee, instansi_code: str) -> None: ...
    def get(self, nip: str) -> Employee | None: ...
    def instansi_of(self, nip: str) -> str | None: ...
    def list_by_instansi(self, instansi_code: str, *, active_only: bool = False) -> list[Employee]: ...
    def mapping(self, instansi_code: str) -> dict[str, Employee]: ...
    def active_page(
        self,
        instansi_code: str,
        *,
        after: str | None = None,
        limit: int,
        only: Collection[str] | None = None,
    ) -> list[Employee]: ...
    def count_active(self, instansi_code: str, *, only: Collection[str] | None = None) -> int: ...
    def by_nips(self, instansi_code: str, nips: Collection[str]) -> dict[str, Employee]: ...
    def names(self, nips: Collection[str]) -> dict[str, str]: ...
    def emails(self, nips: Collection[str]) -> dict[str, str | None]: ...
    def add_override(
        self, override: ReviewerOverride, *, created_by: str, created_at: datetime | None = None
    ) -> None: ...
    def overrides(self, instansi_code: str) -> list[ReviewerOverride]: ...
    def overrides_of(self, nips: Collection[str]) -> list[ReviewerOverride]: ...


class IkuVersion(BaseModel):
    """One version of an IKU: the current one, or one a correction replaced (with who, when and why)."""

    version: int
    iku: Iku
    replaced_at: AwareDatetime | None = None
    replaced_by: str | None = None
    reason: str | None = None


class IkuRepository(Protocol):
    def add(self, iku: Iku, instansi_code: str) -> None: ...
    def get(self, instansi_code: str, period: int, code: str) -> Iku | None: ...
    def for_period(self, instansi_code: str, period: int) -> list[Iku]: ...
    def correct(self, iku: Iku, instansi_code: str, *, reason: str, by: str, at: datetime) -> int: ...
    def versions(self, instansi_code: str, period: int, code: str) -> list[IkuVersion]: ...


class SkpRepository(Protocol):
    def get(self, employee_nip: str, period: int) -> SkpRecord | None: ...
    def of_instansi(self, instansi_code: str, period: int) -> list[Skp]: ...
    def save(self, record: SkpRecord) -> int: ...
    def replace(self, skp: Skp, *, status: str, policy_version: str) -> int: ...
    def keep_version(
        self, workflow_id: str, employee_nip: str, period: int, version: SkpVersion, *, by: str, at: datetime
    ) -> None: ...
    def versions(self, workflow_id: str) -> builtins.list[SkpVersion]: ...


class ReviewRepository(Protocol):
    def get(self, workflow_id: str, model: type[M]) -> ReviewRecord[M] | None: ...
    def version(self, workflow_id: str) -> int | None: ...
    def of_employee(self, employee_nip: str, model: type[M], *, limit: int) -> builtins.list[ReviewRecord[M]]: ...
    def save(self, record: ReviewRecord[Any], *, at: datetime | None = None) -> int: ...
    def batches_with_prefix(
        self, prefix: str, model: type[M], *, size: int = 1000
    ) -> Iterator[builtins.list[ReviewRecord[M]]]: ...
    def of_cycle(
        self, cycle_id: str, model: type[M], *, leaving_out: Collection[str], offset: int, limit: int
    ) -> builtins.list[ReviewRecord[M]]: ...
    def count_of_cycle(self, cycle_id: str, *, leaving_out: Collection[str]) -> int: ...
    def standings(
        self,
        cycle_id: str,
        instansi_code: str,
        *,
        leaving_out: Collection[str],
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[builtins.list[ReviewStanding]]: ...
    def predicate_counts(self, cycle_id: str) -> dict[str, tuple[int, ...]]: ...
    def unreviewed_counts(self, cycle_id: str) -> dict[str, int]: ...


class CalibrationRepository(Protocol):
    def get(self, instansi_code: str, period: int, group_code: str, model: type[M]) -> CalibrationRecord[M] | None: ...
    def summary(self, instansi_code: str, period: int, group_code: str) -> tuple[str, dict[str, Any] | None] | None: ...
    def lines(
        self, instansi_code: str, period: int, group_code: str, offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]: ...
    def for_period(self, instansi_code: str, period: int, model: type[M]) -> list[CalibrationRecord[M]]: ...
    def save(self, record: CalibrationRecord[Any]) -> int: ...


class StepRecordRepository(Protocol):
    def record_once(
        self, key: str, workflow_id: str, step: str, result: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]: ...
    def get(self, key: str) -> dict[str, Any] | None: ...


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> bool: ...
    def list(
        self,
        *,
        subject: str | None = None,
        workflow_id: str | None = None,
        action: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[AuditEntry]: ...
    def latest(self, action: str, workflow_ids: Collection[str]) -> dict[str, AuditEntry]: ...
    def count_by_action(
        self, actions: Collection[str], *, workflow_id_prefix: str, workflow_id_length: int
    ) -> dict[str, int]: ...
    def of_workflows(
        self, actions: Collection[str], *, workflow_id_prefix: str, workflow_id_length: int
    ) -> builtins.list[AuditEntry]: ...
    def count_workflows(self, actions: Collection[str], *, workflow_id_prefix: str, workflow_id_length: int) -> int: ...
    def heads(self) -> builtins.list[ChainHead]: ...
    def chain_entries(self, chain: int, *, after: int = 0, batch: int = 2000) -> Iterator[SealedEntry]: ...
    def unsealed(self, *, limit: int) -> builtins.list[SealedEntry]: ...
    def hashes_at(self, places: Collection[tuple[int, int]]) -> dict[tuple[int, int], str]: ...


class SurveyResponseRepository(Protocol):
    def add(self, response: SurveyResponseRecord) -> None: ...
    def add_many(self, responses: builtins.list[SurveyResponseRecord]) -> int: ...
    def count(self, instansi_code: str, period: int) -> int: ...
    def list(
        self, instansi_code: str, period: int, unit_code: str | None = None
    ) -> builtins.list[SurveyResponseRecord]: ...


class CycleRepository(Protocol):
    def register(self, cycle: CycleRecord) -> CycleRecord: ...
    def recount(self, cycle_id: str, deadlines: Deadlines) -> None: ...
    def get(self, cycle_id: str) -> CycleRecord | None: ...
    def for_period(self, instansi_code: str, period: int) -> builtins.list[CycleRecord]: ...
    def of_instansi(self, instansi_code: str, *, limit: int) -> builtins.list[CycleRecord]: ...
    def save_survey(self, survey: CycleSurveyRecord) -> None: ...
    def survey(self, cycle_id: str) -> CycleSurveyRecord | None: ...


class OutboxRepository(Protocol):
    def enqueue(self, message: OutboxMessage) -> tuple[int, bool]: ...
    def get(self, message_id: int) -> OutboxMessage | None: ...
    def pending(self, *, limit: int = 100) -> list[OutboxMessage]: ...
    def claim(
        self, *, channels: Collection[str], now: datetime, until: datetime, limit: int
    ) -> builtins.list[OutboxMessage]: ...
    def mark_sent(
        self, message_id: int, *, at: datetime | None = None, claimed_until: datetime | None = None
    ) -> bool: ...
    def record_failure(
        self,
        message_id: int,
        *,
        error: str,
        retry_at: datetime | None,
        at: datetime | None = None,
        claimed_until: datetime | None = None,
    ) -> bool: ...
    def release(self, message_ids: Collection[int], *, at: datetime, claimed_until: datetime) -> int: ...
    def counts(self) -> OutboxCounts: ...
    def backlog(self) -> OutboxBacklog: ...
    def failed(self, *, limit: int = 100) -> builtins.list[OutboxMessage]: ...
    def given_up(self, message_ids: Collection[int] | None = None) -> builtins.list[GivenUp]: ...
    def readdress(self, message_id: int, *, channel: str, recipient: str) -> None: ...
    def requeue(self, message_ids: Collection[int] | None = None, *, now: datetime | None = None) -> int: ...
    def give_up(self, *, created_before: datetime, reason: str, at: datetime) -> int: ...
    def backlog_about(self, workflows: WorkflowIds) -> OutboxBacklog: ...
    def unsent_about(self, workflows: WorkflowIds, *, given_up: bool, limit: int) -> builtins.list[OutboxMessage]: ...


class UnitCounts(BaseModel):
    """A page of the units with open steps matching a query, most first: per stage, and how many units there are."""

    units: int  # with at least one such step
    by_unit: dict[str, dict[str, int]]  # unit code → stage → count, the page's units in order


class WorklistRepository(Protocol):
    def enrol(self, items: Sequence[WorkItem]) -> None: ...
    def put(self, item: WorkItem) -> None: ...
    def remove_unchanged(self, entries: Sequence[tuple[str, datetime | None]]) -> int: ...
    def get(self, workflow_id: str) -> WorkItem | None: ...
    def open(self, query: WorklistQuery, *, limit: int | None = None, offset: int = 0) -> list[WorkItem]: ...
    def open_ids(self, query: WorklistQuery, *, after: str | None, limit: int) -> list[tuple[str, datetime | None]]: ...
    def at_step(self, cycle_id: str, step: Step, unit_code: str | None = None) -> dict[str, str]: ...
    def tally(self) -> dict[tuple[str, str], tuple[int, int]]: ...
    def count_with_overdue(self, query: WorklistQuery) -> tuple[int, int]: ...
    def count(self, query: WorklistQuery) -> int: ...
    def count_by_stage(self, query: WorklistQuery) -> dict[str, int]: ...
    def units_by_count(self, query: WorklistQuery, *, limit: int, offset: int) -> UnitCounts: ...
    def escalated_to_superior(
        self, nip: str, *, employee_steps: Sequence[Step], penilai_steps: Sequence[Step], limit: int
    ) -> list[WorkItem]: ...


class FeedbackRepository(Protocol):
    def add(self, note: FeedbackNote) -> FeedbackNote: ...
    def get(self, cycle_id: str, employee_nip: str, note_id: int) -> FeedbackNote | None: ...
    def of_appraisal(self, cycle_id: str, employee_nip: str) -> builtins.list[FeedbackNote]: ...
    def count(self, cycle_id: str, employee_nip: str) -> int: ...


class DevelopmentPlanRepository(Protocol):
    def put(self, record: PlanRecord) -> None: ...
    def get(self, workflow_id: str) -> PlanRecord | None: ...
    def of_assignee(self, nip: str, *, limit: int) -> builtins.list[PlanRecord]: ...
    def of_cycle(self, instansi_code: str, cycle_id: str, *, limit: int) -> builtins.list[PlanRecord]: ...


class PeriodRepository(Protocol):
    def put(self, record: PeriodRecord) -> None: ...
    def of_appraisal(self, cycle_id: str, employee_nip: str) -> builtins.list[PeriodRecord]: ...
    def of_assignee(self, nip: str, *, limit: int) -> builtins.list[PeriodRecord]: ...


class AbstractUnitOfWork(ABC):
    """One transaction: `with uow: ...; uow.commit()`. Leaving the block without commit() rolls everything back."""

    instansi: InstansiRepository
    units: UnitRepository
    employees: EmployeeRepository
    iku: IkuRepository
    skp: SkpRepository
    reviews: ReviewRepository
    calibrations: CalibrationRepository
    steps: StepRecordRepository
    audit: AuditLog
    survey: SurveyResponseRepository
    outbox: OutboxRepository
    cycles: CycleRepository
    worklist: WorklistRepository
    identity: IdentityRepository
    evidence: EvidenceRepository
    feedback: FeedbackRepository
    plans: DevelopmentPlanRepository
    periods: PeriodRepository
    survey_form: SurveyFormRepository

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # After a commit there is nothing left to undo, so rolling back unconditionally is safe and simplest.
        self.rollback()

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...
