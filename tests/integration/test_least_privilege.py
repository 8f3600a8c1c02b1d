"""Least privilege on PostgreSQL (issue 19): the migrations run as the database's owner, the application as a role
`kinerja db upgrade --izin-untuk` grants, which may read and append to the audit log but never change it, and cannot
lift the triggers that refuse it either. docker-compose runs Kinerja this way (deploy/postgresql/roles.sh)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from domain.audit import AuditEntry
from domain.stages import Role
from persistence import db, grants
from persistence.uow import SqlAlchemyUnitOfWork
from services import audit_chain
from tests.dbs import libpq_url
from tests.integration.commands import kinerja


@dataclass(frozen=True)
class Roles:
    owner_url: str
    app_url: str
    app: str


def _admin(admin_url: str, statement: sql.Composed) -> None:
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as connection:
        connection.execute(statement)


@pytest.fixture
def roles(postgres_server: str) -> Iterator[Roles]:
    suffix = secrets.token_hex(4)
    owner, app, database = f"kinerja_owner_{suffix}", f"kinerja_app_{suffix}", f"kinerja_roles_{suffix}"
    passwords = {owner: secrets.token_hex(12), app: secrets.token_hex(12)}
    for role, password in passwords.items():
        _admin(postgres_server, sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), password))
    _admin(
        postgres_server, sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(owner))
    )
    base = make_url(postgres_server).set(database=database)

    def url(role: str) -> str:
        return base.set(username=role, password=passwords[role]).render_as_string(hide_password=False)

    try:
        yield Roles(owner_url=url(owner), app_url=url(app), app=app)
    finally:
        _admin(postgres_server, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        for role in (app, owner):
            _admin(postgres_server, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


ENTRY = AuditEntry(
    occurred_at=datetime(2027, 1, 4, 2, 0, tzinfo=UTC), actor="system", actor_role=Role.SYSTEM, action="import"
)


def test_the_application_role_appends_to_the_audit_log_and_cannot_change_it(
    roles: Roles, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", roles.owner_url)
    status, out, err = kinerja(capsys, "db", "upgrade", "--izin-untuk", roles.app)
    assert status == 0, err
    assert out.splitlines()[-1] == f"hak akses peran {roles.app}: baca-tulis; log audit hanya baca dan tambah"

    db.upgrade(roles.app_url)  # what a worker does when it starts: a no-op read of the version table
    engine = db.make_engine(roles.app_url)
    session_factory = db.make_session_factory(engine)
    try:
        with SqlAlchemyUnitOfWork(session_factory) as uow:
            assert uow.audit.append(ENTRY)
            uow.commit()
        assert audit_chain.verify(lambda: SqlAlchemyUnitOfWork(session_factory)).entries == 1
        for statement in (
            "UPDATE audit_log SET reason = 'diubah'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (99, 0, 'x')",
            "DELETE FROM audit_chain_heads",
            "UPDATE alembic_version SET version_num = '0001'",
            "CREATE TABLE mine (id int)",
        ):
            with engine.begin() as connection, pytest.raises(ProgrammingError) as refused:
                connection.execute(text(statement))
            assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), statement
    finally:
        engine.dispose()


def test_a_grant_that_cannot_be_made_says_why(roles: Roles, sqlite_database_url: str) -> None:
    db.upgrade(roles.owner_url)
    with pytest.raises(grants.GrantRefused, match="belum ada"):
        grants.grant_application_role(roles.owner_url, "tidak_ada_peran_ini")
    with pytest.raises(grants.GrantRefused, match="tidak sah"):
        grants.grant_application_role(roles.owner_url, 'x"; DROP TABLE audit_log; --')
    with pytest.raises(grants.GrantRefused, match="bukan sebagai"):
        grants.grant_application_role(roles.app_url, roles.app)
    with pytest.raises(grants.GrantRefused, match="hanya ada di PostgreSQL"):
        grants.grant_application_role(sqlite_database_url, roles.app)
