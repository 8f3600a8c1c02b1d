"""Whom the roster names now for a cycle's running appraisals (domain.roster_changes): what `kinerja massal
ikuti-roster`, `POST /cycles/{id}/bulk/follow-roster` and the supervision team's bulk page list before they move
them (services.bulk.follow_roster)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from domain.errors import NotFound
from domain.roster_changes import Moved, moved_reviewers
from domain.worklist import WorklistQuery
from persistence.ports import AbstractUnitOfWork
from services.appraisals import with_superiors

UowFactory = Callable[[], AbstractUnitOfWork]
LEVELS = 2  # the employee's superior (penilai) and theirs (atasan)


@dataclass(frozen=True)
class RosterMoves:
    moved: list[Moved]
    names: dict[str, str]  # NIP → name, for everyone `moved` names


def roster_moves(uow_factory: UowFactory, cycle_id: str, unit_code: str | None, on: date) -> RosterMoves:
    """The cycle's open appraisals (of `unit_code` only, when given) whose reviewers differ from the roster's on
    `on`, with the names of everyone involved. Reads the cycle's open entries and the people above them only."""
    with uow_factory() as uow:
        cycle = uow.cycles.get(cycle_id)
        if cycle is None:
            raise NotFound(f"siklus {cycle_id} tidak ditemukan", field="cycle_id")
        items = uow.worklist.open(WorklistQuery(cycle_id=cycle_id, unit_code=unit_code))
        nips = {item.employee_nip for item in items}
        rows = list(uow.employees.by_nips(cycle.instansi_code, nips).values())
        overrides = uow.employees.overrides_of(sorted(nips))
        people = with_superiors(uow, cycle.instansi_code, rows, overrides, LEVELS)
        moved = moved_reviewers(items, people, overrides, on)
        named = {
            nip
            for m in moved
            for nip in (m.employee_nip, m.penilai_was, m.atasan_was, m.penilai_now, m.atasan_now)
            if nip is not None
        }
        missing = named - people.keys()
        names = {nip: person.name for nip, person in people.items() if nip in named}
        names |= uow.employees.names(missing) if missing else {}
    return RosterMoves(moved=moved, names=names)
