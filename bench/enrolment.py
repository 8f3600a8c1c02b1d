"""How a cycle's employees get their appraisals: the step the benchmark times as "enrolment".

An enrolment is any `Enrol`: it plans the cycle and starts (or has started) one appraisal per planned employee, and
returns the plan so the later phases know whom to drive. `--enrolment` picks one of ENROLMENTS:

- `per-employee`: `plan_cycle`, then a `temporal_client.start_appraisal` per employee from the client.
- `cycle-workflow`: start the cycle workflow (workflows/cycle.py), which enrols page by page from an activity in the
  worker; done when the cycle leaves its enrolling phase.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from temporalio.client import Client

import temporal_client
from bench.measure import run_pool
from domain.calendar import resolve
from persistence.ports import AbstractUnitOfWork
from services import worklist
from services.appraisals import CycleRequest, plan_cycle
from workflows.contracts import AppraisalInput
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CycleInput, CyclePhase

UowFactory = Callable[[], AbstractUnitOfWork]
CYCLE_POLL = 0.25  # seconds between looks at the cycle's progress


@dataclass(frozen=True)
class Enrolment:
    inputs: list[AppraisalInput]  # one per appraisal started, in roster order
    skipped: int  # employees plan_cycle could not enrol (the kepala: no superior in the instansi)
    plan_seconds: float
    seconds: float  # planning included: the time from "start the cycle" to every appraisal started
    cycle_history: int | None = None  # events of the cycle workflow's longest run while enrolling (cycle-workflow)


class Enrol(Protocol):
    async def __call__(
        self, client: Client, uow_factory: UowFactory, request: CycleRequest, *, task_queue: str, concurrency: int
    ) -> Enrolment: ...


async def per_employee(
    client: Client, uow_factory: UowFactory, request: CycleRequest, *, task_queue: str, concurrency: int
) -> Enrolment:
    """`plan_cycle`, then `temporal_client.start_appraisal` for every input, `concurrency` at a time."""
    began = time.perf_counter()
    plan = await asyncio.to_thread(plan_cycle, uow_factory, request)
    await asyncio.to_thread(worklist.enrol, uow_factory, plan.inputs)  # as the cycle's enrolment does
    planned = time.perf_counter()

    async def start(input: AppraisalInput) -> None:
        await temporal_client.start_appraisal(client, input, task_queue=task_queue)

    await run_pool(plan.inputs, concurrency, start)
    return Enrolment(
        inputs=plan.inputs,
        skipped=len(plan.skipped),
        plan_seconds=planned - began,
        seconds=time.perf_counter() - began,
    )


async def cycle_workflow(
    client: Client, uow_factory: UowFactory, request: CycleRequest, *, task_queue: str, concurrency: int
) -> Enrolment:
    """The cycle workflow enrols on its own (its activity sets the concurrency, so `concurrency` is not used)."""
    began = time.perf_counter()
    input = await asyncio.to_thread(_cycle_input, uow_factory, request)
    handle = await temporal_client.start_cycle(client, input, task_queue=task_queue)
    while (state := await handle.query(CycleWorkflow.state)).phase is CyclePhase.ENROLLING:
        await asyncio.sleep(CYCLE_POLL)
    seconds = time.perf_counter() - began
    # Untimed: the plan the cycle enrolled from, so the later phases know whom to drive.
    plan = await asyncio.to_thread(plan_cycle, uow_factory, request.model_copy(update={"deadlines": input.deadlines}))
    if state.enrolled != plan.total:
        raise RuntimeError(f"the cycle enrolled {state.enrolled} appraisals, the plan has {plan.total}")
    return Enrolment(
        inputs=plan.inputs,
        skipped=state.skipped_count,
        plan_seconds=0.0,
        seconds=seconds,
        cycle_history=state.max_history,
    )


def _cycle_input(uow_factory: UowFactory, request: CycleRequest) -> CycleInput:
    with uow_factory() as uow:
        policy = uow.instansi.policy(request.instansi_code)
    return CycleInput(
        cycle_id=request.cycle_id,
        instansi_code=request.instansi_code,
        period=request.period,
        calendar=request.calendar,
        deadlines=request.deadlines or resolve(request.calendar, request.period, policy),
        supervision_team=request.supervision_team,
        pengelola_kinerja=request.pengelola_kinerja,
        # Who sets the organisation predicate at calibration, which a benchmark never reaches.
        pimpinan=request.supervision_team,
    )


ENROLMENTS: dict[str, Enrol] = {"per-employee": per_employee, "cycle-workflow": cycle_workflow}
