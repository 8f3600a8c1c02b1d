"""The database-heavy phases of a year at 100,000 appraisals (issue 21), in-process, without Temporal: the IKM at the
survey close, the calibration's proposal, decision and push reads, the closing report's counts and the report in
every format, and the penilai lookup of `massal alihkan`, on PostgreSQL and on SQLite.

    .venv/bin/python -m bench.year_db                       # both backends, 100,000 appraisals: ~15 min here
    .venv/bin/python -m bench.year_db --backends sqlite --appraisals 10000

A database of its own (PostgreSQL: a new database on KINERJA_BENCH_POSTGRES_URL's server, dropped afterwards;
SQLite: a file in a temporary directory) is migrated and filled with what a year leaves behind, written straight to
the tables: one instansi of `--appraisals` + 1 people in units of 50 (bench/office.py); each appraisal's worklist row
as it stands at the close (94 % final, ~5 % still open, one in ten of those overdue, 0.5 % withdrawn); its review
with a predicate, and the tallies each save of a review keeps; its audit entries, ~10 each (the steps of the year,
reminders for most, escalations for a fifth, objections for a tenth, a returned SKP for a tenth, sealed in the 16
chains); and `--answers` citizens' survey answers over the units. PostgreSQL is then analysed, as autovacuum would.

Every phase runs with a prober beside it: another thread writing what an appraisal step writes (an audit entry and
its step record, in one transaction) every 20 ms, timed; "probe p99" against the quiet phase's is the stall a
person's step sees. "Longest write" is the phase's own longest write transaction (from its first write statement
to its commit): on SQLite the whole database's write lock, on PostgreSQL the row locks it took.

Progress goes to stderr; the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from bench.office import UNIT_SIZE
from bench.web_stack import create_database, drop_database, postgres_admin_url
from bench.year_db_fill import Year, fill, progress
from cli.report import EVERYONE
from domain.audit import AuditEntry
from domain.ratings import OrgPredicate
from domain.stages import Role
from domain.worklist import WorklistQuery
from persistence.db import make_engine, make_session_factory, upgrade
from persistence.uow import SqlAlchemyUnitOfWork
from services import audit_chain, calibration_store, cycle_report, cycles, notices, report_files, worklist
from services.overdue import named_steps
from workflows.contracts import RecordStepResult, appraisal_workflow_id
from workflows.cycle_contracts import CycleRef, CycleReport, CycleState, DecideCalibration, SetOrgPredicate

PROBE_EVERY = 0.02  # seconds between the prober's writes
QUIET_SECONDS = 3.0
PROBER_START = 120.0  # at most, for the prober's process to import and write once


# --- measuring ------------------------------------------------------------------------------------------------------


class WriteHolds:
    """Each write transaction's time from its first write statement to its end, on the threads it is asked about."""

    def __init__(self, engine: Engine) -> None:
        self._started: dict[int, float] = {}
        self.holds: list[float] = []
        self.watched: set[int] = set()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        me = threading.get_ident()
        if me in self.watched and me not in self._started:
            verb = statement.lstrip().split(None, 1)[0].upper()
            if verb in {"INSERT", "UPDATE", "DELETE"}:
                self._started[me] = time.perf_counter()

    def _end(self, _conn: Any) -> None:
        started = self._started.pop(threading.get_ident(), None)
        if started is not None:
            self.holds.append(time.perf_counter() - started)


def _probe(url: str, workflow_ids: list[str], stop: Any, ready: Any, out: Any) -> None:
    """The prober's process: a step's writes (audit entry + step record, one transaction) every PROBE_EVERY s, as
    a worker's activity would write them from a process of its own; sends back (began, seconds) of each."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    rng = random.Random(7)
    timed: list[tuple[float, float]] = []
    while not stop.is_set():
        workflow_id = rng.choice(workflow_ids)
        key = f"probe:{uuid.uuid4().hex}"
        began = time.monotonic()
        try:
            with SqlAlchemyUnitOfWork(sessions) as uow:
                entry = AuditEntry(
                    actor="system",
                    actor_role=Role.SYSTEM,
                    action="bench.probe",
                    workflow_id=workflow_id,
                    idempotency_key=key,
                )
                uow.audit.append(entry)
                result = RecordStepResult(idempotency_key=key, newly_recorded=True)
                notices.commit_once(uow, key, workflow_id, "bench.probe", result)
        except OperationalError:  # SQLite's "database is locked" after its busy timeout: a step that failed
            timed.append((began, -(time.monotonic() - began)))
            continue
        timed.append((began, time.monotonic() - began))
        ready.set()
        stop.wait(PROBE_EVERY)
    engine.dispose()
    out.send(timed)


class Prober:
    """_probe in a process of its own (its own interpreter: what it measures is the database, not the GIL)."""

    def __init__(self, url: str, workflow_ids: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop, self._ready = context.Event(), context.Event()
        self._out, self._inbound = context.Pipe(duplex=False)
        args = (url, workflow_ids, self._stop, self._ready, self._inbound)
        self._process = context.Process(target=_probe, args=args, daemon=True)
        self.timed: list[tuple[float, float]] = []

    def __enter__(self) -> Prober:
        self._process.start()
        self._inbound.close()  # only the prober's copy stays open: recv() sees its end if it dies
        if not self._ready.wait(PROBER_START):
            raise RuntimeError(f"the prober wrote nothing in {PROBER_START:.0f} s")
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        try:
            self.timed = self._out.recv()
        except EOFError:
            progress("  the prober died: no probes")
        self._process.join()

    def during(self, began: float, ended: float) -> tuple[list[float], int]:
        """The latencies of the writes that overlapped [began, ended] (monotonic clock, shared by the processes), and
        how many of them failed (a failed write's latency is stored negative: the time it waited)."""
        found = [seconds for start, seconds in self.timed if start <= ended and start + abs(seconds) >= began]
        return [abs(seconds) for seconds in found], sum(1 for seconds in found if seconds < 0)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Phase:
    name: str
    seconds: float
    longest_write: float
    probes: list[float] = field(default_factory=list)
    note: str = ""
    failed: int = 0  # the prober's writes that failed (SQLite: locked past its busy timeout)
    window: tuple[float, float] = (0.0, 0.0)


@dataclass
class Bench:
    engine: Engine
    uow_factory: Callable[[], SqlAlchemyUnitOfWork]
    year: Year
    holds: WriteHolds
    phases: list[Phase] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        found = Phase(name, 0.0, 0.0)
        self.holds.holds = []
        self.holds.watched = {threading.get_ident()}
        progress(f"  {name} ...")
        time.sleep(0.3)  # a few probes before, so that one at the phase's start is counted whole
        began = time.monotonic()
        yield found
        ended = time.monotonic()
        found.seconds, found.window = ended - began, (began, ended)
        self.holds.watched = set()
        found.longest_write = max(self.holds.holds, default=0.0)
        self.phases.append(found)
        progress(f"    {found.seconds:.2f} s, longest write {found.longest_write * 1000:.0f} ms {found.note}")


def run_phases(bench: Bench) -> None:
    year, ref, uow_factory = bench.year, bench.year.ref, bench.uow_factory
    with bench.phase("quiet (prober only)"):
        time.sleep(QUIET_SECONDS)
    with bench.phase("survey close: IKM per unit, recorded") as phase:
        ikm = cycles.survey_by_unit(uow_factory, ref, {})
        phase.note = f"{len(ikm)} units, {sum(u.responses for u in ikm)} answers"
    with bench.phase("calibration: proposal (propose)") as phase:
        pimpinan = year.kepala
        view = calibration_store.propose(
            uow_factory, ref, SetOrgPredicate(actor=pimpinan, org_predicate=OrgPredicate.BAIK)
        )
        phase.note = f"{view.total} reviews, {view.changes} changes"
    with bench.phase("calibration: decision (decide)"):
        decision = DecideCalibration(actor=pimpinan, proposal_id=view.proposal_id)
        calibration_store.decide(uow_factory, ref, decision, f"bench-{uuid.uuid4().hex[:8]}")
    with bench.phase("calibration push: the decision read (push activity)") as phase:
        pushed = calibration_store.locked_decision(uow_factory, ref)
        phase.note = f"{len(pushed.predicates)} predicates"
    with bench.phase("calibration push: locked results (once per worker)"):
        calibration_store.locked_results(uow_factory, ref)
    with bench.phase("closing report: counts (cycle.report activity, DB part)") as phase:
        report = closing_report(uow_factory, ref, year, ikm)
        phase.note = f"final {report.final}, reminders {report.reminders}, escalations {report.escalations}"
    state = CycleState(cycle_id=ref.cycle_id, instansi_code=ref.instansi_code, period=ref.period, report=report)
    with bench.phase("report view: first page (page, API)"):
        cycle_report.build(uow_factory, state, offset=0, limit=50)
    with bench.phase("report view: every employee (files)") as phase:
        everyone = cycle_report.build(uow_factory, state, offset=0, limit=EVERYONE)
        phase.note = f"{len(everyone.pegawai)} employees"
    with bench.phase("report file: CSV"):
        report_files.csv_text(everyone)
    with bench.phase("report file: XLSX"):
        report_files.xlsx_bytes(everyone)
    with bench.phase("report file: JSON (kinerja siklus laporan --format json)"):
        json.dumps(
            {
                "cycle": state.model_dump(mode="json"),
                "employees": [
                    dict(zip(report_files.EMPLOYEE_HEADERS, row, strict=True))
                    for row in report_files.employee_rows(everyone)
                ],
            }
        )
    with bench.phase("massal alihkan: one penilai's appraisals") as phase:
        penilai = year.penilai[len(year.penilai) // 2]
        found = named_steps(uow_factory, WorklistQuery(cycle_id=ref.cycle_id, penilai_nip=penilai), limit=500)
        phase.note = f"{found.jumlah} open of penilai's {UNIT_SIZE - 1}"


def closing_report(
    uow_factory: Callable[[], SqlAlchemyUnitOfWork], ref: CycleRef, year: Year, survey: list[Any]
) -> CycleReport:
    """What activities/cycle.py's `cycle.report` reads from the database (without the worklist's Temporal check)."""
    predicates = cycles.predicates_by_unit(uow_factory, ref)
    reminders, escalations, objections = cycles.notice_counts(uow_factory, ref)
    calibration = calibration_store.calibration_notice_counts(uow_factory, ref)
    final = cycles.finished_count(uow_factory, ref)
    withdrawn = cycles.withdrawn_by_cause(uow_factory, ref)
    open_steps, overdue = worklist.open_and_overdue(uow_factory, WorklistQuery(cycle_id=ref.cycle_id))
    return CycleReport(
        generated_at=datetime.now(UTC),
        enrolled=year.appraisals,
        final=final,
        open_steps=open_steps,
        predicates=predicates,
        survey=survey,
        reminders=reminders,
        escalations=escalations,
        objections=objections,
        calibration_reminders=calibration[0],
        calibration_escalations=calibration[1],
        overdue_now=overdue,
        withdrawn=sum(withdrawn.values()),
        withdrawn_by_cause=withdrawn,
        audit_seal=audit_chain.anchor_now(uow_factory, "laporan penutupan"),
    )


def explain_penilai(engine: Engine, uow_factory: Callable[[], SqlAlchemyUnitOfWork], year: Year) -> str:
    """The plan of the bulk reassignment's lookup of one penilai's appraisals (services.overdue.named_steps), as
    the database runs the statement the service sends."""
    penilai = year.penilai[len(year.penilai) // 2]
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "FROM worklist" in statement and "penilai_nip" in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        named_steps(uow_factory, WorklistQuery(cycle_id=year.ref.cycle_id, penilai_nip=penilai), limit=500)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    plans = []
    with engine.connect() as connection:
        for statement, parameters in sent:
            rows = connection.exec_driver_sql(prefix + statement, parameters).all()
            plans.append("\n".join(str(row[-1]) for row in rows))
    return "\n--\n".join(plans)


def measure(url: str, appraisals: int, answers: int) -> tuple[list[Phase], Year, str, float]:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    began = time.perf_counter()
    year = fill(sessions, appraisals, answers)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    filled = time.perf_counter() - began
    progress(f"  filled in {filled:.0f} s")
    bench = Bench(
        engine=engine, uow_factory=lambda: SqlAlchemyUnitOfWork(sessions), year=year, holds=WriteHolds(engine)
    )
    try:
        with Prober(url, [appraisal_workflow_id(year.ref.cycle_id, nip) for nip in year.penilai]) as prober:
            run_phases(bench)
        for found in bench.phases:
            found.probes, found.failed = prober.during(*found.window)
        plan = explain_penilai(engine, bench.uow_factory, year)
    finally:
        engine.dispose()
    return bench.phases, year, plan, filled


def print_table(backend: str, phases: list[Phase], year: Year) -> None:
    quiet = phases[0].probes
    quiet_p99 = _quantile(quiet, 0.99)
    print(
        f"\n{backend}: {year.appraisals:,} appraisals, {year.audit_entries:,} audit entries, {year.answers:,} survey"
        " answers"
    )
    print(
        "| phase | seconds | longest write (ms) | probes | probe p50 (ms) | probe p99 (ms) | probe max (ms)"
        " | p99 / quiet |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for found in phases:
        p99 = _quantile(found.probes, 0.99)
        ratio = p99 / quiet_p99 if quiet_p99 else 0.0
        name = f"{found.name} ({found.note})" if found.note else found.name
        if found.failed:
            name += f", **{found.failed} probe writes failed: database is locked**"
        print(
            f"| {name} | {found.seconds:.2f} | {found.longest_write * 1000:.0f} | {len(found.probes)} |"
            f" {_quantile(found.probes, 0.5) * 1000:.1f} | {p99 * 1000:.1f} |"
            f" {max(found.probes, default=0) * 1000:.0f} |"
            f" {ratio:.1f}× |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--appraisals", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=120_000, help="citizens' survey answers over the units")
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args(argv)
    for backend in args.backends.split(","):
        progress(f"{backend}: filling {args.appraisals} appraisals")
        if backend == "postgresql":
            admin = postgres_admin_url()
            url = create_database(admin, "kinerja_year_db")
            try:
                phases, year, plan, filled = measure(url, args.appraisals, args.answers)
            finally:
                drop_database(admin, url)
        else:
            with tempfile.TemporaryDirectory(prefix="kinerja-year-db-") as scratch:
                url = f"sqlite:///{Path(scratch) / 'year.db'}"
                phases, year, plan, filled = measure(url, args.appraisals, args.answers)
        print_table(backend, phases, year)
        print(f"\nfill: {filled:.0f} s. massal alihkan's lookup, its plan:\n{plan}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
