"""The worklist (domain.worklist): its first entries, written as a cycle enrols, and the lists read from it.

A step's own activity keeps an appraisal's entry current (activities/appraisal.py, in the step's transaction); what
is here writes the entry of an appraisal that has taken no step yet, so the employee finds "Susun SKP" in their list
once they are enrolled, and reads pages of open steps for the command line and the closing report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.worklist import WorkItem, WorklistQuery
from persistence.ports import AbstractUnitOfWork
from workflows.contracts import AppraisalInput, first_work_item

UowFactory = Callable[[], AbstractUnitOfWork]


def enrol(uow_factory: UowFactory, inputs: Sequence[AppraisalInput]) -> None:
    """The first entry of each appraisal just started (or found running); one that has an entry already keeps it (a
    retried page, a late joiner enrolled twice, an appraisal whose first step or escalation came first)."""
    if not inputs:
        return
    with uow_factory() as uow:
        uow.worklist.enrol([first_work_item(input) for input in inputs])
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


def remove_unchanged(uow_factory: UowFactory, entries: Sequence[tuple[str, datetime | None]]) -> int:
    """Remove the entries of appraisals that will take no further step (an operator ended them), each given with the
    `recorded_at` it was read with: one written again since (a run reset meanwhile) stays. Returns how many."""
    if not entries:
        return 0
    with uow_factory() as uow:
        removed = uow.worklist.remove_unchanged(entries)
        uow.commit()
    return removed


@dataclass(frozen=True)
class OpenSteps:
    items: list[WorkItem]  # nearest deadline first
    total: int  # how many match, listed or not


def open_steps(uow_factory: UowFactory, query: WorklistQuery, *, limit: int | None, offset: int = 0) -> OpenSteps:
    """The open steps matching `query`: `limit` of them (None: all) from the `offset`-th, and how many there are."""
    with uow_factory() as uow:
        items = uow.worklist.open(query, limit=limit, offset=offset)
        counted = offset == 0 and (limit is None or len(items) < limit)
        total = len(items) if counted else uow.worklist.count(query)
        return OpenSteps(items=items, total=total)


def open_entries(
    uow_factory: UowFactory, query: WorklistQuery, after: str | None, limit: int
) -> list[tuple[str, datetime | None]]:
    """(workflow id, recorded_at) of the open entries matching `query`, in id order after `after`: a stable order to
    page through while entries change."""
    with uow_factory() as uow:
        return uow.worklist.open_ids(query, after=after, limit=limit)


def open_and_overdue(uow_factory: UowFactory, query: WorklistQuery) -> tuple[int, int]:
    """How many open steps match `query`, and how many of them are overdue, read in one statement (so the second
    is never more than the first)."""
    with uow_factory() as uow:
        return uow.worklist.count_with_overdue(query)


def names_of(uow_factory: UowFactory, items: Sequence[WorkItem]) -> dict[str, str]:
    """The appraised employees' names from the roster (the worklist holds NIPs only): only the people listed, not
    the roster, which at a province is 100,000 rows for a page of 50. Someone who moved to another instansi since the
    cycle began is found there."""
    if not items:
        return {}
    with uow_factory() as uow:
        return names_in(uow, items)


def names_in(uow: AbstractUnitOfWork, items: Sequence[WorkItem]) -> dict[str, str]:
    """`names_of` within a unit of work the caller holds: by NIP, so someone who moved to another instansi since is
    found there."""
    return uow.employees.names({item.employee_nip for item in items}) if items else {}
