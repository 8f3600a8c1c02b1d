"""The worklist (domain.worklist): its first entries, written as a cycle enrols, and the lists read from it.

A step's own activity keeps an appraisal's entry current (activities/appraisal.py, in the step's transaction); what
is here writes the entry of an appraisal that has taken no step yet, so the employee finds "Susun SKP" in their list
from the moment they are enrolled, and reads pages of open steps for the command line and the closing report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.worklist import WorkItem, WorklistQuery
from persistence.ports import AbstractUnitOfWork
from workflows.contracts import AppraisalInput, first_work_item

UowFactory = Callable[[], AbstractUnitOfWork]


def enrol(uow_factory: UowFactory, inputs: Sequence[AppraisalInput]) -> None:
    """The first entry of each appraisal about to start; one that has an entry already keeps it (a retried page, a
    late joiner enrolled twice, an appraisal that has moved on or finished)."""
    if not inputs:
        return
    with uow_factory() as uow:
        uow.worklist.enrol([first_work_item(input) for input in inputs])
        uow.commit()


def forget_unstarted(uow_factory: UowFactory, workflow_ids: Sequence[str]) -> None:
    """Remove the entries `enrol` wrote for appraisals that did not start (their id had closed already), unless a
    step of theirs wrote one."""
    if not workflow_ids:
        return
    with uow_factory() as uow:
        uow.worklist.remove(workflow_ids, unrecorded_only=True)
        uow.commit()


def put_unrecorded(uow_factory: UowFactory, items: Sequence[WorkItem]) -> None:
    """Entries read from outside the workflow (search attributes): they replace what enrolment or an earlier
    reading wrote, never what a step or escalation wrote."""
    if not items:
        return
    with uow_factory() as uow:
        for item in items:
            uow.worklist.put(item)
        uow.commit()


def remove(uow_factory: UowFactory, workflow_ids: Sequence[str]) -> int:
    """Remove the entries of appraisals that will take no further step (an operator ended them); returns how many
    there were."""
    if not workflow_ids:
        return 0
    with uow_factory() as uow:
        removed = uow.worklist.remove(workflow_ids)
        uow.commit()
    return removed


@dataclass(frozen=True)
class OpenSteps:
    items: list[WorkItem]  # nearest deadline first
    total: int  # how many match, listed or not


def open_steps(uow_factory: UowFactory, query: WorklistQuery, *, limit: int | None) -> OpenSteps:
    """The open steps matching `query`: the first `limit` (None: all) and how many there are."""
    with uow_factory() as uow:
        items = uow.worklist.open(query, limit=limit)
        total = len(items) if limit is None or len(items) < limit else uow.worklist.count(query)
        return OpenSteps(items=items, total=total)


def count(uow_factory: UowFactory, query: WorklistQuery) -> int:
    with uow_factory() as uow:
        return uow.worklist.count(query)
