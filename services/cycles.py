"""Use cases of a whole cycle over the database: the survey index per unit, the predicates per unit, who was reviewed
or withdrawn, and the closing report's counts. The calibration proposal and decision: services.calibration_store.

The cycle workflow calls these through its activities and gets compact summaries back; the per-employee data (every
predicate, every survey response, the full proposal and decision) stays here, in the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import BaseModel

from domain.audit import AuditEntry
from domain.calendar import resolve
from domain.organisation import appraised_from
from domain.ratings import Predicate
from domain.stages import Action, Step
from domain.survey import IkmResult, SurveyResponse, ikm_by_unit
from domain.withdrawal import WithdrawalCause
from persistence.ports import AbstractUnitOfWork, CycleSurveyRecord, ReviewStanding
from services.appraisals import CycleRequest, check_cycle, record_calendar
from workflows.contracts import (
    appraisal_workflow_ids,
    parse_appraisal_workflow_id,
)
from workflows.cycle_contracts import (
    CycleInput,
    CycleRef,
    PrepareCycle,
    UnitIkm,
    UnitPredicates,
)

UowFactory = Callable[[], AbstractUnitOfWork]


@dataclass(frozen=True)
class Reviewed:
    nip: str
    name: str
    unit: str
    predicate: Predicate
    achievement: Decimal | None
    partial_from: date | None = None  # joined during the period: appraised from that day (Employee.appraised_from)


class ReviewedResult(BaseModel):
    predicate: Predicate


class ReviewedAchievement(BaseModel):
    percent: Decimal


class ReviewedView(BaseModel):
    """The fields of a stored ReviewOutcome (workflows.contracts) that a cycle reads: reading only these keeps
    summarising 100,000 reviews quick."""

    result: ReviewedResult
    achievements: list[ReviewedAchievement] = []
    final_predicate: Predicate | None = None


def reviewed(uow_factory: UowFactory, ref: CycleRef) -> list[Reviewed]:
    """Every appraisal of the cycle that has a review and was not withdrawn, with the predicate it stands at now, in
    workflow id order. Read a batch at a time as columns (ReviewStanding), with the names of its people by a join:
    reading and validating each review's document and person took 45 s at 100,000 (issue 21)."""
    with uow_factory() as uow:
        gone = uow.worklist.at_step(ref.cycle_id, Step.WITHDRAWN).keys()
        return [
            _reviewed(standing, ref.period)
            for batch in uow.reviews.standings(ref.cycle_id, ref.instansi_code, leaving_out=gone)
            for standing in batch
        ]


def reviewed_page(uow_factory: UowFactory, ref: CycleRef, *, offset: int, limit: int) -> tuple[list[Reviewed], int]:
    """`limit` of `reviewed` from the `offset`-th, in its order, and how many it holds: the report's page and the API
    read the rows they show, where reading the cycle's 100,000 reviews to show 50 took a minute (issue 21)."""
    with uow_factory() as uow:
        gone = uow.worklist.at_step(ref.cycle_id, Step.WITHDRAWN).keys()
        total = uow.reviews.count_of_cycle(ref.cycle_id, leaving_out=gone)
        if offset == 0 and limit >= total:  # the whole list (the report's files): no LIMIT to plan
            return reviewed(uow_factory, ref), total
        batches = uow.reviews.standings(ref.cycle_id, ref.instansi_code, leaving_out=gone, offset=offset, limit=limit)
        return [_reviewed(standing, ref.period) for batch in batches for standing in batch], total


def _reviewed(standing: ReviewStanding, period: int) -> Reviewed:
    # As a stored review's achievements validate (ReviewedAchievement): a percent is stored as an exact string.
    achievements = [Decimal(str(a["percent"])) for a in standing.achievements or ()]
    known = standing.name is not None  # on the instansi's roster
    return Reviewed(
        nip=standing.employee_nip,
        name=standing.name if standing.name is not None else standing.employee_nip,
        # the unit the appraisal runs in, as counted per unit; the roster's for older rows
        unit=standing.unit_code or (standing.roster_unit if standing.roster_unit is not None else "-"),
        predicate=Predicate(standing.predicate),
        achievement=(sum(achievements, Decimal()) / len(achievements)).quantize(Decimal("0.01"))
        if achievements
        else None,
        partial_from=appraised_from(standing.joined_on, period) if known else None,
    )


@dataclass(frozen=True)
class Withdrawn:
    nip: str
    name: str
    unit: str
    cause: WithdrawalCause
    reason: str
    effective_on: str | None  # ISO date, as recorded
    withdrawn_by: str
    withdrawn_at: datetime


def withdrawn(uow_factory: UowFactory, ref: CycleRef) -> list[Withdrawn]:
    """The employees withdrawn from the cycle (domain.withdrawal), in the order they were: who, from the worklist,
    whose entry follows the appraisal (a run reset to before its withdrawal is not withdrawn, though the audit log
    keeps the entry); why, from the audit log."""
    with uow_factory() as uow:
        entries = _withdrawals(uow, ref)
        people = uow.employees.by_nips(ref.instansi_code, set(entries))
    found: list[Withdrawn] = []
    for nip, entry in entries.items():
        after, person = entry.after or {}, people.get(nip)
        cause = WithdrawalCause(after["cause"])
        found.append(
            Withdrawn(
                nip=nip,
                name=person.name if person else nip,
                unit=person.unit_code if person else "-",
                cause=cause,
                # Entries recorded before the reason was kept apart carry it after the cause's label.
                reason=after.get("reason") or (entry.reason or "").removeprefix(f"{cause.label}: "),
                effective_on=after.get("effective_on"),
                withdrawn_by=entry.actor,
                withdrawn_at=entry.occurred_at,
            )
        )
    return found


def withdrawn_by_cause(uow_factory: UowFactory, ref: CycleRef) -> dict[str, int]:
    """How many were withdrawn from the cycle, per cause (WithdrawalCause value): the closing report's count."""
    with uow_factory() as uow:
        entries = _withdrawals(uow, ref)
    return dict(Counter(str((entry.after or {})["cause"]) for entry in entries.values()))


def _withdrawals(uow: AbstractUnitOfWork, ref: CycleRef) -> dict[str, AuditEntry]:
    """NIP → the audit entry of the withdrawal the worklist stands at now, in the order they were withdrawn."""
    prefix, length = appraisal_workflow_ids(ref.cycle_id)
    now = uow.worklist.at_step(ref.cycle_id, Step.WITHDRAWN)
    logged = uow.audit.of_workflows((Action.WITHDRAW.value,), workflow_id_prefix=prefix, workflow_id_length=length)
    latest = {entry.workflow_id: entry for entry in logged if entry.workflow_id in now}  # written in order
    ordered = sorted(latest.items(), key=lambda item: item[1].occurred_at)
    return {now[workflow_id]: entry for workflow_id, entry in ordered if workflow_id is not None}


def predicates_by_unit(uow_factory: UowFactory, ref: CycleRef) -> list[UnitPredicates]:
    """Per unit, how many of the cycle's appraisals (withdrawn ones left out) stand at each predicate, and how many
    have none yet (`missing`: "belum dinilai" on the cycle's page and in its report), counted by the database: a
    province's cycle holds 100,000 reviews."""
    with uow_factory() as uow:
        counted = uow.reviews.predicate_counts(ref.cycle_id)
        missing = uow.reviews.unreviewed_counts(ref.cycle_id)
    return [
        UnitPredicates(unit=unit, counts=by_predicate(counted.get(unit, NONE)), missing=missing.get(unit, 0))
        for unit in sorted(counted.keys() | missing.keys())
    ]


NONE = (0,) * len(Predicate)  # counts of a unit nobody in which stands at a predicate


def by_predicate(ordered: Sequence[int]) -> dict[Predicate, int]:
    """Counts in Predicate's order as a mapping, the predicates nobody stands at left out."""
    return {predicate: count for predicate, count in zip(Predicate, ordered, strict=True) if count}


def survey_by_unit(
    uow_factory: UowFactory, ref: CycleRef, populations: dict[str, int], *, record: bool = True
) -> list[UnitIkm]:
    """The IKM of every unit from the responses stored for the instansi and period (PermenPANRB 14/2017); recorded
    as the cycle's index (`record`) when the survey closes, with the instansi locked, so that a survey import or a
    form's answer is either in the index or refused (services.imports.import_survey, services.survey_form).

    The answers are read and the index computed before the lock: on SQLite the lock is the database's one writer,
    and reading a province's 100,000 answers under it held every appraisal's step for seconds (issue 21). Under the
    lock the answers are only counted (they are never changed or deleted, so the same count is the same answers) and
    the index recorded; an answer stored in between is counted by reading them again, then under the lock."""
    with uow_factory() as uow:
        results, policy_version, counted = _ikm(uow, ref, populations)
    if record:
        with uow_factory() as uow:
            uow.instansi.lock(ref.instansi_code)
            changed = uow.instansi.policy(ref.instansi_code).version != policy_version
            if changed or uow.survey.count(ref.instansi_code, ref.period) != counted:
                results, policy_version, _ = _ikm(uow, ref, populations)
            # Kept for readers outside the workflow: the penilai's view of the unit, and survey imports refused from
            # now.
            uow.cycles.save_survey(
                CycleSurveyRecord(
                    cycle_id=ref.cycle_id,
                    instansi_code=ref.instansi_code,
                    period=ref.period,
                    units=results,
                    policy_version=policy_version,
                    computed_at=datetime.now(UTC),
                )
            )
            uow.commit()
    return [
        UnitIkm(
            unit=result.unit or "-",
            responses=result.response_count,
            ikm=str(result.ikm) if result.ikm is not None else None,
            grade=result.grade,
            adequate=result.adequate,
            required_sample=result.required_sample,
        )
        for result in results
    ]


def _ikm(uow: AbstractUnitOfWork, ref: CycleRef, populations: dict[str, int]) -> tuple[list[IkmResult], str, int]:
    """(the IKM per unit, the policy version it used, how many answers it read)."""
    policy = uow.instansi.policy(ref.instansi_code)
    records = uow.survey.list(ref.instansi_code, ref.period)
    responses = [
        SurveyResponse.of(
            record.answers,
            unit=record.unit_code,
            respondent=record.respondent_token,
            comment=record.comment,
            submitted_at=record.submitted_at,
        )
        for record in records
    ]
    return ikm_by_unit(responses, policy, populations, policy_version=policy.version), policy.version, len(records)


NOTICE_ACTIONS = ("notice.reminder", "notice.escalation", "file_objection")


def notice_counts(uow_factory: UowFactory, ref: CycleRef) -> tuple[int, int, int]:
    """(reminders, escalations, objections) of the cycle's appraisals, counted in the audit log."""
    prefix, length = appraisal_workflow_ids(ref.cycle_id)
    with uow_factory() as uow:
        counts = uow.audit.count_by_action(NOTICE_ACTIONS, workflow_id_prefix=prefix, workflow_id_length=length)
    reminders, escalations, objections = (counts.get(action, 0) for action in NOTICE_ACTIONS)
    return reminders, escalations, objections


FINISHING_ACTIONS = ("acknowledge", "decide_objection", "close_objection_window")  # the moves into the final step


def finished_count(uow_factory: UowFactory, ref: CycleRef) -> int:
    """Appraisals of the cycle that reached the final step, counted in the audit log."""
    prefix, length = appraisal_workflow_ids(ref.cycle_id)
    with uow_factory() as uow:
        return uow.audit.count_workflows(FINISHING_ACTIONS, workflow_id_prefix=prefix, workflow_id_length=length)


def _of_cycle(workflow_id: str, cycle_id: str) -> bool:
    parsed = parse_appraisal_workflow_id(workflow_id)
    return parsed is not None and parsed[0] == cycle_id


def prepare(uow_factory: UowFactory, request: PrepareCycle) -> CycleInput:
    """A cycle input for `request.period` from a template: deadlines resolved under the instansi's current policy, and
    the people checked against its roster (as `kinerja siklus mulai` does)."""
    template = request.template
    cycle_id = f"{request.period}-{template.instansi_code}"
    cycle = CycleRequest(
        cycle_id=cycle_id,
        instansi_code=template.instansi_code,
        period=request.period,
        calendar=template.calendar,
        supervision_team=template.supervision_team,
        pengelola_kinerja=template.pengelola_kinerja,
    )
    policy = check_cycle(uow_factory, cycle)
    deadlines = resolve(template.calendar, request.period, policy)
    record_calendar(uow_factory, cycle, deadlines, policy)
    return CycleInput(
        cycle_id=cycle_id,
        instansi_code=template.instansi_code,
        period=request.period,
        calendar=template.calendar,
        deadlines=deadlines,
        supervision_team=template.supervision_team,
        pengelola_kinerja=template.pengelola_kinerja,
        pimpinan=template.pimpinan,
        populations=template.populations,
        batch_size=template.batch_size,
        escalation=policy.escalation,
    )
