"""Roles granted in an instansi by its admin kepegawaian: pimpinan, tim pengawasan, pengelola kinerja, admin
kepegawaian and operator (domain.access). Each grant and each revocation is an audit entry naming who made it.

Whom a role may go to: an active employee on the roster of any instansi (a provincial BKD's pengelola covers several
offices), or a valid NIP on no roster at all — the Sekda who is pimpinan of a dinas is on no dinas roster. The audit
entry of such a grant says it went to someone on no roster, so a reviewer of the log sees it.

A change to who is pimpinan, on the supervision team or pengelola kinerja reaches the instansi's running cycles and
their appraisals too (services.officials.change_officials, a validated Update the cycle records), instead of staying
fixed from the day each cycle started. The supervision team and the pengelola kinerja must be active employees of a
roster (the instansi's own, or another's: the Inspektorat, a provincial BKD), as the cycle checks them; a cycle of the
instansi is never left without a pimpinan or a supervision team.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import AwareDatetime, BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.access import GRANTABLE, Grant
from domain.errors import DomainError, NotFound
from domain.nip import NipError, normalize_nip, validate_nip
from domain.organisation import EmploymentKind
from domain.stages import Role
from identity.records import GrantRecord
from persistence.ports import AbstractUnitOfWork
from services.actors import Acting, audit
from services.cycle_start import officials_from_grants
from services.officials import change_officials

UowFactory = Callable[[], AbstractUnitOfWork]
Connect = Callable[[], Awaitable[Client]]
# The roles a running cycle carries in its input and its appraisals' inputs (CycleInput, AppraisalInput).
OFFICIAL_ROLES = frozenset({Role.PIMPINAN, Role.PENGAWASAN, Role.PENGELOLA_KINERJA})
# Officials who must be active employees of some roster, any instansi's (services.appraisals.require_officials).
ROSTER_ROLES = frozenset({Role.PENGAWASAN, Role.PENGELOLA_KINERJA})
REQUIRED_ROLES = frozenset({Role.PIMPINAN, Role.PENGAWASAN})  # a cycle has at least one of each (CycleInput)
RECENT_PERIODS = (-1, 0, 1)
UNCHANGED = "pejabat"  # the field of domain.officials.check_change's "nothing changed"
OFFICIALS_RULE = "pejabat siklus ditetapkan admin kepegawaian instansi"
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
    # A change of officials: the running cycles that took it up, and why any did not (the grant stands either way).
    siklus_diperbarui: list[str] = []
    belum_diperbarui: list[str] = []


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
    if role not in OFFICIAL_ROLES:
        return view
    reason = f"peran {role.label} diberikan kepada {view.nip} (hibah {view.id})"
    return await _reach_running_cycles(uow_factory, connect, instansi_code, view, f"grant-{view.id}", reason, by, now)


async def revoke(
    uow_factory: UowFactory, connect: Connect, *, instansi_code: str, grant_id: int, by: Acting, now: datetime
) -> GrantView:
    view = await asyncio.to_thread(_revoke, uow_factory, instansi_code=instansi_code, grant_id=grant_id, by=by, now=now)
    if view.peran not in OFFICIAL_ROLES:
        return view
    reason = f"peran {view.peran.label} {view.nip} dicabut (hibah {view.id})"
    return await _reach_running_cycles(uow_factory, connect, instansi_code, view, f"revoke-{view.id}", reason, by, now)


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
        if role in ROSTER_ROLES and home is None:
            raise DomainError(
                f"NIP {nip} tidak ada pada roster instansi mana pun; {role.label} harus pegawai aktif (boleh dari"
                " instansi lain, mis. Inspektorat atau BKD provinsi)",
                field="nip",
                rule=OFFICIALS_RULE,
            )
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
        _keep_required(uow, record, now)
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
    uow_factory: UowFactory,
    connect: Connect,
    instansi_code: str,
    view: GrantView,
    key: str,
    reason: str,
    by: Acting,
    now: datetime,
) -> GrantView:
    """Every running cycle of the instansi takes its officials as the grants now stand (services.officials). A cycle
    that has ended, or already has them, is left alone; one that cannot take them now is named in the answer."""
    cycles = await asyncio.to_thread(_recent_cycles, uow_factory, instansi_code, now)
    if not cycles:
        return view
    done: list[str] = []
    failed: list[str] = []
    try:
        client = await connect()
    except Exception:  # Temporal cannot be reached (the gateway's 503): the grant stands all the same
        unreached = [f"{cycle}: Temporal tidak dapat dihubungi" for cycle in cycles]
        return view.model_copy(update={"belum_diperbarui": unreached})
    for cycle in cycles:
        try:
            officials = await asyncio.to_thread(officials_from_grants, uow_factory, instansi_code, cycle)
            await change_officials(
                client,
                uow_factory,
                cycle,
                officials,
                by.nip,
                reason=reason,
                update_id=f"officials-{key}-{cycle}"[:200],
            )
        except NotFound:  # ended: nothing runs that could take it up
            continue
        except WorkflowUpdateFailedError as error:
            if _field(error) == UNCHANGED:
                continue
            failed.append(f"{cycle}: {_message(error)}")
        except DomainError as error:
            failed.append(f"{cycle}: {error}")
        except RPCError as error:
            failed.append(f"{cycle}: Temporal tidak dapat dihubungi ({error.status.name if error.status else '-'})")
        else:
            done.append(cycle)
    return view.model_copy(update={"siklus_diperbarui": done, "belum_diperbarui": failed})


def _recent_cycles(uow_factory: UowFactory, instansi_code: str, now: datetime) -> list[str]:
    """The instansi's cycles that may still run: those of this period and the ones either side (a period's cycle
    runs into the next year for its sign-off and objections)."""
    with uow_factory() as uow:
        return [c.cycle_id for year in RECENT_PERIODS for c in uow.cycles.for_period(instansi_code, now.year + year)]


def _keep_required(uow: AbstractUnitOfWork, record: GrantRecord, now: datetime) -> None:
    """DomainError when revoking `record` (already revoked in `uow`, not committed) would leave a cycle of the
    instansi that may still run without a pimpinan or a supervision team."""
    role, code = record.grant.role, record.grant.instansi_code
    if role not in REQUIRED_ROLES:
        return
    cycles = [c.cycle_id for year in RECENT_PERIODS for c in uow.cycles.for_period(code, now.year + year)]
    left_without = [cycle for cycle in cycles if not uow.identity.holders(code, role, cycle)]
    if left_without:
        raise DomainError(
            f"siklus {', '.join(left_without)} tidak boleh tanpa {role.label}: berikan peran '{role.value}' kepada"
            f" orang lain dahulu, lalu cabut peran {record.nip}",
            field="hibah",
            rule=OFFICIALS_RULE,
        )


def _field(error: WorkflowUpdateFailedError) -> str | None:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.details and isinstance(cause.details[0], dict):
        field = cause.details[0].get("field")
        return str(field) if field else None
    return None


def _message(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return cause.message if isinstance(cause, ApplicationError) else str(cause or error)


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
