"""Small SQL helpers the repositories share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from domain.errors import ConcurrencyConflict
from persistence.orm import Base


def insert_unless_exists(session: Session, entity: type[Base], conflict_columns: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT (columns) DO NOTHING for the session's backend.

    Both SQLite and PostgreSQL resolve the conflict inside the statement: a concurrent writer of the same key waits
    for the first to finish and then inserts nothing, and the surrounding transaction stays usable (no SAVEPOINT,
    which SQLite's legacy driver mode cannot nest reliably).
    """
    return dialect_insert(backend(session), entity).on_conflict_do_nothing(index_elements=list(conflict_columns))


def backend(session: Session) -> str:
    """The session's database backend: "sqlite" or "postgresql"."""
    return session.get_bind().dialect.name


@cache
def keyed_insert(dialect: str, table: Table, key: str, returning: str) -> Insert:
    """INSERT INTO table ... ON CONFLICT (key) DO NOTHING RETURNING returning, built once per backend and table.

    For the writes of every step a person takes: the values go in as execution parameters, so SQLAlchemy neither
    builds the statement again nor recomputes its cache key (building it with .values() was most of the cost of
    an audit append in a profile of the worker).
    """
    insert = dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=[key])
    return insert.returning(table.c[returning])


def dialect_insert(dialect: str, target: type[Base] | Table) -> postgresql.Insert | sqlite.Insert:
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    raise NotImplementedError(f"unsupported database backend: {dialect}")


# Session.info key under which repositories note what versioned records a unit of work is writing, so a conflict
# detected at commit can say which record it was.
VERSIONED_WRITES = "kinerja.versioned_writes"


def conflict_message(what: str, version: int | None = None) -> str:
    read = f" (versi {version})" if version is not None else ""
    return f"{what}{read} telah diubah oleh pengguna lain sejak dibuka; muat ulang lalu ulangi perubahan Anda"


@contextmanager
def stale_data_as_conflict(what: str, version: int | None = None) -> Iterator[None]:
    """A lost update caught by a version column becomes a ConcurrencyConflict the user can act on."""
    try:
        yield
    except StaleDataError as exc:
        raise ConcurrencyConflict(conflict_message(what, version), rule="optimistic concurrency") from exc
