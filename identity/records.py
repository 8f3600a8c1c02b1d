"""What the identity services keep, and the repository protocol they ask of storage (no SQLAlchemy here)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.access import Grant, Scope
from domain.stages import Role


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class Account(_Record):
    nip: str
    password_hash: str | None = None
    disabled: bool = False
    failed_logins: int = 0
    locked_until: AwareDatetime | None = None
    created_at: AwareDatetime
    created_by: str
    password_set_at: AwareDatetime | None = None


class SessionRecord(_Record):
    id_hash: str
    nip: str
    method: str
    csrf_token: str
    created_at: AwareDatetime
    last_seen_at: AwareDatetime
    expires_at: AwareDatetime
    revoked_at: AwareDatetime | None = None


class TokenRecord(_Record):
    id: int
    nip: str
    name: str
    scopes: frozenset[Scope]
    created_at: AwareDatetime
    expires_at: AwareDatetime
    revoked_at: AwareDatetime | None = None
    last_used_at: AwareDatetime | None = None


class GrantRecord(_Record):
    id: int
    nip: str
    grant: Grant
    granted_by: str
    granted_at: AwareDatetime


class OidcLogin(_Record):
    nonce: str
    code_verifier: str
    next_path: str
    created_at: AwareDatetime


class IdentityRepository(Protocol):
    # accounts
    def account(self, nip: str) -> Account | None: ...
    def add_account(self, account: Account) -> None: ...
    def set_password(self, nip: str, password_hash: str, at: datetime) -> None: ...
    def set_disabled(self, nip: str, disabled: bool) -> None: ...
    def count_failure(self, nip: str) -> int: ...
    def set_failures(self, nip: str, failed_logins: int, locked_until: datetime | None) -> None: ...
    # one-time links
    def add_link(self, token_hash: str, nip: str, purpose: str, at: datetime, expires_at: datetime) -> None: ...
    def use_link(self, token_hash: str, purpose: str, at: datetime) -> str | None: ...
    # sessions
    def add_session(self, session: SessionRecord) -> None: ...
    def session(self, id_hash: str) -> SessionRecord | None: ...
    def touch_session(self, id_hash: str, at: datetime) -> None: ...
    def revoke_session(self, id_hash: str, at: datetime) -> None: ...
    def revoke_sessions_of(self, nip: str, at: datetime) -> int: ...
    # personal access tokens
    def add_token(
        self, token_hash: str, nip: str, name: str, scopes: frozenset[Scope], at: datetime, expires_at: datetime
    ) -> int: ...
    def token(self, token_hash: str) -> TokenRecord | None: ...
    def touch_token(self, token_id: int, at: datetime) -> None: ...
    def tokens_of(self, nip: str) -> list[TokenRecord]: ...
    def revoke_token(self, token_id: int, nip: str, at: datetime) -> bool: ...
    def revoke_tokens_of(self, nip: str, at: datetime) -> int: ...
    # OpenID Connect sign-ins under way
    def add_oidc_login(self, state_hash: str, login: OidcLogin) -> None: ...
    def take_oidc_login(self, state_hash: str) -> OidcLogin | None: ...
    def prune_oidc_logins(self, before: datetime) -> None: ...
    # failed sign-ins per address
    def add_failure(self, address: str, at: datetime) -> None: ...
    def failures_since(self, address: str, since: datetime) -> int: ...
    def prune_failures(self, before: datetime) -> None: ...
    # role grants
    def grants_of(self, nip: str) -> list[Grant]: ...
    def grants_in(self, instansi_code: str) -> list[GrantRecord]: ...
    def holders(self, instansi_code: str, role: Role, cycle_id: str | None = None) -> list[str]: ...
    def add_grant(self, nip: str, grant: Grant, by: str, at: datetime) -> int: ...
    def revoke_grant(self, grant_id: int, instansi_code: str, by: str, at: datetime) -> GrantRecord | None: ...
