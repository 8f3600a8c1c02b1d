"""Least privilege on PostgreSQL: what the application's role may do to the tables the migrations made.

The migrations run as the owner of the database (docker-compose: `kinerja_owner`); the workers and the web service
connect as another role (`kinerja_app`) that `kinerja db upgrade --izin-untuk kinerja_app` grants, after every
upgrade, exactly this:

- read and write every table, except that
- `audit_log` may only be read and appended to (no UPDATE, DELETE or TRUNCATE: the triggers refuse those too, but
  a role that cannot lift them is what makes the log append-only for the application; issue 19),
- `audit_chain_heads` may only be read and moved on (UPDATE: no INSERT or DELETE),
- `alembic_version` may only be read (the services check the schema is current; only the owner migrates).

Only the owner (or a superuser) can change the triggers, the tables or these grants.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from persistence.db import is_sqlite, make_engine

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Table → the only privileges the application's role keeps on it.
RESTRICTED = {
    "audit_log": "SELECT, INSERT",
    "audit_chain_heads": "SELECT, UPDATE",
    "alembic_version": "SELECT",
}


class GrantRefused(ValueError):
    """The grant cannot be made as asked (a bad role name, a role that does not exist, SQLite)."""


def grant_application_role(url: str, role: str) -> None:
    """Give `role` what the workers and the web service need on the database at `url`, and no more."""
    if is_sqlite(url):
        raise GrantRefused("hak akses per peran hanya ada di PostgreSQL; SQLite adalah satu berkas tanpa pengguna")
    if not ROLE_NAME.match(role):
        raise GrantRefused(f"nama peran '{role}' tidak sah: huruf kecil, angka dan _ (paling banyak 63)")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first() is None:
                raise GrantRefused(f"peran '{role}' belum ada di PostgreSQL; buat dulu (CREATE ROLE {role} LOGIN ...)")
            if connection.execute(text("SELECT current_user")).scalar_one() == role:
                raise GrantRefused(f"jalankan migrasi sebagai pemilik basis data, bukan sebagai '{role}' sendiri")
            quoted = f'"{role}"'
            for statement in (
                # PostgreSQL 15 and later refuse it already; older ones let every role create tables in public.
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                f"GRANT USAGE ON SCHEMA public TO {quoted}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
                f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {quoted}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            ):
                connection.execute(text(statement))
            for table, kept in RESTRICTED.items():
                connection.execute(text(f"REVOKE ALL ON {table} FROM {quoted}"))
                connection.execute(text(f"GRANT {kept} ON {table} TO {quoted}"))
    finally:
        engine.dispose()
