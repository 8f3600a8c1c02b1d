"""Local accounts as the admin kepegawaian of one instansi manages them (identity.accounts does the work and writes
the audit entries): only the accounts of that instansi's people, so an admin of one office cannot reach another's.

Whose account is "of the instansi": an employee on its roster, or someone on no roster who holds a role there (the
Sekda who is its pimpinan). Anyone else's NIP is answered as not found, whether they have an account or not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from domain.errors import DomainError, NotFound
from identity import accounts
from identity.accounts import Link
from persistence.ports import AbstractUnitOfWork
from services.actors import Acting
from settings import AuthSettings

UowFactory = Callable[[], AbstractUnitOfWork]


class AccountAction(StrEnum):
    DISABLE = "disable"
    ENABLE = "enable"
    UNLOCK = "unlock"


class LinkResult(BaseModel):
    nip: str
    dikirim_lewat_email: bool
    # Only when the roster has no address for the person: the admin hands it over, since it is never logged.
    tautan: str | None = None


def create(
    uow_factory: UowFactory, settings: AuthSettings, *, instansi_code: str, nip: str, by: Acting, now: datetime
) -> LinkResult:
    link = accounts.create_account(uow_factory, settings, nip=nip, instansi_code=instansi_code, actor=by.nip, now=now)
    return _result(link)


def reset_link(
    uow_factory: UowFactory, settings: AuthSettings, *, instansi_code: str, nip: str, by: Acting, now: datetime
) -> LinkResult:
    _require_of_instansi(uow_factory, instansi_code, nip)
    return _result(accounts.send_reset_link(uow_factory, settings, nip=nip, actor=by.nip, now=now))


def change(
    uow_factory: UowFactory, *, instansi_code: str, nip: str, action: AccountAction, by: Acting, now: datetime
) -> None:
    _require_of_instansi(uow_factory, instansi_code, nip)
    if action is AccountAction.UNLOCK:
        accounts.unlock(uow_factory, nip=nip, actor=by.nip, now=now)
        return
    disable = action is AccountAction.DISABLE
    if disable and nip == by.nip:
        raise DomainError("akun sendiri tidak dapat dinonaktifkan; minta admin kepegawaian lain", field="nip")
    accounts.set_disabled(uow_factory, nip=nip, disabled=disable, actor=by.nip, now=now)


def _require_of_instansi(uow_factory: UowFactory, instansi_code: str, nip: str) -> None:
    with uow_factory() as uow:
        exists = accounts.administered_by(uow, nip, instansi_code) and uow.identity.account(nip) is not None
    if not exists:
        raise NotFound(f"akun NIP {nip} tidak ada di instansi {instansi_code}", field="nip")


def _result(link: Link) -> LinkResult:
    return LinkResult(
        nip=link.nip, dikirim_lewat_email=link.sent_by_email, tautan=None if link.sent_by_email else link.url
    )
