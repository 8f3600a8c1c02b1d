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
from domain.errors import Forbidden, NotFound
from domain.stages import Role, Stage
from persistence.ports import AbstractUnitOfWork, CycleRecord
from services.appraisal_view import names_in
from services.overdue import StepList, named_steps, overdue_query

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
class Tally:
    unit: str
    unit_name: str
    stage: Stage
    count: int


@dataclass(frozen=True)
class OverduePage:
    steps: StepList
    tallies: list[Tally]  # per unit and stage, of what the filter matches
    units: list[tuple[str, str]]  # the instansi's units (code, name), for the filter
    names: dict[str, str]  # who must act, by NIP (the roster's names; the employee's among them)
    offset: int
    limit: int


def overdue_page(
    uow_factory: UowFactory, cycle: CycleChoice, chosen: OverdueFilter, *, now: datetime, limit: int, offset: int
) -> OverduePage:
    """The cycle's overdue steps the filter matches (`limit` from the `offset`-th, nearest deadline first) and how
    many per unit and stage."""
    query = overdue_query(age=chosen.age, now=now, cycle=cycle.cycle_id, unit=chosen.unit, stage=chosen.stage)
    steps = named_steps(uow_factory, query, limit=limit, offset=offset)
    with uow_factory() as uow:
        counted = uow.worklist.count_by_unit_and_stage(query)
        units = sorted((unit.code, unit.name) for unit in uow.units.list_by_instansi(cycle.instansi_code))
    acting = {step.menunggu for step in steps.langkah if step.menunggu}
    names = {step.nip: step.nama for step in steps.langkah if step.nama}
    names.update(names_in(uow_factory, cycle.instansi_code, acting - names.keys()) if acting - names.keys() else {})
    unit_names = dict(units)
    order = list(Stage)
    tallies = sorted(
        (Tally(unit, unit_names.get(unit, unit), Stage(stage), count) for (unit, stage), count in counted.items()),
        key=lambda t: (t.unit, order.index(t.stage)),
    )
    return OverduePage(steps=steps, tallies=tallies, units=units, names=names, offset=offset, limit=limit)
