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
from collections.abc import Callable
from dataclasses import dataclass

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import DomainError
from domain.stages import Step
from domain.worklist import WorkItem, WorklistQuery
from services.worklist import UowFactory, open_entries, put_unrecorded, remove_unchanged
from workflows import search_attributes as sa
from workflows.appraisal import WORKFLOW_NAME, AppraisalWorkflow
from workflows.contracts import AppraisalState

PAGE = 500
CONCURRENCY = 20  # describes or queries in flight
STILL_THERE = (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED)


@dataclass(frozen=True)
class Dropped:
    removed: int  # entries of appraisals that ended without finishing
    unchecked: int  # entries kept because Temporal did not answer for them
    complete: bool  # False: stopped at the time budget
    resume_after: str | None = None  # where a run stopped at the budget goes on (the last workflow id it checked)


@dataclass(frozen=True)
class Synced:
    added_from: int  # running appraisals from before 0.4 read (each now has an entry)
    dropped: Dropped


async def synchronise(
    client: Client, uow_factory: UowFactory, cycle: str | None = None, *, budget: float | None = None
) -> Synced:
    """Both, for one cycle or (None) all; `budget` as for `drop_ended`."""
    dropped = await drop_ended(client, uow_factory, cycle, budget=budget)  # first: it needs no visibility
    return Synced(added_from=await fill_from_visibility(client, uow_factory, cycle), dropped=dropped)


async def fill_from_visibility(client: Client, uow_factory: UowFactory, cycle: str | None = None) -> int:
    """An entry for every running appraisal that keeps its step in search attributes (started before 0.4) and has
    none a step wrote; returns how many were read."""
    read = 0
    batch: list[WorkItem] = []
    query = appraisals_query(cycle, f"ExecutionStatus = 'Running' AND {sa.STEP.name} IS NOT NULL")
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


async def drop_ended(
    client: Client,
    uow_factory: UowFactory,
    cycle: str | None = None,
    *,
    budget: float | None = None,
    after: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Dropped:
    """Remove the open entries whose appraisal's latest run ended without finishing, or is gone (past the namespace's
    retention). Asks Temporal about every open entry of the cycle (None: of all cycles) whose workflow id comes after
    `after` (None: from the first), a page at a time in the order of their ids and CONCURRENCY at a time, and removes
    each page's before the next: visibility forgets a closed run after the retention, and a cycle lasts a year. With
    `budget` (seconds), stops after the page that outlasts it and says where to resume; `progress` is told the last
    id of each page done. An entry Temporal does not answer for is kept and counted."""
    await _check_namespace(client)
    deadline = None if budget is None else asyncio.get_running_loop().time() + budget
    removed = unchecked = 0
    query = WorklistQuery(cycle_id=cycle)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def ended(workflow_id: str) -> bool | None:
        async with gate:
            try:
                latest = await client.get_workflow_handle(workflow_id).describe()
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:  # the namespace is there (checked): the workflow is not
                    return True
                return None
        return latest.status not in STILL_THERE

    while True:
        page = await asyncio.to_thread(open_entries, uow_factory, query, after, PAGE)
        if not page:
            break
        verdicts = await asyncio.gather(*(ended(workflow_id) for workflow_id, _ in page))
        unchecked += sum(1 for verdict in verdicts if verdict is None)
        gone = [entry for entry, verdict in zip(page, verdicts, strict=True) if verdict]
        removed += await asyncio.to_thread(remove_unchanged, uow_factory, gone)
        after = page[-1][0]
        if progress is not None:
            progress(after)
        if len(page) < PAGE or (deadline is not None and asyncio.get_running_loop().time() > deadline):
            break
    # Out of time on a full page: done all the same if nothing comes after it.
    complete = len(page) < PAGE or not await asyncio.to_thread(open_entries, uow_factory, query, after, 1)
    return Dropped(removed=removed, unchecked=unchecked, complete=complete, resume_after=None if complete else after)


async def _check_namespace(client: Client) -> None:
    """A wrong namespace answers NOT_FOUND for every workflow, which would read as every appraisal gone."""
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise DomainError(f"namespace Temporal '{client.namespace}' tidak ada", field="namespace") from None
        if error.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server has only its own
            raise


def appraisals_query(cycle: str | None, condition: str | None = None) -> str:
    """The visibility query of the appraisals (of one cycle, or all), with `condition` if given."""
    query = f"WorkflowType = '{WORKFLOW_NAME}'" + (f" AND {condition}" if condition else "")
    return query if cycle is None else f"{query} AND {sa.CYCLE.name} = '{quoted(cycle)}'"


def quoted(value: str) -> str:
    """`value` inside a visibility query's single quotes."""
    return value.replace("\\", "\\\\").replace("'", "\\'")
