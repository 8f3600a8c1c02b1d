"""Which instansi and cycles a person may open in a section of the site (the calibration pages, the kepegawaian
pages): those where they hold one of the section's roles, for the instansi as a whole or for one cycle of it
(domain.access.Grant.covers), newest period first. What they may do there is checked again by each action's rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from domain.access import Principal
from domain.stages import Role
from persistence.ports import AbstractUnitOfWork

UowFactory = Callable[[], AbstractUnitOfWork]
CYCLES_LISTED = 20  # per instansi: the latest few years' cycles


@dataclass(frozen=True)
class InstansiEntry:
    code: str
    name: str
    roles: frozenset[Role]  # the section's roles held for the instansi as a whole


@dataclass(frozen=True)
class CycleEntry:
    cycle_id: str
    instansi_code: str
    instansi_name: str
    period: int
    registered_at: datetime
    utc_offset_hours: int | None
    roles: frozenset[Role]  # the section's roles held for this cycle


def instansi_for(uow_factory: UowFactory, principal: Principal, roles: Collection[Role]) -> list[InstansiEntry]:
    """The instansi where the person holds one of `roles` for the instansi as a whole (not only for one cycle)."""
    wanted = set(roles)
    codes = sorted({g.instansi_code for g in principal.grants if g.role in wanted and g.cycle_id is None})
    with uow_factory() as uow:
        found = {code: uow.instansi.get(code) for code in codes}
    return [
        InstansiEntry(code, known.name if known is not None else code, frozenset(principal.roles_in(code) & wanted))
        for code, known in found.items()
    ]


def cycles_for(
    uow_factory: UowFactory, principal: Principal, roles: Collection[Role], *, limit: int = CYCLES_LISTED
) -> list[CycleEntry]:
    """The cycles of every instansi where the person holds one of `roles`, for the instansi or for that cycle."""
    wanted = set(roles)
    codes = sorted({g.instansi_code for g in principal.grants if g.role in wanted})
    entries: list[CycleEntry] = []
    with uow_factory() as uow:
        for code in codes:
            known = uow.instansi.get(code)
            name = known.name if known is not None else code
            for cycle in uow.cycles.of_instansi(code, limit=limit):
                held = principal.roles_in(code, cycle.cycle_id) & wanted
                if held:
                    entries.append(
                        CycleEntry(
                            cycle_id=cycle.cycle_id,
                            instansi_code=code,
                            instansi_name=name,
                            period=cycle.period,
                            registered_at=cycle.registered_at,
                            utc_offset_hours=cycle.deadlines.utc_offset_hours,
                            roles=frozenset(held),
                        )
                    )
    return entries
