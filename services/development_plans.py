"""Development plans (tindak lanjut, domain.development) as the signed-in person sees and acts on them: who acts comes
from their session or token, never from the request; the plan's workflow (workflows/development_plan.py) has the
last word on who may take which step.

Who sees a plan: whoever may see the appraisal it follows (services.steps.visible; someone with no part in it is told
it does not exist). Who acts: the pejabat penilai sends it, the employee agrees or asks for a change, the supervision
team may give it another penilai (the one it names left). HR (pengelola kinerja, admin kepegawaian) and the
supervision team list a cycle's plans by unit with the training asked for.
The pages and the API both come through here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError

from domain.access import Principal, Scope, acting_role, roles_on
from domain.bounds import Reason
from domain.development import (
    FOLLOW_UP_RULE,
    MAX_CHANGE_REQUESTS,
    MAX_COACHING_CHARS,
    MAX_SHORT_CHARS,
    PlanAction,
    PlanRecord,
    PlanStep,
    checked_plan,
    checked_reason,
)
from domain.errors import Forbidden, NotFound
from domain.stages import Role
from domain.workdays import zone_of
from persistence.ports import AbstractUnitOfWork
from services.appraisals import check_reassignment
from services.steps import STEP_WAIT, keyed_update_id, visible
from services.supervision import cycle_held
from workflows.contracts import Actor
from workflows.development_plan import DevelopmentPlanWorkflow
from workflows.plan_contracts import (
    AgreePlan,
    AskPlanChange,
    DevelopmentPlanState,
    ReassignPlan,
    SendPlan,
    plan_workflow_id,
)

UowFactory = Callable[[], AbstractUnitOfWork]
ACTORS: dict[PlanAction, Role] = {
    PlanAction.SEND: Role.PENILAI,
    PlanAction.AGREE: Role.PEGAWAI,
    PlanAction.ASK_CHANGE: Role.PEGAWAI,
    PlanAction.REASSIGN: Role.PENGAWASAN,
}
# Who lists a cycle's plans: HR, who arrange the training, and the supervision team, who follow what is overdue.
LISTERS = (Role.PENGELOLA_KINERJA, Role.ADMIN_KEPEGAWAIAN, Role.PENGAWASAN)
MAX_LISTED = 5_000  # a province's cycle has a few hundred below Baik; the page lists them all, by unit
MAX_CYCLE_ID = 64


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlanBody(_Body):
    """The plan as the penilai sends it (first, or corrected before the employee agrees)."""

    bimbingan: str = Field(min_length=1, max_length=MAX_COACHING_CHARS, description="bimbingan kinerja: apa, bagaimana")
    kompetensi: str = Field(min_length=1, max_length=MAX_SHORT_CHARS, description="kompetensi yang dikembangkan")
    pelatihan: str | None = Field(default=None, max_length=MAX_SHORT_CHARS, description="pelatihan yang diminta")
    tanggal_target: date = Field(description="tanggal rencana ini selesai")


class AgreeBody(_Body):
    pass


class ChangeBody(_Body):
    alasan: Reason = Field(description="perubahan yang diminta pegawai")


class ReassignPlanBody(_Body):
    """Another pejabat penilai (and atasan) for the plan, from the supervision team, with the reason."""

    penilai: str = Field(pattern=r"^\d{18}$", description="NIP pejabat penilai baru")
    atasan: str | None = Field(default=None, pattern=r"^\d{18}$", description="NIP atasannya (kosong: tetap)")
    alasan: Reason = Field(description="mis. pejabat penilai mutasi per tanggal ...")


Body = PlanBody | AgreeBody | ChangeBody | ReassignPlanBody
Command = SendPlan | AgreePlan | AskPlanChange | ReassignPlan


def plan_of(uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str) -> PlanRecord | None:
    """The plan that follows the appraisal, None while there is none (NotFound for whoever may not see it)."""
    visible(uow_factory, principal, cycle_id, nip)
    return record_of(uow_factory, cycle_id, nip)


def record_of(uow_factory: UowFactory, cycle_id: str, nip: str) -> PlanRecord | None:
    """The same, for a page that has already checked who may see the appraisal."""
    with uow_factory() as uow:
        return uow.plans.get(plan_workflow_id(cycle_id, nip))


def actions_of(record: PlanRecord | None, nip: str, roles: set[Role]) -> set[PlanAction]:
    """The steps of the plan this person may take now (the workflow checks again): the penilai the plan names sends
    it until it is agreed, the employee agrees or asks for a change once it is sent."""
    if record is None:
        return set()
    found: set[PlanAction] = set()
    if Role.PENILAI in roles and nip == record.penilai_nip and record.step is not PlanStep.AGREED:
        found.add(PlanAction.SEND)
    if Role.PEGAWAI in roles and nip == record.employee_nip and record.step is PlanStep.AGREEMENT:
        found.add(PlanAction.AGREE)
        if record.change_requests < MAX_CHANGE_REQUESTS:
            found.add(PlanAction.ASK_CHANGE)
    if Role.PENGAWASAN in roles and record.step is not PlanStep.AGREED:
        found.add(PlanAction.REASSIGN)
    return found


def of_cycle(uow_factory: UowFactory, principal: Principal, cycle_id: str) -> list[PlanRecord]:
    """The cycle's plans by unit and NIP, for HR and the supervision team of its instansi (NotFound for anyone with no
    part in the instansi, Forbidden for someone of it without one of LISTERS)."""
    cycle = cycle_held(uow_factory, principal, cycle_id, LISTERS)
    with uow_factory() as uow:
        return uow.plans.of_cycle(cycle.instansi_code, cycle_id, limit=MAX_LISTED)


@dataclass(frozen=True)
class TrainingNeed:
    """HR's view: per unit, who asked for which training, and whether the plan is agreed."""

    unit_code: str
    training: str
    people: list[PlanRecord]


def training_needs(plans: list[PlanRecord]) -> list[TrainingNeed]:
    """The plans that ask for training, grouped by unit and training (the text as written, case aside)."""
    groups: dict[tuple[str, str], list[PlanRecord]] = {}
    names: dict[tuple[str, str], str] = {}
    for record in plans:
        training = record.plan.training if record.plan is not None else None
        if training:
            key = (record.unit_code, training.casefold())
            groups.setdefault(key, []).append(record)
            names.setdefault(key, training)
    return [TrainingNeed(unit, names[(unit, t)], groups[(unit, t)]) for unit, t in sorted(groups)]


def today_in_cycle(uow_factory: UowFactory, cycle_id: str, now: datetime) -> date:
    """`now`'s day in the cycle's zone (WIB for a cycle that did not keep one): what bounds a plan's date."""
    with uow_factory() as uow:
        cycle = uow.cycles.get(cycle_id) if 0 < len(cycle_id) <= MAX_CYCLE_ID else None
    zone = cycle.deadlines.utc_offset_hours if cycle is not None else None
    return now.astimezone(zone_of(zone)).date()


@dataclass(frozen=True)
class PreparedPlanStep:
    cycle_id: str
    nip: str
    update_id: str | None  # from the sender's Idempotency-Key: a retry with the same key is the same Update
    command: Command


def prepare(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    cycle_id: str,
    nip: str,
    action: PlanAction,
    body: Body,
    today: date,
    idempotency_key: str | None = None,
) -> PreparedPlanStep:
    """Who may take the step and the command to send (blocking: reads the database). `today` in the cycle's zone
    bounds the plan's date; the workflow checks it again with its own clock."""
    if Scope.ACT not in principal.scopes:
        raise Forbidden("token ini hanya untuk membaca (cakupan 'baca'); langkah memerlukan cakupan 'langkah'")
    parties, _period = visible(uow_factory, principal, cycle_id, nip)
    role = acting_role(roles_on(principal, parties), (ACTORS[action],))
    if role is None:
        raise Forbidden(
            f"langkah ini dilakukan oleh {ACTORS[action].label} pegawai ini", field="peran", rule=FOLLOW_UP_RULE
        )
    with uow_factory() as uow:
        record = uow.plans.get(plan_workflow_id(cycle_id, nip))
    if record is None:
        raise NotFound(f"belum ada rencana pengembangan bagi NIP {nip} pada siklus {cycle_id}", field="rencana")
    actor = Actor(nip=principal.nip, role=role)
    command: Command
    if isinstance(body, PlanBody):
        plan = checked_plan(body.bimbingan, body.kompetensi, body.pelatihan, body.tanggal_target, today=today)
        command = SendPlan(actor=actor, plan=plan)
    elif isinstance(body, ChangeBody):
        command = AskPlanChange(actor=actor, reason=checked_reason(body.alasan))
    elif isinstance(body, ReassignPlanBody):
        # The roster decides who can appraise, as for an appraisal: an active employee of the instansi, not the
        # employee, not withdrawn from the cycle.
        check_reassignment(
            uow_factory, parties.instansi_code, nip, body.penilai, body.atasan, cycle_id=parties.cycle_id
        )
        command = ReassignPlan(
            actor=actor, penilai_nip=body.penilai, atasan_nip=body.atasan, reason=checked_reason(body.alasan)
        )
    else:
        command = AgreePlan(actor=actor)
    key = keyed_update_id(principal, action.value, cycle_id, nip, idempotency_key) if idempotency_key else None
    return PreparedPlanStep(cycle_id=cycle_id, nip=nip, update_id=key, command=command)


async def send(client: Client, step: PreparedPlanStep) -> DevelopmentPlanState:
    """Send the prepared step as its Update (waits STEP_WAIT at most, as an appraisal's step)."""
    handle = client.get_workflow_handle_for(DevelopmentPlanWorkflow.run, plan_workflow_id(step.cycle_id, step.nip))
    try:
        async with asyncio.timeout(STEP_WAIT.total_seconds()):
            command = step.command
            if isinstance(command, SendPlan):
                state = await handle.execute_update(DevelopmentPlanWorkflow.send_plan, command, id=step.update_id)
            elif isinstance(command, AskPlanChange):
                state = await handle.execute_update(DevelopmentPlanWorkflow.ask_plan_change, command, id=step.update_id)
            elif isinstance(command, ReassignPlan):
                state = await handle.execute_update(DevelopmentPlanWorkflow.reassign_plan, command, id=step.update_id)
            else:
                state = await handle.execute_update(DevelopmentPlanWorkflow.agree_plan, command, id=step.update_id)
    except TimeoutError:
        raise WorkflowUpdateRPCTimeoutOrCancelledError() from None
    return state
