"""What the API benchmark runs beside the dev server and the workers: the web service as a real uvicorn process,
and PostgreSQL databases of its own.

The web service is started the way `kinerja web` serves it in production: `uvicorn --factory
web.app:app_from_environment` with no access log and no proxy-headers middleware, settings from the environment,
uvicorn's defaults otherwise (the asyncio loop and h11: the project installs neither uvloop nor httptools). Its CPU
is read for the whole process tree, so `--workers 2` counts both of uvicorn's worker processes.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.processes import START_TIMEOUT, Child, Memory, free_port, spawn

DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_ADMIN_URL_ENV = "KINERJA_BENCH_POSTGRES_URL"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def postgres_admin_url() -> str:
    return os.environ.get(POSTGRES_ADMIN_URL_ENV) or DEFAULT_POSTGRES_ADMIN_URL


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(admin_url: str, prefix: str) -> str:
    """A new, empty database on the server of `admin_url`; returns its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    if not name:
        return
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants (uvicorn's worker processes)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += _cpu(current)
        pending += _children(current)
    return total


def tree_memory(pid: int) -> Memory:
    """RSS and peak RSS summed over a process and its descendants."""
    rss = peak = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        pending += _children(current)
        try:
            text = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key == "VmRSS":
                rss += int(value.split()[0]) / 1024
            elif key == "VmHWM":
                peak += int(value.split()[0]) / 1024
    return Memory(rss_mib=rss, peak_mib=peak)


def web_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "web.app:app_from_environment",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        # As `kinerja web` runs it (cli/web.py): no access log, forwarded headers believed only by the app itself.
        "--no-access-log",
        "--no-proxy-headers",
    ]


async def start_web(data_dir: Path, env: dict[str, str], *, workers: int = 1, name: str = "web") -> tuple[Child, str]:
    """The web service on a free loopback port, ready once /healthz answers; returns it and its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    child = spawn(f"kinerja {name}", web_command(port, workers), data_dir / f"{name}.log", env)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=base, timeout=5.0) as http:
        while True:
            if child.popen.poll() is not None:
                raise RuntimeError(f"the web service exited with {child.popen.returncode}:\n{child.tail(20)}")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return child, base
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                raise RuntimeError(f"the web service did not answer at {base}:\n{child.tail(20)}")
            await asyncio.sleep(0.2)
