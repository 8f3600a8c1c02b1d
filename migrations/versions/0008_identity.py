"""Identity: who may sign in, with which roles in which instansi, and the sessions and tokens that prove it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Until now every step named its actor on the command line (`--oleh NIP`) and nothing proved it. The HTTP API (web/)
takes the actor from a signed-in session or a token instead, and these tables hold what that needs:

- `accounts`: local accounts for an office without an identity provider (argon2id hashes), their lockout state;
- `account_links`: one-time links to set or reset a password, stored as hashes, sent through the outbox;
- `auth_sessions`: browser sessions (the cookie's hash, idle and absolute expiry, revocation, the CSRF token);
- `access_tokens`: personal access tokens for programs and the command line (hashed, scoped, expiring, revocable);
- `oidc_logins`: the state, nonce and PKCE verifier of a sign-in through OpenID Connect under way (used once);
- `login_failures`: failed sign-ins per address, for the per-address rate limit;
- `role_grants`: the roles of people per instansi (and cycle, where it matters), granted and revoked with the actor.

The worklist also learns the atasan pejabat penilai of each appraisal, so the API can tell who may see and decide an
objection without asking Temporal. Rows written before it have none until their next step.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
CODE = sa.String(32)
NIP = sa.String(18)
HASH = sa.String(64)  # SHA-256, hex


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("nip", NIP, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("password_set_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("nip", name=op.f("pk_accounts")),
    )
    op.create_table(
        "account_links",
        sa.Column("token_hash", HASH, nullable=False),
        sa.Column("nip", NIP, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_account_links")),
    )
    op.create_index(op.f("ix_account_links_nip"), "account_links", ["nip"])
    op.create_table(
        "auth_sessions",
        sa.Column("id_hash", HASH, nullable=False),
        sa.Column("nip", NIP, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_auth_sessions")),
    )
    op.create_index(op.f("ix_auth_sessions_nip"), "auth_sessions", ["nip"])
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", HASH, nullable=False),
        sa.Column("nip", NIP, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scopes", sa.String(100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_tokens_token_hash")),
    )
    op.create_index(op.f("ix_access_tokens_nip"), "access_tokens", ["nip"])
    op.create_table(
        "oidc_logins",
        sa.Column("state", HASH, nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("next_path", sa.String(300), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_oidc_logins")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_address", "login_failures", ["address", "at"])
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("nip", NIP, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("cycle_id", sa.String(64), nullable=True),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("granted_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["instansi_code"], ["instansi.code"], name=op.f("fk_role_grants_instansi_code_instansi")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
    )
    op.create_index("ix_role_grants_nip", "role_grants", ["nip", "revoked_at"])
    op.create_index("ix_role_grants_instansi_role", "role_grants", ["instansi_code", "role", "revoked_at"])
    with op.batch_alter_table("worklist") as batch:
        batch.add_column(sa.Column("atasan_nip", NIP, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("worklist") as batch:
        batch.drop_column("atasan_nip")
    for table in (
        "role_grants",
        "login_failures",
        "oidc_logins",
        "access_tokens",
        "auth_sessions",
        "account_links",
        "accounts",
    ):
        op.drop_table(table)
