"""`kinerja periksa`: does the database hold exactly the steps each appraisal's workflow took? For operators after an
incident (a worker or the server killed, the database away) and at the end of the fault tests (issue 19).

For each appraisal, its workflow's state (the `state` query: a worker must run) is set against what the database
holds of it:
- the audit log: one entry per step and notice the workflow took, in the same order (a missing entry is a step the
  database lost; an extra one a step the workflow never took, or one written twice);
- the worklist: the step, who must act, the deadline and whether it is overdue, as the workflow has them.

A step being written while the check runs shows for a moment as a difference (the workflow logs a notice before its
write, a person's step after it); an appraisal that disagrees is read again after `SETTLE` seconds and reported only
if it still disagrees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from temporalio.client import Client

from domain.worklist import WorkItem, listed_assignee
from persistence.ports import AbstractUnitOfWork
from services.worklist_sync import appraisals_query, quoted
from workflows import search_attributes as sa
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import AppraisalState, appraisal_workflow_id

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
SETTLE = 3.0  # seconds before an appraisal that disagrees is read again
CONCURRENCY = 20  # appraisals read at once


@dataclass(frozen=True)
class Held:
    """What the database holds of one appraisal."""

    actions: list[str]  # its audit entries' actions, in the order they were written
    work: WorkItem | None


@dataclass(frozen=True)
class Disagreement:
    workflow_id: str
    what: str


@dataclass(frozen=True)
class Checked:
    appraisals: int
    disagreements: list[Disagreement]


def held(uow_factory: UnitOfWorkFactory, workflow_id: str) -> Held:
    with uow_factory() as uow:
        actions = [entry.action for entry in uow.audit.list(workflow_id=workflow_id)]
        return Held(actions=actions, work=uow.worklist.get(workflow_id))


def compare(state: AppraisalState, found: Held) -> list[str]:
    """Where the database differs from the workflow's state (empty: it agrees)."""
    problems: list[str] = []
    taken = [event.action for event in state.timeline]
    if found.actions != taken:
        problems.append(_first_difference(taken, found.actions))
    work = found.work
    if work is None:
        problems.append(f"tidak ada di worklist; workflow di langkah {state.step.value}")
        return problems
    expected = {
        "langkah": (state.step.value, work.step.value),
        "yang harus bertindak": (listed_assignee(state.step, state.assignees), work.assignee),
        "batas waktu": (state.deadline, work.deadline),
        "terlambat": (state.overdue, work.overdue),
    }
    problems += [
        f"worklist: {name} {stored} ≠ workflow {wanted}"
        for name, (wanted, stored) in expected.items()
        if wanted != stored
    ]
    return problems


def _first_difference(taken: Sequence[str], written: Sequence[str]) -> str:
    for index, (step, entry) in enumerate(zip(taken, written, strict=False), start=1):
        if step != entry:
            return f"langkah ke-{index}: workflow '{step}', log audit '{entry}'"
    if len(written) > len(taken):
        extra = ", ".join(written[len(taken) :])
        return f"log audit mencatat {len(written) - len(taken)} langkah yang tidak diambil workflow: {extra}"
    missing = ", ".join(taken[len(written) :])
    return f"log audit tidak mencatat {len(taken) - len(written)} langkah workflow: {missing}"


async def check_cycle(
    client: Client, uow_factory: UnitOfWorkFactory, cycle_id: str, nips: Sequence[str] = ()
) -> Checked:
    """Every appraisal of the cycle that Temporal knows (or only those of `nips`)."""
    if nips:
        ids = [appraisal_workflow_id(cycle_id, nip) for nip in nips]
    else:
        ids = [execution.id async for execution in client.list_workflows(appraisals_query(cycle_id))]
    return await check_appraisals(client, uow_factory, ids)


async def check_instansi(client: Client, uow_factory: UnitOfWorkFactory, instansi_code: str) -> Checked:
    """Every appraisal of the instansi that Temporal knows, whatever its cycle."""
    query = appraisals_query(None, f"{sa.INSTANSI.name} = '{quoted(instansi_code)}'")
    ids = [execution.id async for execution in client.list_workflows(query)]
    return await check_appraisals(client, uow_factory, ids)


async def check_appraisals(client: Client, uow_factory: UnitOfWorkFactory, workflow_ids: Sequence[str]) -> Checked:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(workflow_id: str) -> list[Disagreement]:
        async with gate:
            problems = await _check(client, uow_factory, workflow_id)
            if problems:
                await asyncio.sleep(SETTLE)
                problems = await _check(client, uow_factory, workflow_id)
        return [Disagreement(workflow_id, problem) for problem in problems]

    found = await asyncio.gather(*(one(workflow_id) for workflow_id in workflow_ids))
    return Checked(appraisals=len(workflow_ids), disagreements=[problem for problems in found for problem in problems])


async def _check(client: Client, uow_factory: UnitOfWorkFactory, workflow_id: str) -> list[str]:
    state: AppraisalState = await client.get_workflow_handle(workflow_id).query(AppraisalWorkflow.state)
    return compare(state, await asyncio.to_thread(held, uow_factory, workflow_id))
