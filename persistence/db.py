"""Engines, sessions and schema migrations. Nothing connects at import time; callers pass the URL in.

SQLite runs in the sqlite3 driver's default ("legacy") transaction mode: a transaction begins at the first write,
so a unit of work that only reads holds no snapshot, and a writer waits (busy_timeout) for another writer instead of
failing on a stale WAL snapshot. That makes SQLite behave like PostgreSQL's READ COMMITTED for our purposes, with
the version columns catching lost updates on both. SAVEPOINTs are unreliable in this mode, so the repositories use
`INSERT ... ON CONFLICT DO NOTHING` for idempotent writes instead. Migrations, by contrast, use a connection with
real transactional DDL so a failed migration leaves nothing half-done.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///kinerja.db"
SQLITE_BUSY_TIMEOUT_MS = 15_000
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL came in (Heroku-style postgres://, bare postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def resolve_url(url: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The URL to use: the one given, else DATABASE_URL, else a SQLite file in the working directory."""
    env = os.environ if environ is None else environ
    return normalize_url(url or env.get("DATABASE_URL") or DEFAULT_DATABASE_URL)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the application: foreign keys, WAL and a busy timeout on SQLite; pre-ping on PostgreSQL."""
    url = normalize_url(url)
    if is_sqlite(url):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(foreign_keys=True))
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Domain models are built from rows before commit; expiring them afterwards would only cost a reload.
    return sessionmaker(bind=engine, expire_on_commit=False)


def _sqlite_pragmas(*, foreign_keys: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            cursor.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, far fewer fsyncs
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    return on_connect


def make_migration_engine(url: str) -> Engine:
    """An engine for Alembic: on SQLite, DDL runs inside a real BEGIN ... COMMIT so a migration is all or nothing.

    Foreign keys are off while migrating SQLite because batch operations recreate tables (dropping a referenced
    table would cascade checks); env.py runs `PRAGMA foreign_key_check` before committing instead.
    """
    url = normalize_url(url)
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url)
    pragmas = _sqlite_pragmas(foreign_keys=False)

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        pragmas(dbapi_connection, record)
        dbapi_connection.isolation_level = None  # the driver stops issuing its own BEGIN ...

    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")  # ... and SQLAlchemy issues it, DDL included

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


def alembic_config() -> Config:
    """Alembic settings built in code: the scripts are found next to this package, whatever the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    # env.py must not reconfigure logging (fileConfig would silence the application's loggers).
    config.attributes["configure_logger"] = False
    return config


def _run_alembic(url: str, action: Callable[[Config], None]) -> None:
    engine = make_migration_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            action(config)
            connection.commit()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (default: the newest)."""
    _run_alembic(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ("base" removes every table the migrations made)."""
    _run_alembic(url, lambda config: command.downgrade(config, revision))


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
