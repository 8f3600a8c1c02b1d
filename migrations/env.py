"""Alembic environment. The URL comes from the caller (persistence.db passes a connection), the ini's
sqlalchemy.url if someone sets one, or DATABASE_URL; it is never written in this repository."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from persistence.db import make_migration_engine, resolve_url
from persistence.orm import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)


def _url() -> str:
    return resolve_url(config.get_main_option("sqlalchemy.url"))


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode recreates the table instead.
        render_as_batch=sqlite,
        # make_migration_engine gives SQLite real transactions, so DDL is all-or-nothing there too.
        transactional_ddl=True,
        compare_type=True,
    )


def _check_foreign_keys(connection: Connection) -> None:
    # Foreign keys are off while SQLite migrates; refuse to commit a migration that left dangling references.
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
        _check_foreign_keys(connection)


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    engine = make_migration_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
