"""Appraisals at the step a test needs, started on the dev server and moved on by their own parties.

The API is what the web tests examine, so the appraisals are brought to a step the way the CLI used to: Updates sent
straight with the Temporal client, each by the person the workflow expects (the calibration result, which no person
sends, arrives as the cycle's workflow sends it). Every appraisal has a cycle of its own (registered in the
database, as `siklus mulai` does), so one employee can have as many appraisals as the tests spend.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from domain.policy import AppraisalPolicy
from domain.ratings import Expectation, Predicate
from domain.stages import Role, Step
from persistence.ports import AbstractUnitOfWork, CycleRecord
from services import worklist
from temporal_client import appraisal_handle, start_appraisal
from tests.web.office import PERIOD, Appraised, appraisal_input, deadlines, realisations, skp_of
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Actor,
    AppraisalState,
    ApproveSkp,
    CalibrationDecision,
    FileObjection,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    appraisal_workflow_id,
)

UowFactory = Callable[[], AbstractUnitOfWork]
Handle = WorkflowHandle[AppraisalWorkflow, AppraisalState]

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


@dataclass(frozen=True)
class Target:
    """What a call is about: an appraisal (cycle and NIP), a cycle, or an instansi."""

    instansi_code: str
    cycle_id: str = ""
    nip: str = ""

    @property
    def workflow_id(self) -> str:
        return appraisal_workflow_id(self.cycle_id, self.nip) if self.nip else ""


class AppraisalPool:
    """Appraisals at a given step: `shared` ones that refused calls must leave untouched, and `fresh` ones that an
    allowed call may move on (prepared ahead with `prepare`, or started when asked for)."""

    def __init__(self, client: Client, uow_factory: UowFactory, task_queue: str, tag: str) -> None:
        self._client, self._uow_factory, self._task_queue, self._tag = client, uow_factory, task_queue, tag
        self._shared: dict[tuple[Step, str], asyncio.Future[Target]] = {}
        self._spare: dict[tuple[Step, str], list[Target]] = defaultdict(list)
        self._slots = asyncio.Semaphore(STARTS_AT_ONCE)
        self._started: list[Target] = []

    async def prepare(self, shared: list[tuple[Step, Appraised]], fresh: list[tuple[Step, Appraised]]) -> None:
        """Start, all at once, the appraisals the tests will ask for."""

        async def spare(step: Step, appraised: Appraised) -> None:
            self._spare[step, appraised.nip].append(await self.start(step, appraised))

        await asyncio.gather(
            *(self.shared(step, appraised) for step, appraised in shared),
            *(spare(step, appraised) for step, appraised in fresh),
        )

    async def shared(self, step: Step, appraised: Appraised) -> Target:
        """The appraisal of `appraised` at `step` that every refused call is sent to (started on first use)."""
        key = step, appraised.nip
        if key not in self._shared:
            self._shared[key] = asyncio.ensure_future(self.start(step, appraised))
        return await self._shared[key]

    async def fresh(self, step: Step, appraised: Appraised) -> Target:
        """An appraisal of `appraised` at `step` that nobody else uses: an allowed call may move it on."""
        spare = self._spare[step, appraised.nip]
        return spare.pop() if spare else await self.start(step, appraised)

    def handle(self, target: Target) -> Handle:
        return appraisal_handle(self._client, target.cycle_id, target.nip)

    async def state(self, target: Target) -> AppraisalState:
        state: AppraisalState = await self.handle(target).query(AppraisalWorkflow.state)
        return state

    async def start(self, step: Step, appraised: Appraised) -> Target:
        """A new appraisal of `appraised`, in a cycle of its own, brought to `step`."""
        async with self._slots:
            now = datetime.now(UTC)
            cycle_id = f"{self._tag}-{step.value.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
            input = appraisal_input(appraised, cycle_id, now)
            with self._uow_factory() as uow:
                uow.cycles.register(
                    CycleRecord(
                        cycle_id=cycle_id,
                        instansi_code=appraised.instansi_code,
                        period=PERIOD,
                        deadlines=deadlines(now),
                        policy_version=AppraisalPolicy().version,
                    )
                )
                uow.commit()
            worklist.enrol(self._uow_factory, [input])
            handle = await start_appraisal(self._client, input, task_queue=self._task_queue)
            target = Target(instansi_code=appraised.instansi_code, cycle_id=cycle_id, nip=appraised.nip)
            self._started.append(target)
            await self._bring(handle, appraised, step)
            return target

    async def close(self) -> None:
        """Terminate what is still running: its timers would otherwise wait on the shared server for a worker that
        is gone."""

        async def end(target: Target) -> None:
            with contextlib.suppress(RPCError):
                await self.handle(target).terminate("web test finished")

        await asyncio.gather(*(end(target) for target in self._started))

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
                await self._calibrate(handle)
            elif current is Step.SIGN_OFF:
                await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=penilai))
            elif current is Step.OBJECTION_WINDOW:
                await handle.execute_update(
                    AppraisalWorkflow.file_objection, FileObjection(actor=employee, reason=REASON)
                )
        state = await handle.query(AppraisalWorkflow.state)
        assert state.step is step, f"{handle.id} is at {state.step}, not {step}"

    async def _calibrate(self, handle: Handle) -> None:
        """The cycle's calibration result, as the cycle workflow delivers it; then wait until it is applied."""
        await handle.signal(
            AppraisalWorkflow.calibration_decided,
            CalibrationDecision(calibration_id=f"KAL-{handle.id[-8:]}", predicate=Predicate.BAIK),
        )
        deadline = asyncio.get_running_loop().time() + 30
        while (await handle.query(AppraisalWorkflow.state)).step is not Step.SIGN_OFF:
            assert asyncio.get_running_loop().time() < deadline, f"{handle.id}: calibration not applied in 30 s"
            await asyncio.sleep(0.05)


def later_than(deadline: datetime | None) -> datetime:
    """A deadline an extension may set: after the current one and after now."""
    return max(deadline or datetime.now(UTC), datetime.now(UTC)) + timedelta(days=7)
