"""Keeping the worklist in step with Temporal where no step of the appraisal writes it, through the Temporal client
given (visibility, read a page at a time):

- a running appraisal started before 0.4 keeps its step in search attributes and writes its entry only with its next
  step: `fill_from_visibility` gives it one now (its penilai from its state if it predates KinerjaPenilai);
- an appraisal an operator terminated or cancelled, or that failed or timed out, keeps an open entry nothing will
  close: `drop_ended` removes it, unless the appraisal runs again (a reset starts a new run under the same id).

`kinerja sinkron-worklist` runs both; a cycle's closing report drops its own ended appraisals before it counts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio.client import Client, WorkflowExecutionStatus

from domain.stages import Step
from domain.worklist import WorkItem
from services.worklist import UowFactory, put_unrecorded, remove
from workflows import search_attributes as sa
from workflows.appraisal import WORKFLOW_NAME, AppraisalWorkflow
from workflows.contracts import AppraisalState

PAGE = 500
CONCURRENCY = 20  # describes or queries in flight
ENDED = "ExecutionStatus IN ('Terminated', 'Canceled', 'Failed', 'TimedOut')"
STILL_THERE = (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED)


@dataclass(frozen=True)
class Synced:
    added_from: int  # running appraisals from before 0.4 read (each now has an entry)
    removed: int  # entries of appraisals that ended without finishing


async def synchronise(client: Client, uow_factory: UowFactory, cycle: str | None = None) -> Synced:
    """Both, for one cycle or (None) all."""
    return Synced(
        added_from=await fill_from_visibility(client, uow_factory, cycle),
        removed=await drop_ended(client, uow_factory, cycle),
    )


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
    """Remove the entries of appraisals whose latest run ended without finishing; returns how many were removed."""
    ended = sorted({execution.id async for execution in client.list_workflows(_appraisals(cycle, ENDED))})
    gate = asyncio.Semaphore(CONCURRENCY)

    async def gone(workflow_id: str) -> bool:
        async with gate:  # visibility lists every run; only the latest says whether the appraisal still runs
            latest = await client.get_workflow_handle(workflow_id).describe()
        return latest.status not in STILL_THERE

    verdicts = await asyncio.gather(*(gone(workflow_id) for workflow_id in ended))
    dropped = [workflow_id for workflow_id, is_gone in zip(ended, verdicts, strict=True) if is_gone]
    return await asyncio.to_thread(remove, uow_factory, dropped)


def _appraisals(cycle: str | None, condition: str) -> str:
    query = f"WorkflowType = '{WORKFLOW_NAME}' AND {condition}"
    return query if cycle is None else f"{query} AND {sa.CYCLE.name} = '{_quoted(cycle)}'"


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
