"""What Beranda shows a signed-in person besides their open steps (services.worklist.open_steps): how far each
escalated step went and to whom, the overdue steps of others escalated to them as a superior, and their own
appraisals, past and present, with the predicate and their unit's IKM.

All from the database: the worklist (where each appraisal stands), the reviews (the predicate as the workflow last
recorded it: the matrix's, then calibration's, then the objection decision's), the cycles' calendars (the zone) and
the IKM a cycle computed when its survey closed (services.surveys).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.access import Principal
from domain.development import PlanRecord
from domain.periods import PeriodRecord
from domain.ratings import Predicate
from domain.stages import Role, Step
from domain.worklist import WorkItem, WorklistQuery
from persistence.ports import AbstractUnitOfWork, CycleRecord
from services.cycles import ReviewedView
from services.surveys import UnitSurvey, unit_surveys_in
from services.worklist import names_in
from workflows.contracts import appraisal_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
CYCLES_LOOKED_AT = 20  # the instansi's latest cycles, for appraisals without a review yet
REVIEWS_LOOKED_AT = 50  # the employee's reviews, newest first: a career's worth
ESCALATION = "notice.escalation"
# Whose overdue steps climb to their superiors (domain.escalation.superiors_of): the employee's to the penilai and
# then the atasan, the penilai's to the atasan.
EMPLOYEE_STEPS = tuple(step for step in Step if not step.closed and step.responsible is Role.PEGAWAI)
PENILAI_STEPS = tuple(step for step in Step if not step.closed and step.responsible is Role.PENILAI)


@dataclass(frozen=True)
class EscalationNote:
    """How far an overdue step was escalated, by the system at its deadline, and to whom (NIPs)."""

    level: int
    at: datetime
    recipients: list[str]


def _escalations(uow: AbstractUnitOfWork, items: Sequence[WorkItem]) -> dict[str, EscalationNote]:
    """The latest escalation of each escalated item (workflow id → note), from the audit log, in one read."""
    escalated = [item.workflow_id for item in items if item.escalation_level > 0]
    found: dict[str, EscalationNote] = {}
    for workflow_id, last in (uow.audit.latest(ESCALATION, escalated) if escalated else {}).items():
        after = last.after or {}
        recipients = [str(nip) for nip in after.get("recipients", [])]
        found[workflow_id] = EscalationNote(int(after.get("level", 0)), last.occurred_at, recipients)
    return found


def _zones(cycles: dict[str, CycleRecord | None]) -> dict[str, int | None]:
    """Each cycle's UTC offset in hours (7 WIB, 8 WITA, 9 WIT; None: its calendar is not recorded)."""
    return {cycle_id: c.deadlines.utc_offset_hours if c is not None else None for cycle_id, c in cycles.items()}


@dataclass(frozen=True)
class Home:
    """Everything Beranda shows, read in one unit of work (a page asked by every person, many times a day)."""

    tasks: list[WorkItem]  # nearest deadline first
    total: int  # open steps in all, listed or not
    names: dict[str, str]  # appraised employees' names
    zones: dict[str, int | None]  # per cycle of a task
    escalated: dict[str, EscalationNote]  # per workflow id
    recipients: dict[str, str]  # names of those an escalation went to
    mine: list[MyAppraisal]
    # Overdue steps of others whose escalation has reached me as their superior, nearest deadline first.
    reached: list[WorkItem] = field(default_factory=list)
    # Development plans waiting on me (domain.development): to send as penilai, to agree to as the employee.
    plans: list[PlanRecord] = field(default_factory=list)
    # Periods of the periodic evaluation waiting on me (domain.periods): my realisation, or the dialog as penilai.
    periods: list[PeriodRecord] = field(default_factory=list)


def home(uow_factory: UowFactory, principal: Principal, *, now: datetime, limit: int) -> Home:
    query = WorklistQuery(assignee=principal.nip)
    with uow_factory() as uow:
        tasks = uow.worklist.open(query, limit=limit)
        total = len(tasks) if len(tasks) < limit else uow.worklist.count(query)
        reached = uow.worklist.escalated_to_superior(
            principal.nip, employee_steps=EMPLOYEE_STEPS, penilai_steps=PENILAI_STEPS, limit=limit
        )
        cycles: dict[str, CycleRecord | None] = {}
        plans = uow.plans.of_assignee(principal.nip, limit=limit)
        periods = uow.periods.of_assignee(principal.nip, limit=limit)
        followed = {plan.cycle_id for plan in plans} | {period.cycle_id for period in periods}
        for cycle_id in {item.cycle_id for item in (*tasks, *reached)} | followed:
            cycles[cycle_id] = uow.cycles.get(cycle_id)
        escalated = _escalations(uow, tasks)
        told = {
            nip for item in tasks if item.workflow_id in escalated for nip in escalated[item.workflow_id].recipients
        }
        recipients = uow.employees.names(told) if told else {}
        return Home(
            tasks=tasks,
            total=total,
            names=names_in(uow, [*tasks, *reached]),
            zones=_zones(cycles),
            escalated=escalated,
            recipients=recipients,
            mine=_my_appraisals(uow, principal, now=now, cycles=cycles),
            reached=reached,
            plans=plans,
            periods=periods,
        )


@dataclass(frozen=True)
class MyAppraisal:
    cycle_id: str
    period: int
    unit_code: str
    step: Step
    deadline: datetime | None
    overdue: bool
    predicate: Predicate | None  # None: not reviewed yet (or withdrawn)
    utc_offset_hours: int | None
    survey: UnitSurvey | None = None

    @property
    def final(self) -> bool:
        return self.step is Step.FINAL


def _my_appraisals(
    uow: AbstractUnitOfWork, principal: Principal, *, now: datetime, cycles: dict[str, CycleRecord | None]
) -> list[MyAppraisal]:
    """The person's own appraisals, newest period first: every one with a review, wherever it was (someone who moved
    keeps their past), and those of their instansi's latest cycles still without one."""
    reviews = {
        r.workflow_id: r.review for r in uow.reviews.of_employee(principal.nip, ReviewedView, limit=REVIEWS_LOOKED_AT)
    }
    latest_cycles: dict[str, CycleRecord | None] = {}
    if principal.instansi_code is not None:
        for latest in uow.cycles.of_instansi(principal.instansi_code, limit=CYCLES_LOOKED_AT):
            latest_cycles[latest.cycle_id] = latest
    cycles.update(latest_cycles)
    ids = {appraisal_workflow_id(cycle_id, principal.nip) for cycle_id in latest_cycles} | reviews.keys()
    items = [item for item in (uow.worklist.get(workflow_id) for workflow_id in ids) if item is not None]
    mine = [item for item in items if item.employee_nip == principal.nip]
    for item in mine:
        if item.cycle_id not in cycles:
            cycles[item.cycle_id] = uow.cycles.get(item.cycle_id)
    found: list[MyAppraisal] = []
    for item in mine:
        cycle, review = cycles.get(item.cycle_id), reviews.get(item.workflow_id)
        withdrawn = item.step is Step.WITHDRAWN
        found.append(
            MyAppraisal(
                cycle_id=item.cycle_id,
                period=cycle.period if cycle is not None else 0,
                unit_code=item.unit_code,
                step=item.step,
                deadline=None if item.step.closed else item.deadline,
                overdue=item.overdue,
                predicate=None if review is None or withdrawn else review.final_predicate or review.result.predicate,
                utc_offset_hours=cycle.deadlines.utc_offset_hours if cycle is not None else None,
            )
        )
    surveys = unit_surveys_in(uow, [(a.cycle_id, a.unit_code) for a in found], now=now, cycles=cycles)
    found = [replace(a, survey=surveys.get((a.cycle_id, a.unit_code))) for a in found]
    return sorted(found, key=lambda a: (-a.period, a.step.closed, a.cycle_id))
