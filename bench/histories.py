"""History sizes: events per workflow from describe (cheap) and the full history of a few (events, bytes, types)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from bench.measure import run_pool


@dataclass(frozen=True)
class HistoryStats:
    events: int
    bytes: int
    by_type: dict[str, int] = field(default_factory=dict)  # events of each type, most first
    bytes_by_type: dict[str, int] = field(default_factory=dict)  # where the bytes are, most first


def stats(history: WorkflowHistory) -> HistoryStats:
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for event in history.events:
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
        counts[name] += 1
        sizes[name] += event.ByteSize()
    return HistoryStats(
        events=len(history.events),
        bytes=sum(sizes.values()),
        by_type=dict(counts.most_common()),
        bytes_by_type=dict(sizes.most_common()),
    )


async def lengths(client: Client, workflow_ids: Sequence[str], concurrency: int) -> dict[str, int]:
    """History length of each workflow (its latest run), as the server reports it."""
    found: dict[str, int] = {}

    async def describe(workflow_id: str) -> None:
        description = await client.get_workflow_handle(workflow_id).describe()
        found[workflow_id] = description.raw_description.workflow_execution_info.history_length

    await run_pool(workflow_ids, concurrency, describe)
    return found
