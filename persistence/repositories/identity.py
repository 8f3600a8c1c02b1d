"""Accounts, one-time links, sessions, tokens, OpenID Connect sign-ins, failed sign-ins and role grants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from domain.access import Grant, Scope
from domain.stages import Role
from identity.records import Account, GrantRecord, OidcLogin, SessionRecord, TokenRecord
from persistence.orm import (
    AccessTokenRow,
    AccountLinkRow,
    AccountRow,
    AuthSessionRow,
    LoginFailureRow,
    OidcLoginRow,
    RoleGrantRow,
)


class SqlIdentityRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # --- accounts -----------------------------------------------------------------------------------------------

    def account(self, nip: str) -> Account | None:
        row = self._session.get(AccountRow, nip)
        if row is None:
            return None
        return Account(
            nip=row.nip,
            password_hash=row.password_hash,
            disabled=row.disabled,
            failed_logins=row.failed_logins,
            locked_until=row.locked_until,
            created_at=row.created_at,
            created_by=row.created_by,
            password_set_at=row.password_set_at,
        )

    def add_account(self, account: Account) -> None:
        self._session.add(AccountRow(**account.model_dump()))
        self._session.flush()

    def set_password(self, nip: str, password_hash: str, at: datetime) -> None:
        self._session.execute(
            update(AccountRow)
            .where(AccountRow.nip == nip)
            .values(password_hash=password_hash, password_set_at=at, failed_logins=0, locked_until=None)
        )

    def set_disabled(self, nip: str, disabled: bool) -> None:
        values: dict[str, object] = {"disabled": disabled}
        if not disabled:
            values.update(failed_logins=0, locked_until=None)
        self._session.execute(update(AccountRow).where(AccountRow.nip == nip).values(**values))

    def count_failure(self, nip: str) -> int:
        """One more wrong password in a row, counted by the database (two guesses at once both count)."""
        done = self._session.execute(
            update(AccountRow)
            .where(AccountRow.nip == nip)
            .values(failed_logins=AccountRow.failed_logins + 1)
            .returning(AccountRow.failed_logins)
        )
        return int(done.scalar_one())

    def set_failures(self, nip: str, failed_logins: int, locked_until: datetime | None) -> None:
        self._session.execute(
            update(AccountRow)
            .where(AccountRow.nip == nip)
            .values(failed_logins=failed_logins, locked_until=locked_until)
        )

    # --- one-time links -----------------------------------------------------------------------------------------

    def add_link(self, token_hash: str, nip: str, purpose: str, at: datetime, expires_at: datetime) -> None:
        self._session.add(
            AccountLinkRow(token_hash=token_hash, nip=nip, purpose=purpose, created_at=at, expires_at=expires_at)
        )
        self._session.flush()

    def use_link(self, token_hash: str, purpose: str, at: datetime) -> str | None:
        """The link's NIP, marking it used, or None if it is unknown, used, expired or for something else."""
        row = self._session.get(AccountLinkRow, token_hash, with_for_update=True)
        if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at <= at:
            return None
        row.used_at = at
        # Every other link of the person is spent too: only the newest one sent could be the one they meant.
        self._session.execute(
            update(AccountLinkRow)
            .where(AccountLinkRow.nip == row.nip, AccountLinkRow.used_at.is_(None))
            .values(used_at=at)
        )
        return row.nip

    # --- sessions -----------------------------------------------------------------------------------------------

    def add_session(self, session: SessionRecord) -> None:
        self._session.add(AuthSessionRow(**session.model_dump()))
        self._session.flush()

    def session(self, id_hash: str) -> SessionRecord | None:
        row = self._session.get(AuthSessionRow, id_hash)
        if row is None:
            return None
        return SessionRecord(
            id_hash=row.id_hash,
            nip=row.nip,
            method=row.method,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )

    def touch_session(self, id_hash: str, at: datetime) -> None:
        self._session.execute(update(AuthSessionRow).where(AuthSessionRow.id_hash == id_hash).values(last_seen_at=at))

    def revoke_session(self, id_hash: str, at: datetime) -> None:
        self._session.execute(
            update(AuthSessionRow)
            .where(AuthSessionRow.id_hash == id_hash, AuthSessionRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def revoke_sessions_of(self, nip: str, at: datetime) -> int:
        done = self._session.execute(
            update(AuthSessionRow)
            .where(AuthSessionRow.nip == nip, AuthSessionRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(done.rowcount)  # type: ignore[attr-defined]

    # --- personal access tokens ---------------------------------------------------------------------------------

    def add_token(
        self, token_hash: str, nip: str, name: str, scopes: frozenset[Scope], at: datetime, expires_at: datetime
    ) -> int:
        row = AccessTokenRow(
            token_hash=token_hash,
            nip=nip,
            name=name,
            scopes=" ".join(sorted(scopes)),
            created_at=at,
            expires_at=expires_at,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def token(self, token_hash: str) -> TokenRecord | None:
        row = self._session.scalars(select(AccessTokenRow).where(AccessTokenRow.token_hash == token_hash)).first()
        return None if row is None else _token(row)

    def touch_token(self, token_id: int, at: datetime) -> None:
        self._session.execute(update(AccessTokenRow).where(AccessTokenRow.id == token_id).values(last_used_at=at))

    def tokens_of(self, nip: str) -> list[TokenRecord]:
        rows = self._session.scalars(
            select(AccessTokenRow).where(AccessTokenRow.nip == nip).order_by(AccessTokenRow.id)
        ).all()
        return [_token(row) for row in rows]

    def revoke_token(self, token_id: int, nip: str, at: datetime) -> bool:
        done = self._session.execute(
            update(AccessTokenRow)
            .where(AccessTokenRow.id == token_id, AccessTokenRow.nip == nip, AccessTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def revoke_tokens_of(self, nip: str, at: datetime) -> int:
        done = self._session.execute(
            update(AccessTokenRow)
            .where(AccessTokenRow.nip == nip, AccessTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(done.rowcount)  # type: ignore[attr-defined]

    # --- OpenID Connect sign-ins under way ----------------------------------------------------------------------

    def add_oidc_login(self, state_hash: str, login: OidcLogin) -> None:
        self._session.add(OidcLoginRow(state=state_hash, **login.model_dump()))
        self._session.flush()

    def take_oidc_login(self, state_hash: str) -> OidcLogin | None:
        """The sign-in under way with this state, deleted as it is read: a second callback finds nothing."""
        row = self._session.get(OidcLoginRow, state_hash)
        if row is None:
            return None
        login = OidcLogin(
            nonce=row.nonce, code_verifier=row.code_verifier, next_path=row.next_path, created_at=row.created_at
        )
        done = self._session.execute(delete(OidcLoginRow).where(OidcLoginRow.state == state_hash))
        return login if done.rowcount == 1 else None  # type: ignore[attr-defined]

    def prune_oidc_logins(self, before: datetime) -> None:
        self._session.execute(delete(OidcLoginRow).where(OidcLoginRow.created_at < before))

    # --- failed sign-ins ----------------------------------------------------------------------------------------

    def add_failure(self, address: str, at: datetime) -> None:
        self._session.add(LoginFailureRow(address=address, at=at))

    def failures_since(self, address: str, since: datetime) -> int:
        count = self._session.scalar(
            select(func.count()).where(LoginFailureRow.address == address, LoginFailureRow.at >= since)
        )
        return int(count or 0)

    def prune_failures(self, before: datetime) -> None:
        self._session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < before))

    # --- role grants --------------------------------------------------------------------------------------------

    def grants_of(self, nip: str) -> list[Grant]:
        rows = self._session.scalars(
            select(RoleGrantRow).where(RoleGrantRow.nip == nip, RoleGrantRow.revoked_at.is_(None))
        ).all()
        return [_grant(row) for row in rows]

    def grants_in(self, instansi_code: str) -> list[GrantRecord]:
        rows = self._session.scalars(
            select(RoleGrantRow)
            .where(RoleGrantRow.instansi_code == instansi_code, RoleGrantRow.revoked_at.is_(None))
            .order_by(RoleGrantRow.role, RoleGrantRow.nip)
        ).all()
        return [
            GrantRecord(id=row.id, nip=row.nip, grant=_grant(row), granted_by=row.granted_by, granted_at=row.granted_at)
            for row in rows
        ]

    def holders(self, instansi_code: str, role: Role, cycle_id: str | None = None) -> list[str]:
        query = select(RoleGrantRow.nip).where(
            RoleGrantRow.instansi_code == instansi_code,
            RoleGrantRow.role == role.value,
            RoleGrantRow.revoked_at.is_(None),
        )
        if cycle_id is not None:
            query = query.where((RoleGrantRow.cycle_id.is_(None)) | (RoleGrantRow.cycle_id == cycle_id))
        else:
            query = query.where(RoleGrantRow.cycle_id.is_(None))
        return sorted(set(self._session.scalars(query).all()))

    def add_grant(self, nip: str, grant: Grant, by: str, at: datetime) -> int:
        row = RoleGrantRow(
            nip=nip,
            role=grant.role.value,
            instansi_code=grant.instansi_code,
            cycle_id=grant.cycle_id,
            granted_by=by,
            granted_at=at,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def revoke_grant(self, grant_id: int, instansi_code: str, by: str, at: datetime) -> GrantRecord | None:
        row = self._session.get(RoleGrantRow, grant_id)
        if row is None or row.instansi_code != instansi_code or row.revoked_at is not None:
            return None
        row.revoked_at, row.revoked_by = at, by
        return GrantRecord(
            id=row.id, nip=row.nip, grant=_grant(row), granted_by=row.granted_by, granted_at=row.granted_at
        )


def _grant(row: RoleGrantRow) -> Grant:
    return Grant(role=Role(row.role), instansi_code=row.instansi_code, cycle_id=row.cycle_id)


def _token(row: AccessTokenRow) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        nip=row.nip,
        name=row.name,
        scopes=frozenset(Scope(scope) for scope in row.scopes.split()),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
