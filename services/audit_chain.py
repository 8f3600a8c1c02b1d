"""Verifying the audit log's hash chains (domain.audit_chain) and anchoring their heads outside the database.

`kinerja audit verifikasi` calls `verify`, then checks each cycle's anchors (read from the cycle workflow's history by
`cycle_anchors`) with `check_anchors`. The cycle workflow takes an anchor at each phase (`anchor_now`, through the
`cycle.anchor_audit` activity) and its closing report carries one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import takewhile

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from domain.audit_chain import (
    CHAINS,
    AuditAnchor,
    BreakKind,
    ChainBreak,
    ChainHead,
    SealedEntry,
    anchor_breaks,
    first_break,
)
from persistence.ports import AbstractUnitOfWork
from workflows.cycle_contracts import ANCHOR_ACTIVITY, CycleInput, cycle_workflow_id

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
UNSEALED_SHOWN = 20  # rows without a seal listed by name; more are counted


@dataclass(frozen=True)
class ChainReport:
    entries: int  # entries walked over every chain
    breaks: list[ChainBreak] = field(default_factory=list)  # the first break of each broken chain, unsealed rows

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(uow_factory: UnitOfWorkFactory) -> ChainReport:
    """Walk every chain up to the head it had when the walk began (entries appended meanwhile are the next walk's),
    then report rows beyond the heads read again at the end, and rows without a seal."""
    with uow_factory() as uow:
        heads = {head.chain: head for head in uow.audit.heads()}
    walked, breaks = 0, []
    for chain in range(CHAINS):
        head = heads.get(chain)
        with uow_factory() as uow:
            count, found = first_break(chain, _through(uow.audit.chain_entries(chain), head), head)
        walked += count
        if found is not None:
            breaks.append(found)
    broken = {found.chain for found in breaks}
    with uow_factory() as uow:
        # A row past its chain's head was written without moving the head: not by the application, whose append
        # moves it in the same transaction. The heads are read again after the rows, so that a row appended while
        # this runs (committed with its head before the rows were read) is not taken for one.
        now = uow.audit.heads()
        past = {
            head.chain: next(iter(uow.audit.chain_entries(head.chain, after=head.seq, batch=1)), None) for head in now
        }
        later = {head.chain: head.seq for head in uow.audit.heads()}
        unsealed = uow.audit.unsealed(limit=UNSEALED_SHOWN + 1)
    for chain, row in past.items():
        if row is not None and chain not in broken and (row.seq or 0) > later.get(chain, 0):
            breaks.append(_inserted(row, f"rantai {chain} entri ke-{row.seq} melewati kepala rantai"))
    for row in unsealed[:UNSEALED_SHOWN]:
        breaks.append(_inserted(row, f"entri id {row.id} tanpa segel rantai: ditulis di luar aplikasi"))
    if len(unsealed) > UNSEALED_SHOWN:
        breaks.append(ChainBreak(None, None, None, BreakKind.INSERTED, "dan entri lain tanpa segel"))
    return ChainReport(entries=walked, breaks=breaks)


def _through(rows: Iterator[SealedEntry], head: ChainHead | None) -> Iterator[SealedEntry]:
    upto = head.seq if head is not None else 0
    return takewhile(lambda row: (row.seq or 0) <= upto, rows)


def _inserted(row: SealedEntry, message: str) -> ChainBreak:
    return ChainBreak(row.chain, row.seq, row.id, BreakKind.INSERTED, message)


def anchor_now(uow_factory: UnitOfWorkFactory, label: str) -> AuditAnchor:
    """The chains' heads now, to be kept outside the database."""
    with uow_factory() as uow:
        return AuditAnchor(taken_at=datetime.now(UTC), heads=uow.audit.heads(), label=label)


def check_anchors(uow_factory: UnitOfWorkFactory, anchors: Iterable[AuditAnchor]) -> list[ChainBreak]:
    """Where the database no longer holds what an anchor recorded (an entry gone, or sealed differently: the chain
    was rewritten after the anchor was taken)."""
    anchors = list(anchors)
    places = {(head.chain, head.seq) for anchor in anchors for head in anchor.heads if head.seq}
    with uow_factory() as uow:
        stored = uow.audit.hashes_at(places)
    return [found for anchor in anchors for found in anchor_breaks(anchor, stored)]


async def cycle_anchors(client: Client, cycle_id: str) -> list[AuditAnchor]:
    """The anchors in the cycle workflow's history: those carried into its latest run, and those its activities
    returned in it (a cycle that never anchored, started before this was added, has none)."""
    handle = client.get_workflow_handle(cycle_workflow_id(cycle_id))
    converter = client.data_converter
    anchors: list[AuditAnchor] = []
    anchor_activities: set[int] = set()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            [started] = await converter.decode(payloads, [CycleInput])
            if isinstance(started, CycleInput) and started.carried is not None:
                anchors.extend(started.carried.anchors)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            if event.activity_task_scheduled_event_attributes.activity_type.name == ANCHOR_ACTIVITY:
                anchor_activities.add(event.event_id)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed = event.activity_task_completed_event_attributes
            if completed.scheduled_event_id in anchor_activities:
                [anchor] = await converter.decode(completed.result.payloads, [AuditAnchor])
                anchors.append(anchor)
    return anchors


def describe(breaks: Iterable[ChainBreak]) -> Iterator[str]:
    for found in breaks:
        yield f"{found.kind.value}: {found.message}"
