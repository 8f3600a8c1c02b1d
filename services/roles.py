"""Roles granted in an instansi by its admin kepegawaian: pimpinan, tim pengawasan, pengelola kinerja, admin
kepegawaian and operator (domain.access). Each grant and each revocation is an audit entry naming who made it.

Whom a role may go to: an active employee on the roster of any instansi (a provincial BKD's pengelola covers several
offices), or a valid NIP on no roster at all — the Sekda who is pimpinan of a dinas is on no dinas roster. The audit
entry of such a grant says it went to someone on no roster, so a reviewer of the log sees it.

A change to who is pimpinan, on the supervision team or pengelola kinerja reaches the instansi's running cycles and
their appraisals too (services.officials), instead of staying fixed from the day each cycle started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import AwareDatetime, BaseModel
from temporalio.client import Client

from domain.access import GRANTABLE, Grant
from domain.errors import DomainError, NotFound
from domain.nip import NipError, normalize_nip, validate_nip
from domain.organisation import EmploymentKind
from domain.stages import Role
from identity.records import GrantRecord
from persistence.ports import AbstractUnitOfWork
from services.actors import Acting, audit

UowFactory = Callable[[], AbstractUnitOfWork]
Connect = Callable[[], Awaitable[Client]]
# The roles a running cycle carries in its input and its appraisals' inputs (CycleInput, AppraisalInput).
OFFICIAL_ROLES = frozenset({Role.PIMPINAN, Role.PENGAWASAN, Role.PENGELOLA_KINERJA})
OFF_ROSTER = "NIP tidak ada pada roster instansi mana pun; diberikan sebagai pejabat di luar roster (mis. Sekda)"


class GrantView(BaseModel):
    id: int
    nip: str
    nama: str | None  # from the roster; None for someone on no roster
    instansi_roster: str | None  # the instansi whose roster lists them (None: on no roster)
    peran: Role
    siklus: str | None  # None: every cycle of the instansi
    diberikan_oleh: str
    diberikan_pada: AwareDatetime


def list_grants(uow_factory: UowFactory, instansi_code: str) -> list[GrantView]:
    with uow_factory() as uow:
        records = uow.identity.grants_in(instansi_code)
        people = uow.employees.by_nips(instansi_code, {r.nip for r in records})
        views = []
        for record in records:
            person = people.get(record.nip) or uow.employees.get(record.nip)
            home = instansi_code if record.nip in people else uow.employees.instansi_of(record.nip)
            views.append(_view(record, person.name if person else None, home))
    return views


async def grant(
    uow_factory: UowFactory,
    connect: Connect,
    *,
    instansi_code: str,
    nip: str,
    role: Role,
    cycle_id: str | None,
    by: Acting,
    now: datetime,
) -> GrantView:
    view = await asyncio.to_thread(
        _grant, uow_factory, instansi_code=instansi_code, nip=nip, role=role, cycle_id=cycle_id, by=by, now=now
    )
    if role in OFFICIAL_ROLES:
        await _reach_running_cycles(uow_factory, connect, instansi_code, by, now)
    return view


async def revoke(
    uow_factory: UowFactory, connect: Connect, *, instansi_code: str, grant_id: int, by: Acting, now: datetime
) -> GrantView:
    view = await asyncio.to_thread(_revoke, uow_factory, instansi_code=instansi_code, grant_id=grant_id, by=by, now=now)
    if view.peran in OFFICIAL_ROLES:
        await _reach_running_cycles(uow_factory, connect, instansi_code, by, now)
    return view


def _grant(
    uow_factory: UowFactory,
    *,
    instansi_code: str,
    nip: str,
    role: Role,
    cycle_id: str | None,
    by: Acting,
    now: datetime,
) -> GrantView:
    if role not in GRANTABLE:
        allowed = ", ".join(r.value for r in GRANTABLE)
        raise DomainError(f"'{role.value}' bukan peran yang dapat diberikan; pilihan: {allowed}", field="peran")
    nip = normalize_nip(nip)
    with uow_factory() as uow:
        if uow.instansi.get(instansi_code) is None:
            raise NotFound(f"instansi {instansi_code} belum terdaftar; impor rosternya dahulu", field="instansi")
        if cycle_id is not None:
            cycle = uow.cycles.get(cycle_id)
            if cycle is None or cycle.instansi_code != instansi_code:
                raise NotFound(f"siklus {cycle_id} tidak ada di instansi {instansi_code}", field="siklus")
        person = uow.employees.get(nip)
        home = uow.employees.instansi_of(nip) if person is not None else None
        if person is not None and not person.active:
            raise DomainError(
                f"pegawai NIP {nip} tidak aktif pada roster instansi {home}; peran hanya untuk pegawai aktif",
                field="nip",
            )
        if person is None:
            _plausible_nip(nip)
        wanted = Grant(role=role, instansi_code=instansi_code, cycle_id=cycle_id)
        held = next((r for r in uow.identity.grants_in(instansi_code) if r.nip == nip and r.grant == wanted), None)
        if held is not None:
            where = f"siklus {cycle_id}" if cycle_id else f"instansi {instansi_code}"
            raise DomainError(
                f"NIP {nip} sudah memegang peran {role.label} di {where} (hibah {held.id})", field="peran"
            )
        grant_id = uow.identity.add_grant(nip, wanted, by.nip, now)
        audit(
            uow,
            by,
            "role.grant",
            subject=nip,
            reason=OFF_ROSTER if person is None else None,
            after={"grant_id": grant_id, **_grant_fields(wanted), "roster": home},
            now=now,
        )
        uow.commit()
    return GrantView(
        id=grant_id,
        nip=nip,
        nama=person.name if person else None,
        instansi_roster=home,
        peran=role,
        siklus=cycle_id,
        diberikan_oleh=by.nip,
        diberikan_pada=now,
    )


def _revoke(uow_factory: UowFactory, *, instansi_code: str, grant_id: int, by: Acting, now: datetime) -> GrantView:
    with uow_factory() as uow:
        record = uow.identity.revoke_grant(grant_id, instansi_code, by.nip, now) if 0 < grant_id < 2**31 else None
        if record is None:
            raise NotFound(f"hibah peran {grant_id} tidak ada di instansi {instansi_code}", field="hibah")
        if record.grant.role is Role.ADMIN_KEPEGAWAIAN and not uow.identity.holders(
            instansi_code, Role.ADMIN_KEPEGAWAIAN
        ):
            raise DomainError(
                f"{record.nip} adalah admin kepegawaian terakhir instansi {instansi_code}; berikan peran itu kepada"
                " orang lain dahulu agar instansi tetap dapat dikelola",
                field="hibah",
            )
        audit(
            uow,
            by,
            "role.revoke",
            subject=record.nip,
            before={"grant_id": record.id, **_grant_fields(record.grant), "granted_by": record.granted_by},
            now=now,
        )
        person = uow.employees.get(record.nip)
        home = uow.employees.instansi_of(record.nip) if person is not None else None
        uow.commit()
    return _view(record, person.name if person else None, home)


async def _reach_running_cycles(
    uow_factory: UowFactory, connect: Connect, instansi_code: str, by: Acting, now: datetime
) -> None:
    """The instansi's running cycles and appraisals take the officials as the grants now stand.

    TODO(officials): call services.officials.change_officials (the workflow helper's) here once it exists; until
    then a cycle keeps the officials it started with, and a change reaches only cycles started after it."""
    del uow_factory, connect, instansi_code, by, now


def _plausible_nip(nip: str) -> None:
    """A NIP on no roster must at least be one: a PNS NIP, or else an NI PPPK; the PNS reading's error otherwise."""
    try:
        validate_nip(nip, EmploymentKind.PNS)
    except NipError as error:
        try:
            validate_nip(nip, EmploymentKind.PPPK)
        except NipError:
            raise error from None


def _grant_fields(grant: Grant) -> dict[str, str | None]:
    return {"role": grant.role.value, "instansi": grant.instansi_code, "cycle": grant.cycle_id}


def _view(record: GrantRecord, name: str | None, home: str | None) -> GrantView:
    return GrantView(
        id=record.id,
        nip=record.nip,
        nama=name,
        instansi_roster=home,
        peran=record.grant.role,
        siklus=record.grant.cycle_id,
        diberikan_oleh=record.granted_by,
        diberikan_pada=record.granted_at,
    )
