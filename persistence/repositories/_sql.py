"""Small SQL helpers the repositories share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Insert
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
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(entity).on_conflict_do_nothing(index_elements=list(conflict_columns))
    if name == "sqlite":
        return sqlite.insert(entity).on_conflict_do_nothing(index_elements=list(conflict_columns))
    raise NotImplementedError(f"unsupported database backend: {name}")


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
