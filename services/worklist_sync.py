"""Keeping the worklist in step with Temporal where no step of the appraisal writes it, through the Temporal client
given (visibility, read a page at a time):

- a running appraisal started before 0.4 keeps its step in search attributes and writes its entry only with its next
  step: `fill_from_visibility` gives it one now (its penilai from its state if it predates KinerjaPenilai);
- an appraisal an operator terminated or cancelled, or that failed or timed out, keeps an open entry nothing will
  close: `drop_ended` removes it, unless its latest run is running (a reset starts a new run under the same id) or
  the entry was written again meanwhile.

`kinerja sinkron-worklist` runs both; a cycle's closing report drops its own ended appraisals before it counts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.stages import Step
from domain.worklist import WorkItem, WorklistQuery
from services.worklist import UowFactory, open_page, put_unrecorded, remove_unchanged
from workflows import search_attributes as sa
from workflows.appraisal import WORKFLOW_NAME, AppraisalWorkflow
from workflows.contracts import AppraisalState

PAGE = 500
CONCURRENCY = 20  # describes or queries in flight
STILL_THERE = (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED)


@dataclass(frozen=True)
class Synced:
    added_from: int  # running appraisals from before 0.4 read (each now has an entry)
    removed: int  # entries of appraisals that ended without finishing


async def synchronise(client: Client, uow_factory: UowFactory, cycle: str | None = None) -> Synced:
    """Both, for one cycle or (None) all."""
    removed = await drop_ended(client, uow_factory, cycle)  # first: it needs no visibility
    return Synced(added_from=await fill_from_visibility(client, uow_factory, cycle), removed=removed)


async def fill_from_visibility(client: Client, uow_factory: UowFactory, cycle: str | None = None) -> int:
    """An entry for every running appraisal that keeps its step in search attributes (started before 0.4) and has
    none a step wrote; returns how many were read."""
    read = 0
    batch: list[WorkItem] = []
    query = _appraisals(cycle, f"ExecutionStatus = 'Running' AND {sa.STEP.name} IS NOT NULL")
    async for execution in client.list_workflows(query, page_size=PAGE):
        attrs = execution.typed_search_attributes
        step = attrs.get(sa.STEP)
        if step is None:  # the query found only runs that keep it; visibility may have lost it meanwhile
            continue
        penilai = attrs.get(sa.PENILAI)
        if penilai is None:
            state: AppraisalState = await client.get_workflow_handle(execution.id).query(AppraisalWorkflow.state)
            penilai = state.penilai_nip
        batch.append(
            WorkItem(
                workflow_id=execution.id,
                cycle_id=attrs.get(sa.CYCLE) or "",
                instansi_code=attrs.get(sa.INSTANSI) or "",
                unit_code=attrs.get(sa.UNIT) or "",
                employee_nip=attrs.get(sa.NIP) or "",
                penilai_nip=penilai,
                step=Step(step),
                assignee=attrs.get(sa.ASSIGNEE),
                deadline=attrs.get(sa.DEADLINE),
                overdue=bool(attrs.get(sa.OVERDUE)),
                escalation_level=attrs.get(sa.ESCALATION_LEVEL) or 0,
            )
        )
        read += 1
        if len(batch) >= PAGE:
            await asyncio.to_thread(put_unrecorded, uow_factory, batch)
            batch = []
    await asyncio.to_thread(put_unrecorded, uow_factory, batch)
    return read


async def drop_ended(client: Client, uow_factory: UowFactory, cycle: str | None = None) -> int:
    """Remove the open entries whose appraisal's latest run ended without finishing, or is gone (past the namespace's
    retention); returns how many were removed. Asks Temporal about every open entry of the cycle (None: of all
    cycles), CONCURRENCY at a time: visibility forgets a closed run after the retention, a cycle lasts a year."""
    entries: list[tuple[str, datetime | None]] = []
    query = WorklistQuery(cycle_id=cycle)
    while True:
        page = await asyncio.to_thread(open_page, uow_factory, query, PAGE, len(entries))
        entries += [(item.workflow_id, item.recorded_at) for item in page]
        if len(page) < PAGE:
            break
    gate = asyncio.Semaphore(CONCURRENCY)

    async def ended(workflow_id: str) -> bool:
        async with gate:
            try:
                latest = await client.get_workflow_handle(workflow_id).describe()
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:
                    return True
                raise
        return latest.status not in STILL_THERE

    verdicts = await asyncio.gather(*(ended(workflow_id) for workflow_id, _ in entries))
    gone = [entry for entry, is_gone in zip(entries, verdicts, strict=True) if is_gone]
    return await asyncio.to_thread(remove_unchanged, uow_factory, gone)


def _appraisals(cycle: str | None, condition: str) -> str:
    query = f"WorkflowType = '{WORKFLOW_NAME}' AND {condition}"
    return query if cycle is None else f"{query} AND {sa.CYCLE.name} = '{_quoted(cycle)}'"


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
