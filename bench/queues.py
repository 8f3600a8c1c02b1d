"""Waiting for a task queue to drain, so one phase's leftover work does not slow the next phase's measurement.

Starting a workflow returns before a worker has run its first task; those tasks wait in the queue's backlog. The
server reports the backlog from stats it refreshes every few seconds, so this says "drained" up to ~5 s late: fine
for separating phases, too coarse to time anything with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench import histories

DRAIN_TIMEOUT = 600.0  # seconds, at least
MIN_DRAIN_RATE = 10.0  # first tasks per second below which a backlog is taken for a stuck worker
RECENT = 20  # of the workflows started last, how many must have run their first task
FIRST_TASK_DONE = 4  # events: started, and the first workflow task scheduled, started and completed
_KINDS = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)


async def backlog(client: Client, task_queue: str) -> int:
    total = 0
    for kind in _KINDS:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=kind,
                report_stats=True,
            )
        )
        total += response.stats.approximate_backlog_count
    return total


async def drain(client: Client, task_queue: str, last_started: Sequence[str], timeout: float | None = None) -> float:
    """Wait until the workflows started last have run their first task and no task waits in `task_queue` (the
    stats alone may still show the previous phase's empty queue); returns the seconds waited.

    The default timeout grows with the starts: at 100,000 the worker was ~50,000 first tasks behind when the last
    appraisal started (starts at ~55/s, first tasks at ~26/s), far more than a fixed 10 minutes drains."""
    if timeout is None:
        timeout = max(DRAIN_TIMEOUT, len(last_started) / MIN_DRAIN_RATE)
    loop = asyncio.get_running_loop()
    began = loop.time()
    recent = list(last_started[-RECENT:])
    while True:
        lengths = await histories.lengths(client, recent, len(recent) or 1)
        if all(length >= FIRST_TASK_DONE for length in lengths.values()):
            waiting = await backlog(client, task_queue)
            if waiting == 0:
                return loop.time() - began
        if loop.time() - began > timeout:
            raise RuntimeError(f"task queue {task_queue} has not drained after {timeout:.0f}s")
        await asyncio.sleep(0.5)
