"""The HTTP API (issue 17) measured: a human step through the API against the same Update sent straight, 'My tasks'
on a province-sized worklist, and the cost of signing in.

    .venv/bin/python -m bench.api_bench                       # all three parts, ~10 minutes here
    .venv/bin/python -m bench.api_bench --parts steps --json api.json

- `steps`: a fresh dev server (SQLite file), the Kinerja worker, the floor's worker and the web service (uvicorn, one
  process) on a domain database of N employees. The penilai approves an SKP through the API with a bearer token, or
  the same `approve_skp` goes straight from the Temporal client, or the floor takes a bare Update: 1 and C in flight.
- `tasks`: a PostgreSQL database of its own with a roster and 100,000 worklist rows, a token per user, the web
  service with no Temporal behind it, and `GET /api/v1/me/tasks` from C users at once; the query plans.
- `login`: one argon2id hash with the default parameters, then `POST /api/v1/auth/login` 1 and N at a time.

Progress goes to stderr; the machine, the code measured and the tables go to stdout. docs/benchmarks.md explains them.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

import temporal_client
from bench import api_report, api_steps, api_tasks, floor, office, queues, worklist_fill
from bench.api_report import LoginResult, StepsResult, TasksResult
from bench.appraisal_bench import progress
from bench.enrolment import per_employee
from bench.processes import Child, free_port, start_dev_server, start_floor_worker, start_kinerja_worker
from bench.web_stack import create_database, drop_database, postgres_admin_url, start_web, tree_memory
from persistence.db import make_engine, make_session_factory, upgrade
from persistence.uow import SqlAlchemyUnitOfWork
from services.appraisals import CycleRequest
from settings import TemporalSettings
from workflows.contracts import appraisal_workflow_id

PARTS = ("steps", "tasks", "login")
WARM_UP = 10  # approvals of each kind, and floor Updates, before anything is timed
TASKS_WARM_UP = 200  # 'My tasks' requests before the timed ones
PROBES = 300  # requests of each layer, one at a time
HASH_ROUNDS = 10
LOGIN_ACCOUNTS = 200


@dataclass(frozen=True)
class Options:
    parts: list[str]
    employees: int
    updates: int
    concurrency: list[int]
    steps_database: str
    appraisals: int
    instansi: int
    users: int
    task_requests: int
    task_concurrency: list[int]
    task_think: float
    login_concurrency: list[int]
    web_workers: int
    keep_temp: bool
    json: Path | None


def _uow_factory(url: str) -> tuple[Any, Any]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)

    def factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    return engine, factory


# --- steps ---------------------------------------------------------------------------------------------------------


async def run_steps(options: Options, data_dir: Path) -> StepsResult:
    admin = postgres_admin_url()
    postgres = options.steps_database == "postgres"
    database_url = create_database(admin, "kinerja_bench_api") if postgres else f"sqlite:///{data_dir / 'api.db'}"
    children: list[Child] = []
    engine = None
    try:
        progress(f"steps: starting the dev server; domain database {options.steps_database}")
        server, address = await start_dev_server(data_dir, wal=False)
        children.append(server)
        client = await temporal_client.connect(TemporalSettings(address=address))
        await asyncio.to_thread(upgrade, database_url)
        engine, uow_factory = _uow_factory(database_url)
        org = await asyncio.to_thread(office.seed, uow_factory, options.employees)
        run = uuid.uuid4().hex[:8]
        kinerja_queue, floor_queue = f"kinerja-api-{run}", f"floor-api-{run}"
        worker = await start_kinerja_worker(data_dir, address, kinerja_queue, database_url)
        children.append(worker)
        floor_worker = await start_floor_worker(data_dir, address, floor_queue)
        children.append(floor_worker)
        env = {"DATABASE_URL": database_url, "TEMPORAL__ADDRESS": address, "TEMPORAL__TASK_QUEUE": kinerja_queue}
        web, base_url = await start_web(data_dir, env, workers=1)
        children.append(web)
        progress(f"steps: web service at {base_url} (pid {web.pid}), enrolling {org.employees - 1} appraisals")

        now = datetime.now(UTC)
        request = CycleRequest(
            cycle_id=f"api-{run}",
            instansi_code=org.instansi_code,
            period=now.year,
            calendar=office.open_calendar(now),
            supervision_team=[org.pengawas],
            pengelola_kinerja=[org.pengelola],
        )
        c = max(options.concurrency)
        enrolment = await per_employee(client, uow_factory, request, task_queue=kinerja_queue, concurrency=c)
        inputs = enrolment.inputs
        m, levels = options.updates, len(options.concurrency)
        if 2 * WARM_UP + 2 * m * levels > len(inputs):
            raise SystemExit(f"--employees {options.employees} is too few for --updates {m} at {levels} levels")
        ids = [appraisal_workflow_id(i.cycle_id, i.employee_nip) for i in inputs]
        await queues.drain(client, kinerja_queue, ids)
        floor_ids = floor.workflow_ids(f"floor-{run}", WARM_UP + m * levels)
        await floor.start_all(client, floor_queue, floor_ids, c)
        await queues.drain(client, floor_queue, floor_ids)
        penilai = sorted({i.penilai_nip for i in inputs})
        tokens = await asyncio.to_thread(api_tasks.make_tokens, uow_factory, penilai)
        progress(f"steps: {len(tokens)} penilai tokens; warming up")

        limits = httpx.Limits(max_connections=c + 5, max_keepalive_connections=c + 5)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120.0) as http:
            sides = api_steps.Sides(client, http, tokens)
            processes = {"server": server, "worker": worker, "floor worker": floor_worker, "web": web}
            await api_steps.warm_up(sides, floor_ids[:WARM_UP], inputs[:WARM_UP], inputs[WARM_UP : 2 * WARM_UP])
            results = []
            rest, floor_rest = inputs[2 * WARM_UP :], floor_ids[WARM_UP:]
            for index, concurrency in enumerate(options.concurrency):
                mine = rest[2 * m * index : 2 * m * (index + 1)]
                floor_mine = floor_rest[m * index : m * (index + 1)]
                progress(f"steps: {m} approvals of each kind, {concurrency} in flight")
                found = await api_steps.level(sides, processes, concurrency, floor_mine, mine[:m], mine[m:])
                arms = found.arms
                progress(
                    f"steps: p50 api {arms['api'].phase.latency.p50:.1f} ms, direct "
                    f"{arms['direct'].phase.latency.p50:.1f} ms, floor {arms['floor'].phase.latency.p50:.1f} ms"
                )
                results.append(found)
        return StepsResult(
            employees=options.employees,
            database=options.steps_database,
            updates=m,
            levels=results,
            web_memory=tree_memory(web.pid),
        )
    finally:
        for child in reversed(children):
            child.stop()
        if engine is not None:
            engine.dispose()
        if postgres and not options.keep_temp:
            drop_database(admin, database_url)


# --- tasks and login -----------------------------------------------------------------------------------------------


async def run_tasks_and_login(options: Options, data_dir: Path) -> tuple[TasksResult | None, LoginResult | None]:
    admin = postgres_admin_url()
    database_url = create_database(admin, "kinerja_bench_tasks")
    web: Child | None = None
    engine = None
    try:
        await asyncio.to_thread(upgrade, database_url)
        engine, uow_factory = _uow_factory(database_url)
        found = worklist_fill.province(options.appraisals, options.instansi)
        progress(f"tasks: writing {len(found.people)} employees and {found.appraisals} worklist rows")
        began = asyncio.get_running_loop().time()
        await asyncio.to_thread(worklist_fill.fill, make_session_factory(engine), found)
        fill_seconds = asyncio.get_running_loop().time() - began
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        users = worklist_fill.users(found, options.users)
        tokens = await asyncio.to_thread(api_tasks.make_tokens, uow_factory, users)
        with uow_factory() as uow:
            counts = worklist_fill.open_steps_of(uow, users)
        typical = sorted(users, key=lambda n: counts[n])[len(users) // 2]
        busiest = max(users, key=lambda n: counts[n])
        plans = [api_tasks.explain(engine, uow_factory, nip) for nip in (typical, busiest)]
        progress(
            f"tasks: filled in {fill_seconds:.0f}s; plans use ix_worklist_assignee: {plans[0].uses_assignee_index}"
        )

        # Nothing listens here: a request that reached for Temporal would fail.
        env = {"DATABASE_URL": database_url, "TEMPORAL__ADDRESS": f"127.0.0.1:{free_port()}"}
        web, base_url = await start_web(data_dir, env, workers=options.web_workers, name="web-tasks")
        tasks: TasksResult | None = None
        if "tasks" in options.parts:
            await api_tasks.load(base_url, web, api_tasks.task_requests(tokens, TASKS_WARM_UP), 10)
            probes = {}
            for name, nip, path in (
                ("uvicorn+FastAPI", "", "/healthz"),
                ("+ token lookup", typical, "/api/v1/me"),
                ("+ worklist read", typical, "/api/v1/me/tasks"),
                (f"the busiest ({counts[busiest]} steps)", busiest, "/api/v1/me/tasks"),
            ):
                token = tokens[nip] if nip else ""
                probe = await api_tasks.load(base_url, web, api_tasks.probe_requests(token, path, PROBES), 1)
                probes[f"{name}|{path}"] = probe
            loads = []
            levels = [(c, 0.0) for c in options.task_concurrency]
            if options.task_think:
                levels.append((max(options.task_concurrency), options.task_think))
            for concurrency, think in levels:
                count = options.task_requests // 2 if think else options.task_requests
                progress(f"tasks: {count} requests, {concurrency} users at once, think {think:g} s")
                requests = api_tasks.task_requests(tokens, count)
                loads.append(await api_tasks.load(base_url, web, requests, concurrency, think=think))
                progress(f"tasks: p95 {loads[-1].latency.p95:.1f} ms, {loads[-1].per_second:.0f}/s")
            tasks = TasksResult(
                appraisals=found.appraisals,
                employees=len(found.people),
                instansi=options.instansi,
                users=len(users),
                fill_seconds=fill_seconds,
                open_steps=counts,
                plans=plans,
                loads=loads,
                web_workers=options.web_workers,
                probes=probes,
            )
        login: LoginResult | None = None
        if "login" in options.parts:
            login = await _login(options, uow_factory, users[:LOGIN_ACCOUNTS], base_url, web)
        return tasks, login
    finally:
        if web is not None:
            web.stop()
        if engine is not None:
            engine.dispose()
        if not options.keep_temp:
            drop_database(admin, database_url)


async def _login(options: Options, uow_factory: Any, nips: list[str], base_url: str, web: Child) -> LoginResult:
    await asyncio.to_thread(api_tasks.make_accounts, uow_factory, nips)
    progress(f"login: {HASH_ROUNDS} argon2id hashes in this process")
    cost = await asyncio.to_thread(api_tasks.hash_cost, HASH_ROUNDS)
    memory_before = tree_memory(web.pid)
    loads = []
    for concurrency in options.login_concurrency:
        count = max(20, 4 * concurrency)
        progress(f"login: {count} sign-ins, {concurrency} at once")
        loads.append(await api_tasks.load(base_url, web, api_tasks.login_requests(nips, count), concurrency))
        progress(f"login: {loads[-1].per_second:.1f}/s, p50 {loads[-1].latency.p50:.0f} ms")
    return LoginResult(
        cost=cost,
        hash_concurrency=api_tasks.auth_settings().hash_concurrency,
        loads=loads,
        web_memory_before=memory_before,
        web_memory_after=tree_memory(web.pid),
        web_workers=options.web_workers,
    )


# --- the run -------------------------------------------------------------------------------------------------------


async def run_all(options: Options) -> int:
    info = api_report.machine()
    data_dir = Path(tempfile.mkdtemp(prefix="kinerja-api-bench-"))
    steps: StepsResult | None = None
    tasks: TasksResult | None = None
    login: LoginResult | None = None
    try:
        if "steps" in options.parts:
            steps = await run_steps(options, data_dir)
        if "tasks" in options.parts or "login" in options.parts:
            tasks, login = await run_tasks_and_login(options, data_dir)
    finally:
        if options.keep_temp:
            progress(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    if options.json is not None:  # before the tables: a run's figures are kept whatever happens to its printing
        api_report.save_json(options.json, info, options.__dict__, steps, tasks, login)
    print(api_report.header(info, options.__dict__))
    if steps is not None:
        print()
        print(api_report.steps_table(steps))
    if tasks is not None:
        print()
        print(api_report.tasks_table(tasks))
    if login is not None:
        print()
        print(api_report.login_table(login))
    if options.json is not None:
        print(f"\nsaved {options.json}")
    return 0


def _ints(text_value: str) -> list[int]:
    try:
        values = [int(part) for part in text_value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text_value}' is not a comma-separated list of numbers") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("every value must be at least 1")
    return values


def _parts(text_value: str) -> list[str]:
    parts = [part.strip() for part in text_value.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS)
    if not parts or unknown:
        raise argparse.ArgumentTypeError(f"parts are {', '.join(PARTS)}")
    return parts


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api_bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--parts", type=_parts, default=list(PARTS), help="steps,tasks,login (default: all)")
    parser.add_argument("--employees", type=int, default=1000, help="steps: employees in the office (default 1000)")
    parser.add_argument("--updates", type=int, default=200, help="steps: approvals of each kind per level")
    parser.add_argument("--concurrency", type=_ints, default=[1, 50], help="steps: in flight (default 1,50)")
    parser.add_argument("--steps-database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--appraisals", type=int, default=100_000, help="tasks: worklist rows (default 100000)")
    parser.add_argument("--instansi", type=int, default=4, help="tasks: instansi they are split over (default 4)")
    parser.add_argument("--users", type=int, default=1000, help="tasks: people with a token (default 1000)")
    parser.add_argument("--task-requests", type=int, default=5000, help="tasks: requests per level (default 5000)")
    parser.add_argument("--task-concurrency", type=_ints, default=[1, 50], help="tasks: users at once (default 1,50)")
    parser.add_argument(
        "--task-think", type=float, default=1.0, help="tasks: then the most users, each pausing this long on average"
    )
    parser.add_argument("--login-concurrency", type=_ints, default=[1, 4, 16], help="login: at once (default 1,4,16)")
    parser.add_argument("--web-workers", type=int, default=1, help="tasks, login: uvicorn worker processes")
    parser.add_argument("--keep-temp", action="store_true", help="keep the logs and the databases")
    parser.add_argument("--json", type=Path, help="also save the results here")
    args = parser.parse_args(argv)
    return Options(
        parts=args.parts,
        employees=args.employees,
        updates=args.updates,
        concurrency=args.concurrency,
        steps_database=args.steps_database,
        appraisals=args.appraisals,
        instansi=args.instansi,
        users=args.users,
        task_requests=args.task_requests,
        task_concurrency=args.task_concurrency,
        task_think=args.task_think,
        login_concurrency=args.login_concurrency,
        web_workers=args.web_workers,
        keep_temp=args.keep_temp,
        json=args.json,
    )


def main() -> None:
    sys.exit(asyncio.run(run_all(parse())))


if __name__ == "__main__":
    main()
