"""Local accounts: created by the admin kepegawaian from the roster, a first password set through a one-time link
sent by the outbox, signed in with NIP and password, locked after repeated failures, reset the same way.

Every account change and every failed sign-in writes an audit entry; a failure also counts against the address it
came from (the per-address rate limit), so guessing across many accounts from one place is slowed as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher

from domain.audit import SYSTEM_ACTOR, AuditEntry
from domain.errors import DomainError, NotFound
from domain.stages import Role
from identity.passwords import check_new_password, verify
from identity.records import Account
from identity.secrets import digest, new_secret
from persistence.ports import AbstractUnitOfWork, OutboxMessage
from services.notices import route
from settings import AuthSettings

UowFactory = Callable[[], AbstractUnitOfWork]


class LinkPurpose(StrEnum):
    SET = "set"  # the first password
    RESET = "reset"


class LoginRefused(Exception):
    """A sign-in that did not succeed: the message never tells which of NIP or password was wrong."""

    def __init__(self, message: str, *, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.rate_limited = rate_limited


def wrong(settings: AuthSettings) -> str:
    """Every refused sign-in's words, whatever the reason (unknown NIP, wrong password, locked, disabled)."""
    return (
        f"NIP atau kata sandi salah. Setelah {settings.max_failed_logins} kali gagal berturut-turut akun terkunci"
        f" {settings.lockout_minutes} menit; admin kepegawaian dapat membukanya lebih cepat"
    )


@dataclass(frozen=True)
class Link:
    nip: str
    url: str
    sent_by_email: bool  # False: the roster has no address; whoever created it hands the link over


def create_account(
    uow_factory: UowFactory, settings: AuthSettings, *, nip: str, instansi_code: str, actor: str, now: datetime
) -> Link:
    """An account for an active employee of the instansi, or for someone on no roster who holds a role in it (the
    Sekda who is pimpinan of a dinas), and the link to set its first password."""
    with uow_factory() as uow:
        if not administered_by(uow, nip, instansi_code):
            raise NotFound(
                f"pegawai aktif dengan NIP {nip} tidak ada pada roster instansi {instansi_code}, dan NIP itu tidak"
                " memegang peran di instansi ini",
                field="nip",
            )
        if uow.identity.account(nip) is not None:
            raise DomainError(f"akun NIP {nip} sudah ada; kirim tautan atur ulang bila perlu", field="nip")
        uow.identity.add_account(Account(nip=nip, created_at=now, created_by=actor))
        _audit(uow, actor, "account.create", nip, now, after={"instansi": instansi_code})
        link = _send_link(uow, settings, nip, LinkPurpose.SET, now)
        uow.commit()
    return link


def administered_by(uow: AbstractUnitOfWork, nip: str, instansi_code: str) -> bool:
    """Whether the instansi's admin kepegawaian looks after this person's account: an active employee of its roster,
    or someone on no roster whose every role is in this instansi. Someone on no roster who also holds a role in
    another instansi is looked after by neither: otherwise an admin could grant them a small role here, take a reset
    link for their account, and act with their roles there."""
    employee = uow.employees.get(nip)
    if employee is not None:
        return employee.active and uow.employees.instansi_of(nip) == instansi_code
    grants = uow.identity.grants_of(nip)
    return bool(grants) and all(grant.instansi_code == instansi_code for grant in grants)


def send_reset_link(uow_factory: UowFactory, settings: AuthSettings, *, nip: str, actor: str, now: datetime) -> Link:
    """A new reset link (the admin's `kinerja akun atur-ulang`, or the person asking for one)."""
    with uow_factory() as uow:
        if uow.identity.account(nip) is None:
            raise NotFound(f"akun NIP {nip} tidak ada", field="nip")
        link = _send_link(uow, settings, nip, LinkPurpose.RESET, now)
        _audit(uow, actor, "account.reset_link", nip, now)
        uow.commit()
    return link


def request_reset(uow_factory: UowFactory, settings: AuthSettings, *, nip: str, address: str, now: datetime) -> None:
    """Someone asks for a reset link for `nip`: sent only by e-mail, and only if the account exists, with the same
    answer either way. Each request counts against its address like a failed sign-in, so nobody can flood a
    person's mailbox or probe for accounts from one place."""
    window = now - timedelta(minutes=settings.failure_window_minutes)
    with uow_factory() as uow:
        if uow.identity.failures_since(address, window) >= settings.failures_per_address:
            raise LoginRefused(
                f"terlalu banyak permintaan dari alamat ini; coba lagi setelah {settings.failure_window_minutes} menit",
                rate_limited=True,
            )
        uow.identity.add_failure(address, now)
        exists = uow.identity.account(nip) is not None
        uow.commit()
    if exists:
        # Without an address in the roster the link is only made, never shown: the admin kepegawaian sends a new one.
        send_reset_link(uow_factory, settings, nip=nip, actor=SYSTEM_ACTOR, now=now)


def set_password(uow_factory: UowFactory, hasher: PasswordHasher, *, secret: str, password: str, now: datetime) -> str:
    """Use a one-time link: the password it sets, every session and token of the person ended. Returns the NIP."""
    with uow_factory() as uow:
        token_hash = digest(secret)
        nip = uow.identity.use_link(token_hash, LinkPurpose.SET, now) or uow.identity.use_link(
            token_hash, LinkPurpose.RESET, now
        )
        if nip is None:
            raise DomainError(
                "tautan tidak berlaku (sudah dipakai, kedaluwarsa, atau salah); minta tautan baru", field="tautan"
            )
        check_new_password(password, nip)
        uow.identity.set_password(nip, hasher.hash(password), now)
        uow.identity.revoke_sessions_of(nip, now)
        uow.identity.revoke_tokens_of(nip, now)
        _audit(uow, nip, "account.password_set", nip, now, role=Role.PEGAWAI)
        uow.commit()
    return nip


def set_disabled(uow_factory: UowFactory, *, nip: str, disabled: bool, actor: str, now: datetime) -> None:
    """Disable (every session and token ends) or enable an account; enabling also unlocks it."""
    with uow_factory() as uow:
        if uow.identity.account(nip) is None:
            raise NotFound(f"akun NIP {nip} tidak ada", field="nip")
        uow.identity.set_disabled(nip, disabled)
        if disabled:
            uow.identity.revoke_sessions_of(nip, now)
            uow.identity.revoke_tokens_of(nip, now)
        _audit(uow, actor, "account.disable" if disabled else "account.enable", nip, now)
        uow.commit()


def unlock(uow_factory: UowFactory, *, nip: str, actor: str, now: datetime) -> None:
    with uow_factory() as uow:
        if uow.identity.account(nip) is None:
            raise NotFound(f"akun NIP {nip} tidak ada", field="nip")
        uow.identity.set_failures(nip, 0, None)
        _audit(uow, actor, "account.unlock", nip, now)
        uow.commit()


def authenticate(
    uow_factory: UowFactory,
    settings: AuthSettings,
    hasher: PasswordHasher,
    *,
    nip: str,
    password: str,
    address: str,
    now: datetime,
) -> str:
    """The NIP whose password this is, or LoginRefused. Locked, disabled and unknown accounts are refused with the
    same words as a wrong password, after the same work, so a guesser learns nothing of which NIPs exist."""
    window = now - timedelta(minutes=settings.failure_window_minutes)
    with uow_factory() as uow:
        if uow.identity.failures_since(address, window) >= settings.failures_per_address:
            _fail(uow, nip, address, "rate_limited", now)
            uow.commit()
            raise LoginRefused(
                f"terlalu banyak percobaan masuk yang gagal dari alamat ini; coba lagi setelah"
                f" {settings.failure_window_minutes} menit",
                rate_limited=True,
            )
        account = uow.identity.account(nip) if _is_nip(nip) else None
    stored = account.password_hash if account is not None else None
    matches = verify(hasher, stored or _dummy_hash(hasher), password[:256])
    with uow_factory() as uow:
        if account is None or stored is None:
            _fail(uow, nip, address, "unknown" if account is None else "no_password", now)
            uow.commit()
            raise LoginRefused(wrong(settings))
        locked = account.locked_until is not None and account.locked_until > now
        if account.disabled or locked:
            _fail(uow, nip, address, "disabled" if account.disabled else "locked", now)
            uow.commit()
            # The same words as a wrong password: "locked" would tell a guesser that this NIP has an account.
            raise LoginRefused(wrong(settings))
        if not matches:
            locks = uow.identity.count_failure(nip) >= settings.max_failed_logins
            if locks:
                uow.identity.set_failures(nip, 0, now + timedelta(minutes=settings.lockout_minutes))
            _fail(uow, nip, address, "locked_now" if locks else "wrong_password", now)
            uow.commit()
            raise LoginRefused(wrong(settings))
        if account.failed_logins or account.locked_until is not None:
            uow.identity.set_failures(nip, 0, None)
        if hasher.check_needs_rehash(stored):
            uow.identity.set_password(nip, hasher.hash(password), account.password_set_at or now)
        uow.identity.prune_failures(now - timedelta(days=1))
        uow.commit()
    return nip


def _fail(uow: AbstractUnitOfWork, nip: str, address: str, why: str, now: datetime) -> None:
    uow.identity.add_failure(address, now)
    uow.audit.append(
        AuditEntry(
            occurred_at=now,
            actor=SYSTEM_ACTOR,
            actor_role=Role.SYSTEM,
            action="login.failed",
            subject=nip if _is_nip(nip) else None,
            reason=why,
            after={"address": address[:64]},
        )
    )


def _is_nip(text: str) -> bool:
    return len(text) == 18 and text.isdigit()


_DUMMY: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash to verify against when there is none, so an unknown NIP costs as much as a known one."""
    key = id(hasher)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash(new_secret())
    return _DUMMY[key]


def _send_link(uow: AbstractUnitOfWork, settings: AuthSettings, nip: str, purpose: LinkPurpose, now: datetime) -> Link:
    secret = new_secret()
    expires = now + timedelta(hours=settings.link_hours)
    uow.identity.add_link(digest(secret), nip, purpose.value, now, expires)
    url = f"{settings.public_url.rstrip('/')}/akun/kata-sandi?tautan={secret}"
    email = uow.employees.emails([nip]).get(nip)
    if not email:
        # The log channel would write the secret into the worker's log: whoever created the account hands it over.
        return Link(nip=nip, url=url, sent_by_email=False)
    channel, recipient = route(nip, email)
    first = purpose is LinkPurpose.SET
    uow.outbox.enqueue(
        OutboxMessage(
            created_at=now,
            channel=channel,
            recipient=recipient,
            subject="Kinerja: atur kata sandi akun Anda" if first else "Kinerja: atur ulang kata sandi",
            body=(
                ("Akun Kinerja Anda sudah dibuat." if first else "Ada permintaan atur ulang kata sandi akun Anda.")
                + f"\n\nBuka tautan berikut untuk mengatur kata sandi (berlaku {settings.link_hours} jam, sekali"
                f" pakai):\n{url}\n\nNIP Anda adalah nama pengguna. Abaikan pesan ini bila Anda tidak memintanya."
            ),
            idempotency_key=f"account-link:{digest(secret)}",
        )
    )
    return Link(nip=nip, url=url, sent_by_email=True)


def _audit(
    uow: AbstractUnitOfWork,
    actor: str,
    action: str,
    nip: str,
    now: datetime,
    *,
    role: Role = Role.ADMIN_KEPEGAWAIAN,
    after: dict[str, object] | None = None,
) -> None:
    uow.audit.append(AuditEntry(occurred_at=now, actor=actor, actor_role=role, action=action, subject=nip, after=after))
