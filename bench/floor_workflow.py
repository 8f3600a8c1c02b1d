"""The floor: the least a Temporal workflow does with an Update, measured on the same server as Kinerja.

Stdlib and temporalio only, so the sandbox imports nothing of Kinerja and the floor worker's memory is Temporal's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow

FLOOR_WORKFLOW = "BenchFloor"


@dataclass(frozen=True)
class FloorInput:
    updates: int = 2  # returns after this many Updates: an appraisal's first two steps are submit + approve


@dataclass(frozen=True)
class Ping:
    seq: int
    # One no-op activity in the handler: a regular one, or a local one, the shape of a Kinerja step (a person's step
    # was written by a local activity before the Update was answered, up to 0.5; since 0.6 by a regular one).
    with_activity: bool = False
    local_activity: bool = False


@activity.defn(name="bench.noop")
async def noop(seq: int) -> int:
    return seq


@workflow.defn(name=FLOOR_WORKFLOW)
class FloorWorkflow:
    def __init__(self) -> None:
        self._done = 0

    @workflow.run
    async def run(self, input: FloorInput) -> int:
        await workflow.wait_condition(lambda: self._done >= input.updates)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._done

    @workflow.update
    async def ping(self, ping: Ping) -> int:
        if ping.with_activity:
            await workflow.execute_activity(noop, ping.seq, start_to_close_timeout=timedelta(seconds=30))
        if ping.local_activity:
            await workflow.execute_local_activity(noop, ping.seq, start_to_close_timeout=timedelta(seconds=30))
        self._done += 1
        return self._done
