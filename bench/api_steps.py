"""A human step through the API against the same Update sent straight with the Temporal client, and the floor.

Every appraisal measured here takes two steps: the employee submits the SKP (sent straight, untimed), then the
penilai approves it, timed, either as `POST /api/v1/cycles/{cycle}/appraisals/{nip}/steps/skp-approve` with the
penilai's bearer token (`api`) or as `approve_skp` with the Temporal client (`direct`). The floor's workflows take a
first Update untimed and the second timed, so all three time an Update that finds its workflow just touched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx
from temporalio.client import Client

import temporal_client
from bench import office
from bench.floor_workflow import FloorWorkflow, Ping
from bench.measure import UpdatePhase, update_phase
from bench.processes import Child
from bench.web_stack import tree_cpu_seconds
from domain.stages import Role
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import Actor, AppraisalInput, ApproveSkp, SubmitSkp

ARMS = ("floor", "direct", "api")


@dataclass(frozen=True)
class Arm:
    """One side's approvals at one concurrency: latencies, and the CPU each process spent meanwhile (seconds)."""

    phase: UpdatePhase
    cpu: dict[str, float]

    def __add__(self, other: Arm) -> Arm:
        names = self.cpu.keys() | other.cpu.keys()
        return Arm(self.phase + other.phase, {n: self.cpu.get(n, 0.0) + other.cpu.get(n, 0.0) for n in names})


@dataclass(frozen=True)
class Level:
    concurrency: int
    arms: dict[str, Arm]  # floor, direct, api


class Meter:
    """CPU of the server, both workers and the web service (its whole process tree) from construction on."""

    def __init__(self, processes: dict[str, Child]) -> None:
        self._processes = processes
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        return {name: tree_cpu_seconds(child.pid) for name, child in self._processes.items()}

    def spent(self) -> dict[str, float]:
        now = self._read()
        return {name: now[name] - self._start[name] for name in now}


@dataclass(frozen=True)
class Sides:
    """What each side needs: the Temporal client, the web service and a token per penilai."""

    client: Client
    http: httpx.AsyncClient
    tokens: dict[str, str]  # penilai NIP -> bearer token


def _submit(input: AppraisalInput) -> SubmitSkp:
    actor = Actor(nip=input.employee_nip, role=Role.PEGAWAI)
    return SubmitSkp(actor=actor, skp=office.skp(input.employee_nip, input.period))


async def _direct(sides: Sides, input: AppraisalInput, samples: list[float]) -> None:
    handle = temporal_client.appraisal_handle(sides.client, input.cycle_id, input.employee_nip)
    await handle.execute_update(AppraisalWorkflow.submit_skp, _submit(input))
    approve = ApproveSkp(actor=Actor(nip=input.penilai_nip, role=Role.PENILAI))
    began = time.perf_counter()
    await handle.execute_update(AppraisalWorkflow.approve_skp, approve)
    samples.append(time.perf_counter() - began)


async def _api(sides: Sides, input: AppraisalInput, samples: list[float]) -> None:
    handle = temporal_client.appraisal_handle(sides.client, input.cycle_id, input.employee_nip)
    await handle.execute_update(AppraisalWorkflow.submit_skp, _submit(input))
    path = f"/api/v1/cycles/{input.cycle_id}/appraisals/{input.employee_nip}/steps/skp-approve"
    headers = {"Authorization": f"Bearer {sides.tokens[input.penilai_nip]}", "Idempotency-Key": uuid.uuid4().hex}
    began = time.perf_counter()
    response = await sides.http.post(path, json={"catatan": ""}, headers=headers)
    samples.append(time.perf_counter() - began)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:500]}")


async def _floor(sides: Sides, workflow_id: str, samples: list[float]) -> None:
    handle = sides.client.get_workflow_handle_for(FloorWorkflow.run, workflow_id)
    await handle.execute_update(FloorWorkflow.ping, Ping(seq=1))
    began = time.perf_counter()
    await handle.execute_update(FloorWorkflow.ping, Ping(seq=2))
    samples.append(time.perf_counter() - began)


async def _metered(
    processes: dict[str, Child], items: Sequence[object], concurrency: int, lane: Callable[..., Awaitable[None]]
) -> Arm:
    meter = Meter(processes)
    phase = await update_phase(items, concurrency, lane)
    return Arm(phase, meter.spent())


async def warm_up(
    sides: Sides, floor_ids: Sequence[str], direct: Sequence[AppraisalInput], api: Sequence[AppraisalInput]
) -> None:
    """Untimed: each path's code loaded, connections made (the web service's to Temporal and the database)."""
    ignored: list[float] = []
    for workflow_id in floor_ids:
        await _floor(sides, workflow_id, ignored)
    for input in direct:
        await _direct(sides, input, ignored)
    for input in api:
        await _api(sides, input, ignored)


async def level(
    sides: Sides,
    processes: dict[str, Child],
    concurrency: int,
    floor_ids: Sequence[str],
    direct: Sequence[AppraisalInput],
    api: Sequence[AppraisalInput],
) -> Level:
    """floor, direct, api, api, direct, floor (each a half): drift in the machine's load weighs on all three alike."""

    async def floor_part(ids: Sequence[str]) -> Arm:
        return await _metered(processes, ids, concurrency, lambda w, s: _floor(sides, w, s))

    async def direct_part(inputs: Sequence[AppraisalInput]) -> Arm:
        return await _metered(processes, inputs, concurrency, lambda i, s: _direct(sides, i, s))

    async def api_part(inputs: Sequence[AppraisalInput]) -> Arm:
        return await _metered(processes, inputs, concurrency, lambda i, s: _api(sides, i, s))

    f, d, a = len(floor_ids) // 2, len(direct) // 2, len(api) // 2
    floor_a = await floor_part(floor_ids[:f])
    direct_a = await direct_part(direct[:d])
    api_a = await api_part(api[:a])
    api_b = await api_part(api[a:])
    direct_b = await direct_part(direct[d:])
    floor_b = await floor_part(floor_ids[f:])
    return Level(concurrency, {"floor": floor_a + floor_b, "direct": direct_a + direct_b, "api": api_a + api_b})
