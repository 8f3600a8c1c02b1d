"""The pages (issue 18) on a province-sized database: server time of the busiest pages with 100,000 appraisals in
PostgreSQL and 50 people at once.

    .venv/bin/python -m bench.pages_bench                 # ~10 minutes here
    .venv/bin/python -m bench.pages_bench --requests 1000 # ~6 minutes: what docs/benchmarks.md shows

A PostgreSQL database of its own gets a roster and 100,000 worklist rows (bench/worklist_fill.py, as the API
benchmark's 'My tasks'), the cycle records, and the roles of each instansi, then VACUUM ANALYZE as autovacuum would
have run on a database in use. The web service (uvicorn, `--web-workers` processes, two by default) runs with a
Temporal address where nothing listens, so a page that reached for Temporal would fail. Every user has a browser
session (a cookie, as a page takes it). Each page is asked by 1 user, then by 50 at once with no pause (the
worst case), then by 50 who pause about a second before each page (a stress), then by 50 who pause about five
seconds (people reading a page before the next). Each answer is timed at the client and by the app itself (its
Server-Timing header): the target is on the server's time. The floor, from the same run, is
`/healthz` (uvicorn and FastAPI with nothing behind them) and the JSON API's `GET /api/v1/me/tasks` for Beranda.
The calibration page reads its cycle workflow's state: for it (`kalibrasi`, `kalibrasi-usulan`), a Temporal dev
server and Kinerja's worker run beside the web service, and the first instansi's cycle is started for real and
brought to calibration with its reviews written straight to the database (bench/calibration_fill.py); the page is
measured at calibration, then again once the pimpinan has set the organisation predicate and the minimal-change
proposal is stored. The other pages reach nothing in Temporal.

Progress goes to stderr; the machine and the tables to stdout. docs/benchmarks.md explains them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from temporalio.client import Client

import temporal_client
from bench import api_report, api_tasks, calibration_fill, worklist_fill
from bench.api_tasks import Load
from bench.appraisal_bench import progress
from bench.processes import Child, free_port, scratch_dir, start_dev_server, start_kinerja_worker
from bench.web_stack import create_database, drop_database, postgres_admin_url, start_web
from domain.access import Grant
from domain.calendar import CycleCalendar, resolve
from domain.policy import AppraisalPolicy
from domain.ratings import OrgPredicate
from domain.stages import Role
from identity import sessions
from persistence.db import make_engine, make_session_factory, upgrade
from persistence.ports import CycleRecord
from persistence.uow import SqlAlchemyUnitOfWork
from services import cycle_actions
from settings import TemporalSettings, load_settings

TASK_QUEUE = "kinerja-bench-pages"
PERIOD = datetime.now(UTC).year  # the bench's cycles, as _officials registers them
PAGE_P95_MAX_MS = 100.0  # issue 18: Tugas saya, the supervision dashboard and the calibration page, 50 users
SESSION_COOKIE = "kinerja_sesi"


@dataclass(frozen=True)
class Page:
    key: str
    name: str
    path: str  # {cycle} is the instansi's cycle
    role: Role | None  # who opens it: a role granted in the instansi (None: the worklist's users)
    calibrating: bool = False  # the page of the one instansi whose cycle stands at calibration
    proposed: bool = False  # measured once the proposal is stored


PAGES = (
    Page("beranda", "Beranda (Tugas saya)", "/", None),
    Page("pengawasan", "Pengawasan, terlambat", "/pengawasan?siklus={cycle}", Role.PENGAWASAN),
    Page(
        "pengawasan-saring",
        "Pengawasan, disaring",
        "/pengawasan?siklus={cycle}&unit=B001-S01&tahap=supervisor_review&terlambat=3",
        Role.PENGAWASAN,
    ),
    Page("kalibrasi", "Kalibrasi", "/kalibrasi/{cycle}", Role.PIMPINAN, calibrating=True),
    Page("kalibrasi-usulan", "Kalibrasi, usulan tersimpan", "/kalibrasi/{cycle}", Role.PIMPINAN, True, True),
)
FLOORS = (
    Page("healthz", "floor: /healthz", "/healthz", None),
    Page("api", "API: /api/v1/me/tasks", "/api/v1/me/tasks", None),
)


@dataclass(frozen=True)
class Options:
    pages: list[str]
    appraisals: int
    instansi: int
    users: int
    requests: int
    concurrency: int
    think: float
    human_think: float
    web_workers: int
    keep_temp: bool


@dataclass(frozen=True)
class PageResult:
    page: str
    loads: list[Load]


def _sessions(uow_factory: Any, nips: Sequence[str]) -> dict[str, str]:
    """A browser session per person: the cookie's secret."""
    settings = load_settings().auth
    now = datetime.now(UTC)
    return {
        nip: sessions.start_session(uow_factory, settings, nip=nip, method="password", now=now).secret for nip in nips
    }


def _officials(uow_factory: Any, found: worklist_fill.Province) -> dict[str, dict[Role, str]]:
    """Per instansi, the kepala as pimpinan and a seksi head as the supervision team (granted as HR grants them), and
    each instansi's cycle recorded as `siklus mulai` records it."""
    granted: dict[str, dict[Role, str]] = {}
    now = datetime.now(UTC)
    with uow_factory() as uow:
        for code in found.instansi:
            people = [p for p in found.people if p.instansi_code == code]
            kepala = next(p for p in people if p.level == "kepala")
            team = next(p for p in people if p.level == "seksi")
            for role, person in ((Role.PIMPINAN, kepala), (Role.PENGAWASAN, team)):
                uow.identity.add_grant(person.nip, Grant(role=role, instansi_code=code), "bench", now)
            granted[code] = {Role.PIMPINAN: kepala.nip, Role.PENGAWASAN: team.nip}
            period = PERIOD
            uow.cycles.register(
                CycleRecord(
                    cycle_id=found.cycle_of[code],
                    instansi_code=code,
                    period=period,
                    deadlines=resolve(CycleCalendar(), period, AppraisalPolicy()),
                    policy_version="bench",
                )
            )
        uow.commit()
    return granted


async def load(base_url: str, web: Child, requests: Sequence[tuple[str, str]], concurrency: int, think: float) -> Load:
    """GET each (cookie, path) `concurrency` at a time (api_tasks.load), each lane pausing `think` seconds on average
    before each page: with a pause, the lanes start spread over it as people arrive, not all in the same instant."""
    return await api_tasks.load(
        base_url,
        web,
        [(cookie, path, None) for cookie, path in requests],
        concurrency,
        think=think,
        think_first=True,
        credentials=lambda cookie: {"Cookie": f"{SESSION_COOKIE}={cookie}"},
    )


def _requests(
    page: Page, cookies: dict[str, str], found: worklist_fill.Province, granted: Any, count: int
) -> list[tuple[str, str]]:
    users = list(cookies)
    items = []
    for index in range(count):
        code = found.instansi[0 if page.calibrating else index % len(found.instansi)]
        nip = granted[code][page.role] if page.role is not None else users[index % len(users)]
        path = page.path.format(cycle=found.cycle_of[code])
        items.append((cookies[nip] if page.path != "/healthz" else "", path))
    return items


async def _bearer_tasks(
    base_url: str, web: Child, uow_factory: Any, users: list[str], count: int, concurrency: int, think: float
) -> Load:
    """The JSON API's 'My tasks' for the same users (its own token each), as the floor of Beranda."""
    tokens = await asyncio.to_thread(api_tasks.make_tokens, uow_factory, users)
    return await api_tasks.load(base_url, web, api_tasks.task_requests(tokens, count), concurrency, think=think)


async def run(options: Options, data_dir: Path) -> list[PageResult]:
    admin = postgres_admin_url()
    database_url = create_database(admin, "kinerja_bench_pages")
    web: Child | None = None
    temporal: list[Child] = []
    engine = None
    try:
        await asyncio.to_thread(upgrade, database_url)
        engine = make_engine(database_url)
        session_factory = make_session_factory(engine)

        def uow_factory() -> SqlAlchemyUnitOfWork:
            return SqlAlchemyUnitOfWork(session_factory)

        found = worklist_fill.province(options.appraisals, options.instansi)
        progress(f"pages: writing {len(found.people)} employees and {found.appraisals} worklist rows")
        await asyncio.to_thread(worklist_fill.fill, session_factory, found)
        granted = await asyncio.to_thread(_officials, uow_factory, found)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        users = worklist_fill.users(found, options.users)
        officials = [nip for roles in granted.values() for nip in roles.values()]
        cookies = await asyncio.to_thread(_sessions, uow_factory, list(dict.fromkeys(users + officials)))
        env = {"DATABASE_URL": database_url, "TEMPORAL__ADDRESS": f"127.0.0.1:{free_port()}"}
        client = None
        if _calibrating(options):
            server, address = await start_dev_server(data_dir, wal=True)
            temporal.append(server)
            temporal.append(await start_kinerja_worker(data_dir, address, TASK_QUEUE, database_url))
            env = {**env, "TEMPORAL__ADDRESS": address, "TEMPORAL__TASK_QUEUE": TASK_QUEUE}
            client = await temporal_client.connect(TemporalSettings(address=address))
            code = found.instansi[0]
            progress(f"pages: the cycle of {code} to calibration")
            reviews = await calibration_fill.cycle_at_calibration(
                client,
                session_factory,
                uow_factory,
                found,
                code,
                admin=granted[code][Role.PIMPINAN],
                task_queue=TASK_QUEUE,
                period=PERIOD,
            )
            progress(f"pages: {reviews} reviews of {found.cycle_of[code]}, at calibration")
        web, base_url = await start_web(data_dir, env, workers=options.web_workers, name="web-pages")
        user_cookies = {nip: cookies[nip] for nip in users}
        results = []
        for page in (p for p in (*FLOORS, *PAGES) if p.key in options.pages):
            if page.path.startswith("/api/"):
                loads = [
                    await _bearer_tasks(base_url, web, uow_factory, users, n, c, t) for n, c, t in _levels(options)
                ]
            else:
                if page.proposed and client is not None:
                    changes = await _propose(client, found, granted)
                    progress(f"pages: the proposal stored, {changes} changes")
                pool = cookies if page.role is not None else user_cookies
                await load(base_url, web, _requests(page, pool, found, granted, 50), 5, 0.0)  # warm-up
                loads = []
                for count, concurrency, think in _levels(options):
                    progress(f"pages: {page.name}, {count} requests, {concurrency} at once, think {think:g} s")
                    loads.append(
                        await load(base_url, web, _requests(page, pool, found, granted, count), concurrency, think)
                    )
            results.append(PageResult(page.name, loads))
        return results
    finally:
        if web is not None:
            web.stop()
        for child in reversed(temporal):
            child.stop()
        if engine is not None:
            engine.dispose()
        if not options.keep_temp:
            drop_database(admin, database_url)


async def _propose(client: Client, found: worklist_fill.Province, granted: Any) -> int:
    """The pimpinan of the calibrating instansi sets its organisation predicate (Baik): the proposal is stored."""
    code = found.instansi[0]
    body = cycle_actions.ProposalBody(predikat_organisasi=OrgPredicate.BAIK)
    state = await cycle_actions.propose(client, found.cycle_of[code], granted[code][Role.PIMPINAN], body, None)
    return state.calibration.changes if state.calibration is not None else 0


def _levels(options: Options) -> list[tuple[int, int, float]]:
    """(requests, users at once, mean pause): one user; 50 who never pause (the worst case); 50 who click about
    every `--think` seconds (a stress: nobody reloads a dashboard every second); 50 at `--human-think` (reading the
    page before the next, as people do)."""
    return [
        (max(50, options.requests // 10), 1, 0.0),
        (options.requests, options.concurrency, 0.0),
        (options.requests // 2, options.concurrency, options.think),
        (options.requests // 4, options.concurrency, options.human_think),
    ]


def table(results: list[PageResult], options: Options) -> str:
    """Per page and load: the answer time at the client and the app's own time (its Server-Timing header: from the
    request's arrival in the process to its answer, so queueing in the process is in it, the listen queue is not);
    the target (issue 18) is on the server time at 50 users."""
    rows = []
    for result in results:
        for one in result.loads:
            checked = one.concurrency == options.concurrency and not result.page.startswith(("floor", "API"))
            server = one.server
            verdict = ""
            if checked and server is not None:
                verdict = "ok" if server.p95 <= PAGE_P95_MAX_MS else "MISS"
            rows.append(
                [
                    result.page,
                    str(one.concurrency),
                    f"{one.think:g} s" if one.think else "none",
                    str(one.requests),
                    api_report._n(one.per_second),
                    api_report._n(one.latency.p50),
                    api_report._n(one.latency.p95),
                    api_report._n(server.p50) if server is not None else "–",
                    api_report._n(server.p95) if server is not None else "–",
                    api_report._n(one.web_cpu_ms_per_request),
                    f"server p95 <= {PAGE_P95_MAX_MS:.0f} ms" if checked else "info",
                    verdict,
                ]
            )
    head = [
        "page",
        "users",
        "think",
        "requests",
        "per second",
        "client p50 (ms)",
        "client p95 (ms)",
        "server p50 (ms)",
        "server p95 (ms)",
        "web CPU/req (ms)",
        "target",
        "",
    ]
    return (
        f"Pages: {options.appraisals:,} appraisals in {options.instansi} instansi on PostgreSQL,"
        f" {options.web_workers} uvicorn worker(s), {_temporal(options)}; client on loopback on the same cores\n"
        + api_report._grid(head, rows)
    )


def _calibrating(options: Options) -> bool:
    """Whether a page asked for needs the cycle at calibration (and so Temporal beside the web service)."""
    return any(page.calibrating for page in PAGES if page.key in options.pages)


def _temporal(options: Options) -> str:
    return "a dev server and a worker for the cycle at calibration" if _calibrating(options) else "no Temporal"


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages_bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    keys = [page.key for page in (*FLOORS, *PAGES)]
    parser.add_argument("--pages", default=",".join(keys), help=f"which, of {','.join(keys)} (default: all)")
    parser.add_argument("--appraisals", type=int, default=100_000, help="worklist rows (default 100000)")
    parser.add_argument("--instansi", type=int, default=4, help="instansi they are split over (default 4)")
    parser.add_argument("--users", type=int, default=1000, help="people with a session (default 1000)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per page at full load (default 2000)")
    parser.add_argument("--concurrency", type=int, default=50, help="people at once (default 50)")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between pages, third level (default 1)")
    parser.add_argument("--human-think", type=float, default=5.0, help="mean pause, fourth level (default 5)")
    parser.add_argument("--web-workers", type=int, default=2, help="uvicorn processes (default 2: one per core here)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the logs and the database")
    args = parser.parse_args(argv)
    pages = [key.strip() for key in args.pages.split(",") if key.strip()]
    if not pages or set(pages) - set(keys):
        parser.error(f"--pages: some of {', '.join(keys)}")
    return Options(
        pages=pages,
        appraisals=args.appraisals,
        instansi=args.instansi,
        users=args.users,
        requests=args.requests,
        concurrency=args.concurrency,
        think=args.think,
        human_think=args.human_think,
        web_workers=args.web_workers,
        keep_temp=args.keep_temp,
    )


async def main_async(options: Options) -> int:
    info = api_report.machine()
    with scratch_dir("kinerja-pages-bench-", keep=options.keep_temp) as data_dir:
        results = await run(options, data_dir)
    print(api_report.header(info, options.__dict__))
    print()
    print(table(results, options))
    return 0


def main() -> None:
    sys.exit(asyncio.run(main_async(parse())))


if __name__ == "__main__":
    main()
