"""Test databases on SQLite and PostgreSQL: migrated once per session, then copied for every test.

Each test gets its own database cloned from a migrated template (a file copy on SQLite, `CREATE DATABASE ...
TEMPLATE` on PostgreSQL, ~0.1 s). That isolates tests completely, including code that opens its own connections
from other threads (Temporal activities), and needs no cleanup of the audit log, whose triggers refuse DELETE.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from persistence.db import upgrade

DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_ADMIN_URL_ENV = "KINERJA_TEST_POSTGRES_URL"  # CI may point the suite at a service container
START_WAIT_SECONDS = 15.0


def postgres_admin_url() -> str:
    return os.environ.get(POSTGRES_ADMIN_URL_ENV) or DEFAULT_POSTGRES_ADMIN_URL


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq understands it (no +driver)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_error(admin_url: str) -> str | None:
    """None when the server accepts a connection, else why not."""
    try:
        with psycopg.connect(libpq_url(admin_url), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip() or type(error).__name__
    return None


def start_local_postgres() -> tuple[bool, str]:
    """Try to start the Debian-packaged cluster(s) on this machine: (whether one started, what happened)."""
    ctl = shutil.which("pg_ctlcluster")
    config_root = Path("/etc/postgresql")
    if ctl is None or not config_root.is_dir():
        return False, "pg_ctlcluster is not installed"
    started = False
    outcomes = []
    for version in sorted(p.name for p in config_root.iterdir() if (p / "main").is_dir()):
        done = subprocess.run(
            [ctl, "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        started = started or done.returncode == 0
        message = (done.stderr or done.stdout).strip()
        outcomes.append(
            f"pg_ctlcluster {version} main start: exit {done.returncode}{': ' + message if message else ''}"
        )
    return started, "; ".join(outcomes) or "no cluster found under /etc/postgresql"


def ensure_postgres(admin_url: str) -> str | None:
    """Connect, starting the local cluster if needed; None when reachable, else the reason it is not."""
    error = postgres_error(admin_url)
    if error is None:
        return None
    host = make_url(admin_url).host
    if host not in {"127.0.0.1", "localhost", None}:
        return error
    started, what_happened = start_local_postgres()
    # A cluster that did start may need a moment before it accepts connections; one that did not is not waited for.
    deadline = time.monotonic() + (START_WAIT_SECONDS if started else 0)
    while True:
        error = postgres_error(admin_url)
        if error is None or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    return None if error is None else f"{error} (after trying to start it: {what_happened})"


class Databases(Protocol):
    backend: str

    def fresh(self) -> str:
        """The URL of a new database at the newest migration."""

    def blank(self) -> str:
        """The URL of a new, empty database (for migration tests)."""

    def drop(self, url: str) -> None: ...

    def close(self) -> None: ...


class SqliteDatabases:
    backend = "sqlite"

    def __init__(self, root: Path) -> None:
        self._root = root
        self._numbers = itertools.count(1)
        self._template = root / "template.db"
        upgrade(self._url(self._template))

    def fresh(self) -> str:
        path = self._root / f"test_{next(self._numbers)}.db"
        # upgrade() disposes its engine, so SQLite has checkpointed the WAL into the file: one file to copy.
        shutil.copyfile(self._template, path)
        return self._url(path)

    def blank(self) -> str:
        return self._url(self._root / f"blank_{next(self._numbers)}.db")

    def drop(self, url: str) -> None:
        database = make_url(url).database
        if database:
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    @staticmethod
    def _url(path: Path) -> str:
        return f"sqlite:///{path}"


class PostgresDatabases:
    backend = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url
        # Random per session, so parallel runs on one server (other checkouts, CI jobs) never collide.
        self._template = f"kinerja_test_{uuid.uuid4().hex[:10]}"
        self._numbers = itertools.count(1)
        self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self._template)))
        upgrade(self._url(self._template))

    def fresh(self) -> str:
        name = f"{self._template}_{next(self._numbers)}"
        self._execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(self._template))
        )
        return self._url(name)

    def blank(self) -> str:
        name = f"{self._template}_{next(self._numbers)}"
        self._execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        return self._url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        if name and name.startswith(self._template):
            self._drop(name)

    def close(self) -> None:
        with psycopg.connect(libpq_url(self._admin_url), autocommit=True) as connection:
            names = connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{self._template}%",)
            ).fetchall()
        for (name,) in names:
            self._drop(name)

    def _drop(self, name: str) -> None:
        # FORCE ends connections a test forgot to close (PostgreSQL 13+).
        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _execute(self, statement: sql.Composed) -> None:
        # CREATE/DROP DATABASE cannot run inside a transaction.
        with psycopg.connect(libpq_url(self._admin_url), autocommit=True) as connection:
            connection.execute(statement)

    def _url(self, name: str) -> str:
        return make_url(self._admin_url).set(database=name).render_as_string(hide_password=False)
