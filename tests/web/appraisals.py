"""Appraisals and cycles in the state a test needs, started on the dev server and moved on by their own parties.

The API is what the web tests examine, so the appraisals are brought to a step the way the CLI used to: Updates sent
straight with the Temporal client, each by the person the workflow expects (the calibration result by the pengelola
kinerja, with a reason, where no cycle workflow locks one). Two kinds of cycle:

- a cycle of one appraisal, registered in the database as `siklus mulai` registers one but with no cycle workflow:
  cheap, so one employee can have as many appraisals as the tests spend;
- a real cycle (its workflow enrols the whole roster) a month old, at calibration: its appraisals escalated once at
  the start, the appraisal of the employee named reviewed, and a proposal stored by the pimpinan.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TypeVar

from sqlalchemy import Engine, func, select
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from domain.development import DevelopmentPlan
from domain.periods import PeriodWindow
from domain.policy import AppraisalPolicy
from domain.ratings import Expectation, OrgPredicate, Predicate
from domain.stages import Role, Step
from persistence.orm import WorklistRow
from persistence.ports import AbstractUnitOfWork, CycleRecord
from services import cycle_actions, worklist
from services.actors import OPERATOR
from services.cycle_actions import ProposalBody
from services.cycle_start import StartOrder, start_from_grants
from temporal_client import appraisal_handle, cycle_handle, start_appraisal
from tests.web.office import (
    BY_NIP,
    GRANTED,
    INSTANSI_B,
    PERIOD,
    Appraised,
    appraisal_input,
    deadlines,
    past_calendar,
    realisations,
    skp_of,
)
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Actor,
    ApplyCalibration,
    AppraisalState,
    AppraisalSummary,
    ApproveSkp,
    FileObjection,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    appraisal_workflow_id,
)
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CyclePhase, CycleState, cycle_workflow_id
from workflows.development_plan import DevelopmentPlanWorkflow
from workflows.period_contracts import HoldDialog, PeriodicInput, RecordPeriodRealisation, periodic_workflow_id
from workflows.periodic import PeriodicEvaluationWorkflow
from workflows.plan_contracts import DevelopmentPlanInput, SendPlan, plan_workflow_id

T = TypeVar("T")
UowFactory = Callable[[], AbstractUnitOfWork]
Handle = WorkflowHandle[AppraisalWorkflow, AppraisalSummary]

# The steps a person acts in, in the order an appraisal passes them.
PATH = (
    Step.SKP_DRAFTING,
    Step.SKP_APPROVAL,
    Step.SELF_ASSESSMENT,
    Step.SUPERVISOR_REVIEW,
    Step.AWAITING_CALIBRATION,
    Step.SIGN_OFF,
    Step.OBJECTION_WINDOW,
    Step.OBJECTION_REVIEW,
)
REASON = "Dicatat untuk uji matriks akses API"
STARTS_AT_ONCE = 6  # appraisals prepared concurrently: the dev server and the worker share two cores with the tests
WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Need:
    """What a call must be about: the appraisal of `appraised` at `step`, its deadlines past (`overdue`: it escalated
    once), or in a real cycle at calibration (`calibrating`, the appraisal reviewed and waiting for it)."""

    appraised: Appraised
    step: Step = Step.SKP_DRAFTING
    overdue: bool = False
    calibrating: bool = False


@dataclass(frozen=True)
class Target:
    """What a call is about: an appraisal (cycle and NIP), a cycle, or an instansi."""

    instansi_code: str
    cycle_id: str = ""
    nip: str = ""
    cycle_workflow: bool = False  # the cycle is a real one, with its workflow

    @property
    def workflow_ids(self) -> tuple[str, ...]:
        """The workflows whose history a refused call about this target must leave alone."""
        found = (appraisal_workflow_id(self.cycle_id, self.nip),) if self.nip else ()
        return (*found, cycle_workflow_id(self.cycle_id)) if self.cycle_workflow else found


class AppraisalPool:
    """Targets in the state a Need names: `shared` ones, which refused calls must leave untouched (and allowed calls
    that change nothing another cell needs may use), and `fresh` ones that an allowed call may move on (prepared
    ahead with `prepare`, or started when asked for)."""

    def __init__(self, client: Client, uow_factory: UowFactory, engine: Engine, task_queue: str, tag: str) -> None:
        self._client, self._uow_factory, self._engine = client, uow_factory, engine
        self._task_queue, self._tag = task_queue, tag
        self._shared: dict[Need, asyncio.Future[Target]] = {}
        self._spare: dict[Need, list[Target]] = defaultdict(list)
        self._slots = asyncio.Semaphore(STARTS_AT_ONCE)
        self._started: list[str] = []
        self._held: dict[Target, asyncio.Future[str]] = {}

    async def prepare(self, shared: list[Need], fresh: list[Need]) -> None:
        """Start, all at once, what the tests will ask for."""

        async def spare(need: Need) -> None:
            self._spare[need].append(await self.start(need))

        await asyncio.gather(*(self.shared(need) for need in shared), *(spare(need) for need in fresh))

    async def shared(self, need: Need) -> Target:
        if need not in self._shared:
            self._shared[need] = asyncio.ensure_future(self.start(need))
        return await self._shared[need]

    async def fresh(self, need: Need) -> Target:
        spare = self._spare[need]
        return spare.pop() if spare else await self.start(need)

    def handle(self, target: Target) -> Handle:
        return appraisal_handle(self._client, target.cycle_id, target.nip)

    async def state(self, target: Target) -> AppraisalState:
        state: AppraisalState = await self.handle(target).query(AppraisalWorkflow.state)
        return state

    async def cycle_state(self, target: Target) -> CycleState:
        state: CycleState = await cycle_handle(self._client, target.cycle_id).query(CycleWorkflow.state)
        return state

    async def start(self, need: Need) -> Target:
        return await (self._start_cycle(need) if need.calibrating else self._start_appraisal(need))

    def new_cycle_id(self, what: str) -> str:
        return f"{self._tag}-{what}-{uuid.uuid4().hex[:8]}"

    def cycle_of_instansi_b(self) -> str:
        """A cycle of instansi B, registered only (no workflow): what a page or call of instansi A must not find."""
        cycle_id = self.new_cycle_id("lain")
        record = CycleRecord(
            cycle_id=cycle_id,
            instansi_code=INSTANSI_B,
            period=PERIOD,
            deadlines=deadlines(datetime.now(UTC)),
            policy_version=AppraisalPolicy().version,
        )
        with self._uow_factory() as uow:
            uow.cycles.register(record)
            uow.commit()
        return cycle_id

    async def _start_appraisal(self, need: Need) -> Target:
        """A new appraisal of `need.appraised`, in a cycle of its own, brought to `need.step`."""
        async with self._slots:
            now = datetime.now(UTC)
            cycle_id = self.new_cycle_id(need.step.value.replace("_", "-"))
            schedule = deadlines(now, overdue=need.overdue)
            input = appraisal_input(need.appraised, cycle_id, schedule)
            with self._uow_factory() as uow:
                uow.cycles.register(
                    CycleRecord(
                        cycle_id=cycle_id,
                        instansi_code=need.appraised.instansi_code,
                        period=PERIOD,
                        deadlines=schedule,
                        policy_version=AppraisalPolicy().version,
                    )
                )
                uow.commit()
            worklist.enrol(self._uow_factory, [input])
            self._started.append(appraisal_workflow_id(cycle_id, need.appraised.nip))
            handle = await start_appraisal(self._client, input, task_queue=self._task_queue)
            await self._bring(handle, need.appraised, need.step)
            await self.quiet(cycle_id)
            return Target(instansi_code=need.appraised.instansi_code, cycle_id=cycle_id, nip=need.appraised.nip)

    async def _start_cycle(self, need: Need) -> Target:
        """A real cycle of the instansi a month old, at calibration, with `need.appraised` reviewed in it and the
        pimpinan's proposal stored."""
        async with self._slots:
            appraised, now = need.appraised, datetime.now(UTC)
            cycle_id = self.new_cycle_id("kalibrasi")
            order = StartOrder(
                instansi_code=appraised.instansi_code, period=PERIOD, cycle_id=cycle_id, calendar=past_calendar(now)
            )
            started = await start_from_grants(
                self._client, self._uow_factory, order, task_queue=self._task_queue, by=OPERATOR, now=now
            )
            self._started.append(cycle_workflow_id(cycle_id))
            target = Target(appraised.instansi_code, cycle_id, appraised.nip, cycle_workflow=True)
            await until(lambda: self._phase_is(target, CyclePhase.CALIBRATING), f"cycle {cycle_id} at calibration")
            state = await self.cycle_state(target)
            self._started += [appraisal_workflow_id(cycle_id, nip) for nip in await self._enrolled(cycle_id)]
            assert state.enrolled > 0, state
            await self._bring(self.handle(target), appraised, Step.AWAITING_CALIBRATION)
            pimpinan = next(nip for nip, role in GRANTED[appraised.instansi_code].items() if role is Role.PIMPINAN)
            await cycle_actions.propose(
                self._client, cycle_id, pimpinan, ProposalBody(predikat_organisasi=OrgPredicate.BAIK), None
            )
            assert started.officials.pimpinan == [pimpinan]
            await self.quiet(cycle_id)
            return target

    async def follow(self, cycle: Target) -> None:
        """A cycle someone started (through the API): wait until its enrolment has ended and its steps are quiet,
        and end it with the others."""
        self._started.append(cycle_workflow_id(cycle.cycle_id))

        async def enrolled() -> bool:
            return (await self.cycle_state(cycle)).phase is not CyclePhase.ENROLLING

        await until(enrolled, f"the enrolment of {cycle.cycle_id}")
        self._started += [appraisal_workflow_id(cycle.cycle_id, nip) for nip in await self._enrolled(cycle.cycle_id)]
        await self.quiet(cycle.cycle_id)

    async def _phase_is(self, target: Target, phase: CyclePhase) -> bool:
        return (await self.cycle_state(target)).phase is phase

    async def _enrolled(self, cycle_id: str) -> list[str]:
        def read() -> list[str]:
            with self._engine.connect() as connection:
                rows = connection.execute(select(WorklistRow.employee_nip).where(WorklistRow.cycle_id == cycle_id))
                return [str(nip) for nip in rows.scalars()]

        return await asyncio.to_thread(read)

    async def quiet(self, cycle_id: str) -> None:
        """Wait until nothing of the cycle is under way: every step whose deadline has passed has escalated (written
        its notice), and no workflow of the cycle has an activity or a workflow task pending. Then no timer of it is
        due for weeks, and nothing is written, in the database or a history, behind the tests' backs."""

        def late_and_silent() -> int:
            row = WorklistRow
            late = (row.cycle_id == cycle_id, row.deadline < datetime.now(UTC), row.overdue.is_(False))
            with self._engine.connect() as connection:
                found = connection.execute(select(func.count()).select_from(row).where(*late)).scalar_one()
            return int(found)

        async def escalated() -> bool:
            return await asyncio.to_thread(late_and_silent) == 0

        await until(escalated, f"the overdue steps of {cycle_id} escalated")
        workflow_ids = [cycle_workflow_id(cycle_id)]
        workflow_ids += [appraisal_workflow_id(cycle_id, nip) for nip in await self._enrolled(cycle_id)]

        async def idle() -> bool:
            for workflow_id in workflow_ids:
                try:
                    described = (await self._client.get_workflow_handle(workflow_id).describe()).raw_description
                except RPCError as error:
                    if error.status is RPCStatusCode.NOT_FOUND:
                        continue  # a cycle of one appraisal has no workflow of its own
                    raise
                if described.pending_activities or described.HasField("pending_workflow_task"):
                    return False
            return True

        await until(idle, f"the workflows of {cycle_id} idle")

    async def open_plan(self, target: Target, *, sent: bool = False) -> str:
        """The development plan of the target's employee, ended Kurang, started as the appraisal starts it at its end
        (the appraisal itself stays where it is: the plan does not look at it), its row written; `sent`: with the
        penilai's plan sent for the employee's agreement. Its workflow id; terminated with the rest by `close`."""
        appraised = BY_NIP[target.nip]
        handle = await self._client.start_workflow(
            DevelopmentPlanWorkflow.run,
            DevelopmentPlanInput(
                appraisal_workflow_id=appraisal_workflow_id(target.cycle_id, target.nip),
                cycle_id=target.cycle_id,
                instansi_code=appraised.instansi_code,
                period=PERIOD,
                unit_code=appraised.unit_code,
                employee_nip=appraised.nip,
                employee_name=appraised.name,
                penilai_nip=appraised.penilai_nip,
                atasan_nip=appraised.atasan_nip,
                superiors=list(appraised.superiors),
                supervision_team=list(appraised.supervision_team),
                predicate=Predicate.KURANG,
            ),
            id=plan_workflow_id(target.cycle_id, target.nip),
            task_queue=self._task_queue,
        )
        self._started.append(handle.id)

        async def stored() -> bool:
            with self._uow_factory() as uow:
                return uow.plans.get(handle.id) is not None

        await until(stored, f"the plan's row {handle.id}")
        if sent:
            plan = DevelopmentPlan(
                coaching="Bimbingan dua mingguan oleh pejabat penilai",
                competency="Manajemen waktu layanan",
                training="Pelatihan pelayanan prima",
                target_date=date.today() + timedelta(days=90),
            )
            penilai = Actor(nip=appraised.penilai_nip, role=Role.PENILAI)
            await handle.execute_update(DevelopmentPlanWorkflow.send_plan, SendPlan(actor=penilai, plan=plan))
        return handle.id

    async def held_periods(self, target: Target) -> None:
        """`open_periods(target, held=True)` once per target, whoever asks first."""
        if target not in self._held:
            self._held[target] = asyncio.ensure_future(self.open_periods(target, held=True))
        await self._held[target]

    async def open_periods(self, target: Target, *, realised: bool = False, held: bool = False) -> str:
        """The target's periodic evaluation with its first period ended yesterday, so open for the employee's
        realisation (the appraisal itself stays where it is); `realised`: recorded, waiting on the penilai's dialog;
        `held`: the dialog held too, the period done.
        Its workflow id; terminated with the rest by `close`."""
        appraised = BY_NIP[target.nip]
        yesterday = datetime.now(timezone(timedelta(hours=7))).date() - timedelta(days=1)
        window = PeriodWindow(number=1, label="Triwulan I", first_day=yesterday.replace(day=1), last_day=yesterday)
        handle = await self._client.start_workflow(
            PeriodicEvaluationWorkflow.run,
            PeriodicInput(
                appraisal_workflow_id=appraisal_workflow_id(target.cycle_id, target.nip),
                cycle_id=target.cycle_id,
                instansi_code=appraised.instansi_code,
                unit_code=appraised.unit_code,
                employee_nip=appraised.nip,
                employee_name=appraised.name,
                penilai_nip=appraised.penilai_nip,
                atasan_nip=appraised.atasan_nip,
                superiors=list(appraised.superiors),
                supervision_team=list(appraised.supervision_team),
                windows=[window],
                indicator_ids=[i.id for rhk in skp_of(appraised.nip).rhk for i in rhk.indicators],
                utc_offset_hours=7,
            ),
            id=periodic_workflow_id(target.cycle_id, target.nip),
            task_queue=self._task_queue,
        )
        self._started.append(handle.id)

        async def opened() -> bool:
            with self._uow_factory() as uow:
                return bool(uow.periods.of_appraisal(target.cycle_id, target.nip))

        await until(opened, f"the first period of {handle.id}")
        if realised or held:
            employee = Actor(nip=appraised.nip, role=Role.PEGAWAI)
            recorded = RecordPeriodRealisation(actor=employee, number=1, realisations=realisations())
            await handle.execute_update(PeriodicEvaluationWorkflow.record_realisation, recorded)
        if held:
            penilai = Actor(nip=appraised.penilai_nip, role=Role.PENILAI)
            dialog = HoldDialog(actor=penilai, number=1, feedback="Capaian triwulan I sesuai rencana")
            await handle.execute_update(PeriodicEvaluationWorkflow.hold_dialog, dialog)
        return handle.id

    async def bring(self, target: Target, appraised: Appraised, step: Step) -> None:
        """Move the target appraisal, at the first step, on to `step`, each step by its own party."""
        await self._bring(self.handle(target), appraised, step)

    async def _bring(self, handle: Handle, appraised: Appraised, step: Step) -> None:
        employee = Actor(nip=appraised.nip, role=Role.PEGAWAI)
        penilai = Actor(nip=appraised.penilai_nip, role=Role.PENILAI)
        for current in PATH[: PATH.index(step)]:
            if current is Step.SKP_DRAFTING:
                await handle.execute_update(
                    AppraisalWorkflow.submit_skp, SubmitSkp(actor=employee, skp=skp_of(appraised.nip))
                )
            elif current is Step.SKP_APPROVAL:
                await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=penilai))
            elif current is Step.SELF_ASSESSMENT:
                await handle.execute_update(
                    AppraisalWorkflow.submit_self_assessment,
                    SubmitSelfAssessment(actor=employee, realisations=realisations()),
                )
            elif current is Step.SUPERVISOR_REVIEW:
                await handle.execute_update(
                    AppraisalWorkflow.submit_review,
                    SubmitReview(actor=penilai, perilaku=Expectation.MEETS, hasil_kerja=Expectation.MEETS),
                )
            elif current is Step.AWAITING_CALIBRATION:
                await self._calibrate(handle, appraised)
            elif current is Step.SIGN_OFF:
                await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=penilai))
            elif current is Step.OBJECTION_WINDOW:
                objection = FileObjection(actor=employee, reason=REASON)
                await handle.execute_update(AppraisalWorkflow.file_objection, objection)
        state = await handle.query(AppraisalWorkflow.state)
        assert state.step is step, f"{handle.id} is at {state.step}, not {step}"

    async def _calibrate(self, handle: Handle, appraised: Appraised) -> None:
        """The calibration result by the pengelola kinerja, with a reason: how an appraisal of a cycle without its
        workflow (and so without a locked decision to read) leaves calibration."""
        pengelola = Actor(nip=appraised.pengelola_kinerja[0], role=Role.PENGELOLA_KINERJA)
        await handle.execute_update(
            AppraisalWorkflow.apply_calibration,
            ApplyCalibration(actor=pengelola, predicate=Predicate.BAIK, reason=REASON),
        )

    async def close(self) -> None:
        """Terminate what is still running: its timers would otherwise wait on the shared server for a worker that
        is gone."""

        async def end(workflow_id: str) -> None:
            with contextlib.suppress(RPCError):
                await self._client.get_workflow_handle(workflow_id).terminate("web test finished")

        await asyncio.gather(*(end(workflow_id) for workflow_id in self._started))


async def until(probe: Callable[[], Awaitable[bool]], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Poll `probe` until it is true, within `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await probe():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


def later_than(deadline: datetime | None) -> datetime:
    """A deadline an extension may set: after the current one and after now."""
    return max(deadline or datetime.now(UTC), datetime.now(UTC)) + timedelta(days=7)
