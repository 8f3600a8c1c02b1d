"""The domain database as the command line opens it: the URL from settings, migrated to the newest schema."""

from __future__ import annotations

from collections.abc import Callable

from persistence import db
from persistence.ports import AbstractUnitOfWork
from persistence.uow import SqlAlchemyUnitOfWork
from settings import Settings


def open_database(settings: Settings, *, migrate: bool = True) -> Callable[[], AbstractUnitOfWork]:
    """A unit-of-work factory on `DATABASE_URL` (default: `kinerja.db` in the working directory).

    Migrating on open is what makes the embedded default work with no set-up; on a database that is already at the
    newest revision it only reads the version table.
    """
    url = db.resolve_url(settings.database_url)
    if migrate:
        db.upgrade(url)
    session_factory = db.make_session_factory(db.make_engine(url))
    return lambda: SqlAlchemyUnitOfWork(session_factory)
