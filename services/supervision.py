"""What the supervision team's pages read (`/pengawasan`): the cycles a person supervises, and one cycle's overdue
steps (services.overdue, the query the API's list and the bulk actions use) filtered by unit, stage and how long
overdue, with how many there are per unit and stage, a page at a time. Reads the database only.

A cycle is the person's to supervise where they hold one of the roles in its instansi (a grant limited to one cycle
reaches that cycle only): as the API's cycle rule, someone with no part in the instansi is told the cycle does not
exist, and someone of it without the role is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.access import Principal
from domain.errors import DomainError, Forbidden, NotFound
from domain.stages import Role, Stage
from persistence.ports import AbstractUnitOfWork, CycleRecord
from services.overdue import StepList, named, overdue_query
from services.worklist import names_in

UowFactory = Callable[[], AbstractUnitOfWork]
SUPERVISORS = (Role.PENGAWASAN, Role.PENGELOLA_KINERJA)
CYCLES_LISTED = 20  # per instansi, newest first
MAX_DAYS = 3650  # "overdue at least this many days": ten years is already every step there is


@dataclass(frozen=True)
class CycleChoice:
    cycle_id: str
    instansi_code: str
    instansi_name: str
    period: int
    utc_offset_hours: int | None


def _choice(cycle: CycleRecord, instansi_name: str) -> CycleChoice:
    return CycleChoice(
        cycle_id=cycle.cycle_id,
        instansi_code=cycle.instansi_code,
        instansi_name=instansi_name,
        period=cycle.period,
        utc_offset_hours=cycle.deadlines.utc_offset_hours,
    )


def cycles_held(uow_factory: UowFactory, principal: Principal, roles: tuple[Role, ...]) -> list[CycleChoice]:
    """The cycles of every instansi where the person holds one of `roles`, newest period first."""
    codes = sorted({grant.instansi_code for grant in principal.grants if grant.role in roles})
    found: list[CycleChoice] = []
    with uow_factory() as uow:
        for code in codes:
            instansi = uow.instansi.get(code)
            name = instansi.name if instansi is not None else code
            for cycle in uow.cycles.of_instansi(code, limit=CYCLES_LISTED):
                if principal.roles_in(code, cycle.cycle_id) & set(roles):
                    found.append(_choice(cycle, name))
    return sorted(found, key=lambda c: (-c.period, c.instansi_code, c.cycle_id))


def cycle_held(uow_factory: UowFactory, principal: Principal, cycle_id: str, roles: tuple[Role, ...]) -> CycleChoice:
    """The cycle, if the person holds one of `roles` in it: NotFound for someone with no part in its instansi (or no
    such cycle), Forbidden for someone of it without the role."""
    cycle = None
    if 0 < len(cycle_id) <= 64:
        with uow_factory() as uow:
            cycle = uow.cycles.get(cycle_id)
            instansi = uow.instansi.get(cycle.instansi_code) if cycle is not None else None
    if cycle is None or cycle.instansi_code not in principal.instansi():
        raise NotFound(f"siklus {cycle_id} tidak ditemukan", field="siklus")
    if not principal.roles_in(cycle.instansi_code, cycle_id) & set(roles):
        allowed = ", ".join(role.label for role in roles)
        raise Forbidden(f"hanya {allowed} yang dapat melakukan ini", field="peran")
    return _choice(cycle, instansi.name if instansi is not None else cycle.instansi_code)


@dataclass(frozen=True)
class OverdueFilter:
    unit: str | None = None
    stage: Stage | None = None
    days: int | None = None  # overdue at least this many days

    @property
    def age(self) -> str | None:
        """As the API and `kinerja terlambat` take it (`terlambat_sejak`, ISO-8601)."""
        return f"P{self.days}D" if self.days else None


@dataclass(frozen=True)
class UnitTally:
    """One unit's overdue steps matching the filter, per stage."""

    unit: str
    unit_name: str
    by_stage: dict[Stage, int]

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())


@dataclass(frozen=True)
class OverduePage:
    steps: StepList
    tallies: list[UnitTally]  # the units with most overdue first: `TALLY_UNITS` of them from `tally_offset`
    tally_units: int  # how many units have overdue steps the filter matches
    tally_offset: int
    stages: list[Stage]  # the stages with overdue steps, in the cycle's order: the tally's columns
    names: dict[str, str]  # who must act, by NIP (the roster's names; the employee's among them)
    offset: int
    limit: int

    @property
    def tally_pages(self) -> int:
        return max(1, -(-self.tally_units // TALLY_UNITS))


TALLY_UNITS = 20  # units per page of the tally: a province's instansi has thousands
UNITS_LISTED = 200  # up to this many units the filter offers a list to pick from; past it, the code is typed


def unit_choices(uow_factory: UowFactory, instansi_code: str) -> list[tuple[str, str]] | None:
    """The instansi's units (code, name) for a filter to list, or None where there are too many to list (a province's
    instansi has thousands): the filter then takes a code, and the tally's rows lead to each unit."""
    with uow_factory() as uow:
        if uow.units.count(instansi_code) > UNITS_LISTED:
            return None
        return sorted((unit.code, unit.name) for unit in uow.units.list_by_instansi(instansi_code))


def overdue_page(
    uow_factory: UowFactory,
    cycle: CycleChoice,
    chosen: OverdueFilter,
    *,
    now: datetime,
    limit: int,
    offset: int,
    tally_offset: int = 0,
) -> OverduePage:
    """The cycle's overdue steps the filter matches (`limit` from the `offset`-th, nearest deadline first), and how
    many per unit and stage: one unit of work, one count (the tally's sum is the list's length), the names of only
    the people and units shown. A unit code that is not the instansi's is refused (it would list nothing, silently)."""
    query = overdue_query(age=chosen.age, now=now, cycle=cycle.cycle_id, unit=chosen.unit, stage=chosen.stage)
    with uow_factory() as uow:
        if chosen.unit is not None and uow.units.get(cycle.instansi_code, chosen.unit) is None:
            raise DomainError(f"unit kerja '{chosen.unit}' tidak ada di {cycle.instansi_name}", field="unit")
        by_stage = uow.worklist.count_by_stage(query)
        total = sum(by_stage.values())
        items = uow.worklist.open(query, limit=limit, offset=offset) if total else []
        ranked = uow.worklist.units_by_count(query, limit=TALLY_UNITS, offset=tally_offset) if total else None
        shown = ranked.by_unit if ranked is not None else {}
        unit_names = uow.units.names(cycle.instansi_code, set(shown))
        names = names_in(uow, items)
        names.update(uow.employees.names({i.assignee for i in items if i.assignee} - names.keys()))
    return OverduePage(
        steps=StepList(langkah=[named(item, names.get(item.employee_nip, "")) for item in items], jumlah=total),
        tallies=[
            UnitTally(unit, unit_names.get(unit, unit), {Stage(stage): n for stage, n in counts.items()})
            for unit, counts in shown.items()
        ],
        tally_units=ranked.units if ranked is not None else 0,
        tally_offset=tally_offset,
        stages=[stage for stage in Stage if stage.value in by_stage],
        names=names,
        offset=offset,
        limit=limit,
    )
