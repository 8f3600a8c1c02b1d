"""Fixtures shared by the whole suite. Database fixtures are lazy: a test that asks for none touches no database.

- `database_url`: a fresh, migrated database for one test, parametrized over SQLite and PostgreSQL (the PostgreSQL
  case carries the `postgres` marker). `engine`, `session_factory` and `uow_factory` build on it.
- `sqlite_database_url` / `postgres_database_url`: the same for one backend only.
- `blank_database_url`: an empty database of the parametrized backend, for migration tests.

PostgreSQL is the server at 127.0.0.1:5432 (or $KINERJA_TEST_POSTGRES_URL); the suite starts the local cluster if it
is stopped. When it stays unreachable the PostgreSQL cases skip with the reason, or fail when CI=true.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

import temporal_client
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from tests.dbs import (
    Databases,
    PostgresDatabases,
    SqliteDatabases,
    ensure_postgres,
    postgres_admin_url,
)
from tests.smtp import SmtpServer
from workflows import search_attributes

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server, or a skip (a failure with CI=true) saying why not."""
    admin_url = postgres_admin_url()
    error = ensure_postgres(admin_url)
    if error is not None:
        reason = f"PostgreSQL not reachable at {_where(admin_url)}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(reason)
    return admin_url


def _where(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteDatabases]:
    databases = SqliteDatabases(tmp_path_factory.mktemp("sqlite"))
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: str) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_server)
    yield databases
    databases.close()


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request: pytest.FixtureRequest) -> Databases:
    """The database factory of the backend under test; the schema was migrated once, when it was first asked for."""
    fixture = "sqlite_databases" if request.param == "sqlite" else "postgres_databases"
    found: Databases = request.getfixturevalue(fixture)
    return found


def _fresh(databases: Databases) -> Iterator[str]:
    url = databases.fresh()
    yield url
    databases.drop(url)


@pytest.fixture
def database_url(databases: Databases) -> Iterator[str]:
    yield from _fresh(databases)


@pytest.fixture
def sqlite_database_url(sqlite_databases: SqliteDatabases) -> Iterator[str]:
    yield from _fresh(sqlite_databases)


@pytest.fixture
def postgres_database_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    yield from _fresh(postgres_databases)


@pytest.fixture
def blank_database_url(databases: Databases) -> Iterator[str]:
    url = databases.blank()
    yield url
    databases.drop(url)


@pytest.fixture
def backend(databases: Databases) -> str:
    """'sqlite' or 'postgresql', for the rare assertion that differs."""
    return databases.backend


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def uow_factory(session_factory: sessionmaker[Session]) -> Callable[[], SqlAlchemyUnitOfWork]:
    """A new unit of work per call, all on this test's own database: `with uow_factory() as uow: ...`."""
    return lambda: SqlAlchemyUnitOfWork(session_factory)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_client.dev_server_path()),
        dev_server_extra_args=search_attributes.dev_server_args(),
        data_converter=temporal_client.DATA_CONVERTER,
    )
    yield env
    await env.shutdown()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a free local port for one test; `smtp_server.inbox` holds what it received."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
