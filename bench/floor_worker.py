"""The floor's worker, with the same limits as Kinerja's (settings.TemporalSettings) so only the code differs.

    python -m bench.floor_worker ADDRESS TASK_QUEUE     # prints "floor worker started", stops on SIGTERM/SIGINT

The benchmark runs it as a process of its own, like Kinerja's worker, so both are measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from temporalio.client import Client

# The SDK's own pydantic converter: the floor is bare Temporal, and imports nothing of Kinerja so its memory stays
# Temporal's. (Kinerja's, payloads.py, is the same with one type-adapter cache per process.)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.floor_workflow import FloorWorkflow, noop
from settings import TemporalSettings

READY_LINE = "floor worker started"


def build_floor_worker(client: Client, task_queue: str) -> Worker:
    limits = TemporalSettings()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[FloorWorkflow],
        activities=[noop],
        max_cached_workflows=limits.max_cached_workflows,
        max_concurrent_activities=limits.max_concurrent_activities,
        max_concurrent_workflow_tasks=limits.max_concurrent_workflow_tasks,
    )


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with build_floor_worker(client, task_queue):
        print(READY_LINE, flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("address")
    parser.add_argument("task_queue")
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue))


if __name__ == "__main__":
    main()
