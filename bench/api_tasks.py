"""'My tasks' (`GET /api/v1/me/tasks`) against a province-sized worklist on PostgreSQL, and signing in.

The web service runs with a Temporal address where nothing listens: the list is read from the worklist table only,
and a request that needed Temporal (visibility or anything else) would fail.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine, event

from bench.enrolment import UowFactory
from bench.measure import Latency, latency, run_pool
from bench.processes import Child, Memory
from bench.web_stack import tree_cpu_seconds, tree_memory
from domain.access import ALL_SCOPES
from domain.worklist import WorklistQuery
from identity import sessions
from identity.passwords import hasher
from identity.records import Account
from services.worklist import names_of, open_steps
from settings import AuthSettings, load_settings
from web.server_timing import server_ms

LIST_LIMIT = 100  # the route's default `batas`
PASSWORD = "kata-sandi-bench-2026"


@dataclass(frozen=True)
class Load:
    """Requests sent `concurrency` at a time, each lane sending its next as soon as the last was answered."""

    concurrency: int
    requests: int
    seconds: float
    latency: Latency
    web_cpu_seconds: float
    think: float = 0.0  # mean seconds each user waits between an answer and their next request (0: none)
    errors: int = 0  # connections reset (not timed; more than 1% fails the run)
    server: Latency | None = None  # the app's own time per request (its Server-Timing header), where read

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def web_cpu_ms_per_request(self) -> float:
        return 1000 * self.web_cpu_seconds / self.requests


@dataclass(frozen=True)
class Plan:
    """EXPLAIN ANALYZE of the statements one 'My tasks' request runs, for one person."""

    nip: str
    open_steps: int
    statements: list[str]
    plans: list[str]

    @property
    def uses_assignee_index(self) -> bool:
        """Every statement on the worklist uses ix_worklist_assignee (the roster's, for the names, use its own)."""
        on_worklist = [
            plan for statement, plan in zip(self.statements, self.plans, strict=True) if "worklist" in statement
        ]
        return bool(on_worklist) and all("ix_worklist_assignee" in plan for plan in on_worklist)


@dataclass(frozen=True)
class HashCost:
    """One argon2id hash (and one verification) in this process, with the settings' parameters."""

    time_cost: int
    memory_kib: int
    parallelism: int
    hash_ms: list[float] = field(default_factory=list)
    hash_cpu_ms: list[float] = field(default_factory=list)
    verify_ms: list[float] = field(default_factory=list)

    @property
    def hash_p50(self) -> float:
        return statistics.median(self.hash_ms)

    @property
    def hash_cpu_p50(self) -> float:
        return statistics.median(self.hash_cpu_ms)

    @property
    def verify_p50(self) -> float:
        return statistics.median(self.verify_ms)


def auth_settings() -> AuthSettings:
    """The sign-in settings the web service reads: this environment's (AUTH__*), the defaults unless set."""
    return load_settings().auth


def make_tokens(uow_factory: UowFactory, nips: Sequence[str]) -> dict[str, str]:
    now = datetime.now(UTC)
    settings = auth_settings()
    return {
        nip: sessions.create_token(uow_factory, settings, nip=nip, name="bench", scopes=ALL_SCOPES, days=None, now=now)[
            0
        ]
        for nip in nips
    }


def make_accounts(uow_factory: UowFactory, nips: Sequence[str]) -> None:
    """Local accounts with one password (hashed once: every verification costs the same)."""
    stored = hasher(auth_settings()).hash(PASSWORD)
    now = datetime.now(UTC)
    with uow_factory() as uow:
        for nip in nips:
            uow.identity.add_account(Account(nip=nip, created_at=now, created_by="bench"))
            uow.identity.set_password(nip, stored, now)
        uow.commit()


def explain(engine: Engine, uow_factory: UowFactory, nip: str) -> Plan:
    """The statements the route reads with for `nip` (its open steps, then the names of the people in them),
    captured as sent, then run again under EXPLAIN ANALYZE."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and statement.strip() != "SELECT 1":
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        found = open_steps(uow_factory, WorklistQuery(assignee=nip), limit=LIST_LIMIT)
        names_of(uow_factory, found.items)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with engine.connect() as connection:
        for statement, parameters in captured:
            rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).all()
            plans.append("\n".join(row[0] for row in rows))
    return Plan(nip=nip, open_steps=found.total, statements=[s for s, _ in captured], plans=plans)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def load(
    base_url: str,
    web: Child,
    requests: Sequence[tuple[str, str, dict[str, Any] | None]],
    concurrency: int,
    *,
    think: float = 0.0,
    think_first: bool = False,
    credentials: Callable[[str], dict[str, str]] = bearer,
) -> Load:
    """Send each request (secret, path, JSON body to POST or None to GET) `concurrency` at a time: each lane a user
    who sends their next request as soon as the last is answered, or after a pause of `think` seconds on average
    (uniform between 0 and twice that, so users do not march in step); with `think_first` the pause comes before each
    request, so that the lanes also start spread over it. `credentials` turns the secret into headers (a bearer token;
    the pages pass a session cookie). The app's own time is read from its Server-Timing header where it sends one."""
    rng = random.Random(17)
    samples: list[float] = []
    server: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120.0) as http:

        async def one(item: tuple[str, str, dict[str, Any] | None]) -> None:
            secret, path, body = item
            if think and think_first:
                await asyncio.sleep(rng.uniform(0, 2 * think))
            began = time.perf_counter()
            headers = credentials(secret) if secret else None
            try:
                if body is None:
                    response = await http.get(path, headers=headers)
                else:
                    response = await http.post(path, json=body, headers=headers)
            except httpx.TransportError as error:
                # Counted, not timed: on an overloaded machine uvicorn's keep-alive timer (5 s) can fire before
                # the loop reads a request already sent on that connection, which the client sees as a reset.
                errors.append(f"{type(error).__name__} {error}")
            else:
                samples.append(time.perf_counter() - began)
                app_ms = server_ms(response.headers.get("server-timing"))
                if app_ms is not None:
                    server.append(app_ms / 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
            if think and not think_first:
                await asyncio.sleep(rng.uniform(0, 2 * think))

        cpu = tree_cpu_seconds(web.pid)
        seconds = await run_pool(requests, concurrency, one)
        cpu = tree_cpu_seconds(web.pid) - cpu
    if len(errors) > len(requests) // 100:
        raise RuntimeError(f"{len(errors)} of {len(requests)} requests failed, the first: {errors[0]}")
    timed = latency(server) if server else None
    return Load(concurrency, len(samples), seconds, latency(samples), cpu, think, errors=len(errors), server=timed)


def task_requests(tokens: dict[str, str], count: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """`count` requests for 'My tasks', the users taking turns."""
    users = list(tokens.values())
    return [(users[index % len(users)], "/api/v1/me/tasks", None) for index in range(count)]


def probe_requests(token: str, path: str, count: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The same request `count` times: where a request's time goes, one layer at a time."""
    return [(token, path, None)] * count


def login_requests(nips: Sequence[str], count: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [("", "/api/v1/auth/login", {"nip": nips[i % len(nips)], "kata_sandi": PASSWORD}) for i in range(count)]


def hash_cost(rounds: int) -> HashCost:
    """argon2id with the web service's parameters (the defaults unless AUTH__* is set), timed here: wall and this
    process's CPU per hash."""
    settings = auth_settings()
    password_hasher = hasher(settings)
    cost = HashCost(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    stored = password_hasher.hash(PASSWORD)  # untimed: the first allocates the memory
    for _ in range(rounds):
        began, cpu = time.perf_counter(), time.process_time()
        password_hasher.hash(PASSWORD)
        cost.hash_ms.append(1000 * (time.perf_counter() - began))
        cost.hash_cpu_ms.append(1000 * (time.process_time() - cpu))
        began = time.perf_counter()
        password_hasher.verify(stored, PASSWORD)
        cost.verify_ms.append(1000 * (time.perf_counter() - began))
    return cost


def web_memory(web: Child) -> Memory:
    return tree_memory(web.pid)
