"""Browser sessions and personal access tokens: what proves who is acting on each request.

A session is a random secret in an HttpOnly cookie; the database keeps its hash, when it was last used (the idle
expiry), when it ends however active (the absolute expiry), and whether it was revoked (logout, a password change, a
disabled account). Its CSRF token must come back with every state-changing request made with the cookie.

A personal access token is for programs and the command line: created by the person, shown once, kept as a hash,
scoped (read, or read and act), expiring, revocable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.access import ALL_SCOPES, Principal, Scope
from domain.audit import AuditEntry
from domain.errors import DomainError, NotFound
from domain.stages import Role
from identity.principals import principal_of
from identity.records import SessionRecord, TokenRecord
from identity.secrets import TOKEN_PREFIX, digest, new_secret, new_token
from persistence.ports import AbstractUnitOfWork
from settings import AuthSettings

UowFactory = Callable[[], AbstractUnitOfWork]
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often: a read is not a write
MAX_TOKEN_NAME = 100


class NoPerson(Exception):
    """The NIP signs in as nobody: on no roster (or inactive) and holding no role."""


@dataclass(frozen=True)
class StartedSession:
    secret: str  # for the cookie; never stored
    record: SessionRecord
    principal: Principal


def start_session(
    uow_factory: UowFactory, settings: AuthSettings, *, nip: str, method: str, now: datetime
) -> StartedSession:
    with uow_factory() as uow:
        principal = principal_of(uow, nip)
        if principal is None:
            raise NoPerson(nip)
        secret = new_secret()
        record = SessionRecord(
            id_hash=digest(secret),
            nip=nip,
            method=method,
            csrf_token=new_secret(),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_hours),
        )
        uow.identity.add_session(record)
        uow.commit()
    return StartedSession(secret=secret, record=record, principal=principal)


def session_principal(
    uow_factory: UowFactory, settings: AuthSettings, secret: str, now: datetime
) -> tuple[Principal, SessionRecord] | None:
    """The person of a live session, or None (unknown, revoked, idle too long, past its absolute expiry)."""
    with uow_factory() as uow:
        record = uow.identity.session(digest(secret))
        if record is None or record.revoked_at is not None or record.expires_at <= now:
            return None
        if record.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now:
            uow.identity.revoke_session(record.id_hash, now)
            uow.commit()
            return None
        principal = principal_of(uow, record.nip)
        if principal is None or _disabled(uow, record.nip):
            return None
        if now - record.last_seen_at >= TOUCH_EVERY:
            uow.identity.touch_session(record.id_hash, now)
            uow.commit()
    return principal, record


def end_session(uow_factory: UowFactory, secret: str, now: datetime) -> None:
    with uow_factory() as uow:
        uow.identity.revoke_session(digest(secret), now)
        uow.commit()


def create_token(
    uow_factory: UowFactory,
    settings: AuthSettings,
    *,
    nip: str,
    name: str,
    scopes: frozenset[Scope],
    days: int | None,
    now: datetime,
    not_after: datetime | None = None,
) -> tuple[str, TokenRecord]:
    """A new personal access token (the secret, shown once, and what is kept of it)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_TOKEN_NAME or any(ord(ch) < 32 for ch in name):
        raise DomainError(f"nama token wajib, paling panjang {MAX_TOKEN_NAME} karakter", field="nama")
    if not scopes:
        raise DomainError("token memerlukan sedikitnya satu cakupan (baca, langkah)", field="cakupan")
    lifetime = days or settings.token_days
    if not 1 <= lifetime <= settings.max_token_days:
        raise DomainError(f"masa berlaku token 1 sampai {settings.max_token_days} hari", field="hari")
    secret = new_token()
    with uow_factory() as uow:
        if principal_of(uow, nip) is None:
            raise NoPerson(nip)
        expires = now + timedelta(days=lifetime)
        if not_after is not None:  # made with another token: it cannot outlive that one
            expires = min(expires, not_after)
        token_id = uow.identity.add_token(digest(secret), nip, name, scopes, now, expires)
        uow.audit.append(
            AuditEntry(
                occurred_at=now,
                actor=nip,
                actor_role=Role.PEGAWAI,
                action="token.create",
                subject=nip,
                after={"token_id": token_id, "name": name, "scopes": sorted(scopes), "days": lifetime},
            )
        )
        uow.commit()
        # By its hash (unique, indexed): not a scan of every token the person ever made, which grew with each one.
        record = uow.identity.token(digest(secret))
    if record is None or record.id != token_id:  # written just above, in this unit of work
        raise RuntimeError(f"token {token_id} not found after it was written")
    return secret, record


def token_principal(uow_factory: UowFactory, secret: str, now: datetime) -> Principal | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    with uow_factory() as uow:
        record = uow.identity.token(digest(secret))
        if record is None or record.revoked_at is not None or record.expires_at <= now:
            return None
        if _disabled(uow, record.nip):
            return None
        principal = principal_of(uow, record.nip, scopes=record.scopes & ALL_SCOPES)
        if principal is None:
            return None
        if record.last_used_at is None or now - record.last_used_at >= TOUCH_EVERY:
            uow.identity.touch_token(record.id, now)
            uow.commit()
    return principal


def presented_token(uow_factory: UowFactory, secret: str) -> TokenRecord | None:
    """The record of a token someone presented (to revoke the one they signed out with)."""
    with uow_factory() as uow:
        return uow.identity.token(digest(secret))


def tokens_of(uow_factory: UowFactory, nip: str) -> list[TokenRecord]:
    with uow_factory() as uow:
        return uow.identity.tokens_of(nip)


def revoke_token(uow_factory: UowFactory, *, nip: str, token_id: int, now: datetime) -> None:
    with uow_factory() as uow:
        if not uow.identity.revoke_token(token_id, nip, now):
            raise NotFound(f"token {token_id} tidak ada atau sudah dicabut", field="token")
        uow.audit.append(
            AuditEntry(
                occurred_at=now,
                actor=nip,
                actor_role=Role.PEGAWAI,
                action="token.revoke",
                subject=nip,
                after={"token_id": token_id},
            )
        )
        uow.commit()


def _disabled(uow: AbstractUnitOfWork, nip: str) -> bool:
    account = uow.identity.account(nip)
    return account is not None and account.disabled
