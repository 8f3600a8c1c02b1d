"""Where a page's action reaches, checked as the API's rules check it (web.deps.checker): the person holds one of the
action's roles in the instansi, or in the cycle's instansi for that cycle; someone with no part in that instansi is
told it does not exist (404), someone of it without the role that they may not (403).

A page section's gate (web.pages.access) only says who may open the section; these say what in it.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.concurrency import run_in_threadpool

from domain.access import Principal
from domain.stages import Role
from persistence.ports import CycleRecord
from web.deps import Services
from web.problems import Problem

MAX_CODE = 32
MAX_CYCLE_ID = 64


def in_instansi(principal: Principal, instansi_code: str, roles: Collection[Role], cycle_id: str | None = None) -> Role:
    """The first of `roles` the person holds there (for the instansi, or for `cycle_id`), else 404 or 403."""
    what = f"siklus {cycle_id}" if cycle_id is not None else f"instansi {instansi_code}"
    if not 0 < len(instansi_code) <= MAX_CODE or instansi_code not in principal.instansi():
        raise Problem(404, f"{what} tidak ditemukan")
    held = principal.roles_in(instansi_code, cycle_id)
    found = next((role for role in roles if role in held), None)
    if found is None:
        allowed = ", ".join(role.label for role in roles)
        raise Problem(403, f"hanya {allowed} yang dapat melakukan ini", field="peran")
    return found


def may(principal: Principal, instansi_code: str, roles: Collection[Role], cycle_id: str | None = None) -> bool:
    """Whether the person holds one of `roles` there: what a page offers (the action checks again)."""
    return bool(principal.roles_in(instansi_code, cycle_id) & set(roles))


async def cycle_of(svc: Services, principal: Principal, cycle_id: str, roles: Collection[Role]) -> CycleRecord:
    """The cycle, if the person holds one of `roles` for it in its instansi; else 404 or 403."""
    record = None
    if 0 < len(cycle_id) <= MAX_CYCLE_ID:

        def read() -> CycleRecord | None:
            with svc.uow_factory() as uow:
                return uow.cycles.get(cycle_id)

        record = await run_in_threadpool(read)
    if record is None:
        raise Problem(404, f"siklus {cycle_id} tidak ditemukan")
    in_instansi(principal, record.instansi_code, roles, cycle_id)
    return record
