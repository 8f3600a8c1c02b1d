"""Keeping the worklist in step with Temporal where no step writes it (after upgrading to 0.4, and after an operator
ends appraisals by hand):

kinerja sinkron-worklist [--siklus ID]

- a running appraisal started before 0.4 that has taken no step since has no entry: it gets one from the search
  attributes those runs keep up to date (its penilai from its state if it predates KinerjaPenilai);
- an appraisal an operator terminated or cancelled, or that failed, keeps an open entry nothing will close: it is
  removed, unless the appraisal runs again (a reset starts a new run under the same id).

Entries that exist are kept, so running it twice is harmless. Visibility is read a page at a time.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TypeAlias

from temporalio.client import Client, WorkflowExecutionStatus

from cli.database import open_database
from cli.temporal import run
from domain.stages import Step
from domain.worklist import WorkItem
from services.worklist import UowFactory, add_missing, remove
from settings import load_settings
from workflows import search_attributes as sa
from workflows.appraisal import WORKFLOW_NAME, AppraisalWorkflow
from workflows.contracts import AppraisalState

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
PAGE = 500
ENDED = "ExecutionStatus IN ('Terminated', 'Canceled', 'Failed', 'TimedOut')"


def register(commands: Parsers) -> None:
    sync = commands.add_parser(
        "sinkron-worklist",
        help="selaraskan worklist dengan Temporal: penilaian dari sebelum 0.4, dan yang dihentikan operator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync.add_argument("--siklus", "--cycle", dest="cycle", help="hanya siklus ini (bawaan: semua)")
    sync.set_defaults(handler=_sync)


@dataclass(frozen=True)
class Synced:
    added_from: int  # running appraisals from before 0.4 read (those without an entry got one)
    removed: int  # entries of appraisals that ended without finishing


async def synchronise(client: Client, uow_factory: UowFactory, cycle: str | None = None) -> Synced:
    return Synced(
        added_from=await fill_from_visibility(client, uow_factory, cycle),
        removed=await drop_ended(client, uow_factory, cycle),
    )


async def fill_from_visibility(client: Client, uow_factory: UowFactory, cycle: str | None = None) -> int:
    """An entry for every running appraisal that keeps its step in search attributes (started before 0.4) and has
    none yet; returns how many were read."""
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
            add_missing(uow_factory, batch)
            batch = []
    add_missing(uow_factory, batch)
    return read


async def drop_ended(client: Client, uow_factory: UowFactory, cycle: str | None = None) -> int:
    """Remove the entries of appraisals whose latest run ended without finishing; returns how many were removed."""
    ended: set[str] = set()
    async for execution in client.list_workflows(_appraisals(cycle, ENDED), page_size=PAGE):
        ended.add(execution.id)
    gone: list[str] = []
    for workflow_id in sorted(ended):
        # Visibility lists every run; only the latest says whether the appraisal still runs (or finished).
        latest = await client.get_workflow_handle(workflow_id).describe()
        if latest.status not in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
            gone.append(workflow_id)
    return remove(uow_factory, gone)


def _appraisals(cycle: str | None, condition: str) -> str:
    query = f"WorkflowType = '{WORKFLOW_NAME}' AND {condition}"
    return query if cycle is None else f"{query} AND {sa.CYCLE.name} = '{_quoted(cycle)}'"


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _sync(args: argparse.Namespace) -> int:
    settings = load_settings()
    uow_factory = open_database(settings)

    async def body(client: Client) -> Synced:
        return await synchronise(client, uow_factory, args.cycle)

    synced = run(settings, body)
    print(
        f"{synced.added_from} penilaian kinerja berjalan dari versi sebelum 0.4 diperiksa (yang belum ada kini ada di"
        f" worklist); {synced.removed} penilaian yang dihentikan tanpa selesai dikeluarkan dari worklist."
    )
    return 0
