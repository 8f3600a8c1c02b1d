"""A province's year end to end (issue 21): a cycle of N employees taken through every stage, on a compressed
calendar, every person's step sent through the authenticated API, each phase measured beside the bare floor.

    .venv/bin/python -m bench.year --employees 1000              # make bench-year; ~50 minutes here
    .venv/bin/python -m bench.year --employees 100000            # the same command again goes on after a stop
    .venv/bin/python -m bench.year --employees 1000 --table      # the table of the run in /tmp/kinerja-year-1000

The stack is what a small office runs with `kinerja up`, with the domain database on PostgreSQL: the dev server on
its SQLite file, Kinerja's worker, the web service (uvicorn) and, for the floor, a worker of bare Temporal
(bench/floor_workflow.py), each its own process on the same machine. Every person acts with a bearer token of their
own. The phases, in order:

- `setup`: a database of its own, N employees in units of 50 (bench/office.py), the instansi's officials granted
  (pimpinan, tim pengawasan, pengelola kinerja, admin kepegawaian), a token per person.
- `floor`: bare Temporal on the same server: starts, then two Updates each, `--concurrency` at a time; then two
  more each whose handler runs one no-op activity, the shape of a person's step.
- `enrol`: the admin kepegawaian starts the cycle (`POST /instansi/{code}/cycles`) on a calendar sized from N and
  `--rate`; done when the worker has run every appraisal's first task. Then a survey address per unit.
- `skp`: each employee writes the SKP (`PUT .../skp-draft`) and submits it; the penilai approves it. A share
  (`--late`) waits instead.
- `late`: after their deadline has passed (reminded, escalated), the tim pengawasan extends their steps in bulk
  (`POST .../bulk/extend`), and they catch up.
- `self-assessment`, then `survey`: `--answers` (default N) citizens' answers through the form, then `review`, during
  which the survey closes and the IKM is computed (the review's latency during the close is compared with the rest).
- `calibration`: once the review deadline has passed, the pimpinan proposes and decides (locked, pushed to every
  appraisal); the penilai sign each appraisal as it arrives (`sign`, latency during the push against after it).
- `closing`: a share (`--objections`) objects and the atasan decides; everyone else acknowledges; the report is read
  meanwhile (latency during it against the rest). Done when the cycle has closed.
- `report`: the closing report, every page through the API, and its CSV and XLSX files.

Each phase prints and keeps (in `--dir`/state.json) its wall time, calls and their rate, latency, the floor's rate for
the same number of starts and Updates, the CPU each process spent, their peak memory, the database's size and the
longest history. A stopped run goes on from the phase it was in: steps already taken are read from the worklist and
not sent again; a call whose answer was lost is sent again with the same Idempotency-Key. `--stop-after PHASE` stops
it on purpose. docs/benchmarks.md ("A province's year") explains the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import temporal_client
from bench.web_stack import create_database, drop_database, postgres_admin_url
from bench.year_end import Year
from bench.year_plan import PHASES, progress
from bench.year_stack import RunState, Stack
from bench.year_table import table
from persistence.db import make_engine, make_session_factory, upgrade
from persistence.uow import SqlAlchemyUnitOfWork
from settings import TemporalSettings

# --- entry ----------------------------------------------------------------------------------------------------------


def code_version() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
        return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


async def main_async(args: argparse.Namespace) -> int:
    state = RunState.open(Path(args.dir))
    if args.table:
        print(table(state))
        return 0
    admin = postgres_admin_url()
    employees = state.setting("employees", args.employees)
    if employees != args.employees:
        progress(f"this directory holds a run of {employees} employees; going on with it")
        args.employees = employees
    state.setting("code", code_version())
    state.setting("machine", f"{platform.node()}, {len(os.sched_getaffinity(0))} CPUs")
    database_url = state.setting("database_url", lambda: create_database(admin, "kinerja_year"))
    if args.drop:
        drop_database(admin, database_url)
        progress(f"dropped {database_url}; remove {args.dir} to forget the run")
        return 0
    if not state.done("setup"):
        await asyncio.to_thread(upgrade, database_url)
    engine = make_engine(database_url, pool_size=10, max_overflow=10)
    sessions = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    stack = Stack.of(state, database_url)
    year: Year | None = None
    try:
        if not state.done("setup"):
            progress(f"setup: {employees} employees and a token each")
            began = time.monotonic()
            figures = await asyncio.to_thread(Year(args, state, stack, engine, uow_factory).setup)
            state.finish("setup", {"seconds": round(time.monotonic() - began, 1), **figures})
        progress("starting the dev server, the workers and the web service")
        await stack.start()
        year = Year(args, state, stack, engine, uow_factory)
        year.tokens = json.loads((Path(args.dir) / "tokens.json").read_text())
        year.client = await temporal_client.connect(TemporalSettings(address=stack.address))
        await year.run()
    finally:
        stack.stop()
        engine.dispose()
    print(table(state))
    failures = sum(f.get("failures", 0) for f in state.data.get("phases", {}).values())
    return 1 if failures else 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--dir", help="the run's directory: its files, and where a stopped run resumes (default /tmp/kinerja-year-N)"
    )
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=20, help="people acting at once")
    parser.add_argument("--late", type=float, default=0.03, help="share that misses the SKP deadline")
    parser.add_argument("--objections", type=float, default=0.02, help="share that files an objection")
    parser.add_argument("--answers", type=int, default=None, help="citizens' answers (default: one per employee)")
    parser.add_argument("--floor", type=int, default=2000, help="floor workflows (starts, then two Updates each)")
    parser.add_argument("--rate", type=float, default=8.0, help="calls/s the calendar is sized for")
    parser.add_argument("--first-task-rate", type=float, default=6.0, help="first tasks/s the calendar allows")
    parser.add_argument("--answer-rate", type=float, default=60.0, help="survey answers/s the calendar allows")
    parser.add_argument("--push-rate", type=float, default=4.0, help="calibration results pushed/s it allows")
    parser.add_argument("--slack", type=float, default=1.5, help="each phase's room in the calendar, × its estimate")
    parser.add_argument("--stop-after", choices=PHASES, default=None)
    parser.add_argument("--table", action="store_true", help="print the table of the run in --dir and stop")
    parser.add_argument("--drop", action="store_true", help="drop the run's database")
    args = parser.parse_args(argv)
    if args.dir is None:
        args.dir = f"/tmp/kinerja-year-{args.employees}"
    args.answers_for = lambda n: args.answers if args.answers is not None else n
    return args


def main() -> None:
    sys.exit(asyncio.run(main_async(parse())))


if __name__ == "__main__":
    main()
