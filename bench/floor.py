"""The floor's phases: start rate, and Update round trips with and without one activity (regular or local)."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.client import Client

from bench.floor_workflow import FloorInput, FloorWorkflow, Ping
from bench.measure import UpdatePhase, run_pool, timed, update_phase


def workflow_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{index:06d}" for index in range(count)]


async def start_all(client: Client, task_queue: str, ids: Sequence[str], concurrency: int) -> float:
    """Start a floor workflow per id, `concurrency` at a time; returns the wall seconds."""

    async def start(workflow_id: str) -> None:
        await client.start_workflow(FloorWorkflow.run, FloorInput(), id=workflow_id, task_queue=task_queue)

    return await run_pool(ids, concurrency, start)


async def two_updates(
    client: Client, ids: Sequence[str], concurrency: int, *, with_activity: bool = False, local_activity: bool = False
) -> UpdatePhase:
    """Two Updates per workflow (the shape of submit + approve), each timed."""

    async def steps(workflow_id: str, samples: list[float]) -> None:
        handle = client.get_workflow_handle_for(FloorWorkflow.run, workflow_id)
        for seq in (1, 2):
            ping = Ping(seq=seq, with_activity=with_activity, local_activity=local_activity)
            await timed(samples, handle.execute_update(FloorWorkflow.ping, ping))

    return await update_phase(ids, concurrency, steps)
