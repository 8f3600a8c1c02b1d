"""Kinerja against the bare-Temporal floor, on one fresh dev server per size, in one run.

    .venv/bin/python -m bench.appraisal_bench --employees 1000
    .venv/bin/python -m bench.appraisal_bench --employees 1000,10000 --json results.json

Per size: a fresh `temporal server start-dev` (SQLite file, like `kinerja up`), the Kinerja worker and the floor's
worker as processes of their own, and a fresh SQLite domain database seeded with N employees. Then start rate against
enrolment, and Update round trips against the first two human steps (submit and approve the SKP), the floor's half
of each on either side of Kinerja's; then whole appraisals on the happy path, history sizes, CPU and memory.
Progress goes to stderr; the machine, the code measured and one table go to stdout. docs/benchmarks.md explains each
number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client

import temporal_client
from bench import floor, histories, kinerja, office, queues, report
from bench.enrolment import ENROLMENTS, Enrolment, UowFactory, per_employee
from bench.floor_worker import build_floor_worker
from bench.kinerja import HappyRun
from bench.measure import UpdatePhase
from bench.processes import (
    Child,
    CpuMeter,
    Memory,
    start_dev_server,
    start_floor_worker,
    start_kinerja_worker,
)
from bench.report import Comparison, Metered, SizeResult, Starts
from persistence.db import make_engine, make_session_factory, upgrade
from persistence.uow import SqlAlchemyUnitOfWork
from services.appraisals import CycleRequest
from settings import TemporalSettings
from workflows.contracts import AppraisalInput, appraisal_workflow_id

WARM_UP = 20  # workflows each worker runs before anything is timed
DESCRIBE_SAMPLE = 500  # untouched appraisals whose history length is read, besides every one the run drove


@dataclass(frozen=True)
class Options:
    employees: list[int]
    concurrency: int
    updates: int
    happy_paths: int
    objection_window: str
    enrolment: str
    floor_starts: int | None
    floor_in_process: bool
    sqlite_wal: bool
    keep_temp: bool
    json: Path | None


@dataclass(frozen=True)
class StartComparison:
    floor: Starts
    kinerja: Starts
    enrolment: Enrolment
    worker_after_enrolment: Memory


@dataclass(frozen=True)
class Stack:
    """What one size runs on."""

    client: Client
    uow_factory: UowFactory
    org: office.Office
    server: Child
    worker: Child
    floor_worker: Child | None  # None: inside this process
    kinerja_queue: str
    floor_queue: str


def progress(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _memory(child: Child) -> Memory:
    found = child.memory()
    if found is None:
        raise RuntimeError(f"{child.name} is gone:\n{child.tail()}")
    return found


@contextlib.asynccontextmanager
async def _floor_worker(
    options: Options, client: Client, data_dir: Path, address: str, task_queue: str
) -> AsyncIterator[Child | None]:
    if options.floor_in_process:
        async with build_floor_worker(client, task_queue):
            yield None
        return
    child = await start_floor_worker(data_dir, address, task_queue)
    try:
        yield child
    finally:
        child.stop()


async def run_size(options: Options, size: int) -> SizeResult:
    data_dir = Path(tempfile.mkdtemp(prefix=f"kinerja-bench-{size}-"))
    run = uuid.uuid4().hex[:8]
    progress(f"N={size}: starting the dev server (data in {data_dir})")
    server: Child | None = None
    engine = None
    try:
        server, address = await start_dev_server(data_dir, wal=options.sqlite_wal)
        client = await temporal_client.connect(TemporalSettings(address=address))
        database_url = f"sqlite:///{data_dir / 'bench.db'}"
        await asyncio.to_thread(upgrade, database_url)
        engine = make_engine(database_url)
        session_factory = make_session_factory(engine)

        def uow_factory() -> SqlAlchemyUnitOfWork:
            return SqlAlchemyUnitOfWork(session_factory)

        began = asyncio.get_running_loop().time()
        org = await asyncio.to_thread(office.seed, uow_factory, size)
        seed_seconds = asyncio.get_running_loop().time() - began
        progress(f"N={size}: seeded {org.employees} employees in {org.units} units ({seed_seconds:.1f}s)")

        kinerja_queue, floor_queue = f"kinerja-bench-{run}", f"floor-bench-{run}"
        worker = await start_kinerja_worker(data_dir, address, kinerja_queue, database_url)
        try:
            async with _floor_worker(options, client, data_dir, address, floor_queue) as floor_child:
                stack = Stack(client, uow_factory, org, server, worker, floor_child, kinerja_queue, floor_queue)
                return await _measure(options, size, run, stack, seed_seconds)
        finally:
            worker.stop()
    finally:
        if server is not None:
            server.stop()
        if engine is not None:
            engine.dispose()
        if options.keep_temp:
            progress(f"N={size}: kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


async def _metered(worker: Child | None, server: Child, work: Awaitable[UpdatePhase]) -> Metered:
    meter = CpuMeter(worker, server)
    return Metered(await work, meter.spent())


async def _floor_starts(stack: Stack, ids: list[str], concurrency: int) -> Starts:
    meter = CpuMeter(stack.floor_worker, stack.server)
    seconds = await floor.start_all(stack.client, stack.floor_queue, ids, concurrency)
    drain_seconds = await queues.drain(stack.client, stack.floor_queue, ids)
    return Starts(len(ids), seconds, drain_seconds, meter.spent())


async def _enrol(options: Options, stack: Stack, request: CycleRequest) -> tuple[Enrolment, Starts]:
    meter = CpuMeter(stack.worker, stack.server)
    enrolment = await ENROLMENTS[options.enrolment](
        stack.client, stack.uow_factory, request, task_queue=stack.kinerja_queue, concurrency=options.concurrency
    )
    drain_seconds = await queues.drain(stack.client, stack.kinerja_queue, _ids(enrolment.inputs))
    return enrolment, Starts(len(enrolment.inputs), enrolment.seconds, drain_seconds, meter.spent())


async def _starts(options: Options, stack: Stack, request: CycleRequest, ids: list[str]) -> StartComparison:
    """Floor, Kinerja, floor: half the floor's starts on either side of the enrolment, so a change in the machine's
    load during the run weighs on both alike."""
    size, c, half = stack.org.employees, options.concurrency, len(ids) // 2
    progress(f"N={size}: floor: starting {half} workflows, {c} at a time")
    first = await _floor_starts(stack, ids[:half], c)
    progress(f"N={size}: floor: {first.per_second:.1f} starts/s, drained {first.drain_seconds:.0f}s later")
    progress(f"N={size}: Kinerja: enrolling ({options.enrolment})")
    enrolment, kinerja_starts = await _enrol(options, stack, request)
    worker_after_enrolment = _memory(stack.worker)
    progress(
        f"N={size}: Kinerja: {kinerja_starts.per_second:.1f} appraisals/s (planning "
        f"{enrolment.plan_seconds:.1f}s), drained {kinerja_starts.drain_seconds:.0f}s later"
    )
    progress(f"N={size}: floor: starting {len(ids) - half} more workflows")
    second = await _floor_starts(stack, ids[half:], c)
    progress(f"N={size}: floor: {second.per_second:.1f} starts/s, drained {second.drain_seconds:.0f}s later")
    return StartComparison(first + second, kinerja_starts, enrolment, worker_after_enrolment)


async def _updates(stack: Stack, floor_ids: list[str], inputs: list[AppraisalInput], concurrency: int) -> Comparison:
    """Floor, Kinerja, Kinerja, floor (each a half): drift in the machine's load weighs on both alike, and both
    pay the same ramp-down at the end of each half."""
    f, k = len(floor_ids) // 2, len(inputs) // 2
    client, server = stack.client, stack.server
    floor_a = await _metered(stack.floor_worker, server, floor.two_updates(client, floor_ids[:f], concurrency))
    kinerja_a = await _metered(stack.worker, server, kinerja.submit_and_approve(client, inputs[:k], concurrency))
    kinerja_b = await _metered(stack.worker, server, kinerja.submit_and_approve(client, inputs[k:], concurrency))
    floor_b = await _metered(stack.floor_worker, server, floor.two_updates(client, floor_ids[f:], concurrency))
    comparison = Comparison(floor=floor_a + floor_b, kinerja=kinerja_a + kinerja_b)
    progress(
        f"N={stack.org.employees}: Updates {concurrency} at a time: p50 Kinerja "
        f"{comparison.kinerja.phase.latency.p50:.1f} ms, floor {comparison.floor.phase.latency.p50:.1f} ms"
    )
    return comparison


async def _happy_paths(options: Options, stack: Stack, request: CycleRequest, nips: list[str]) -> list[HappyRun]:
    """Whole appraisals on a compressed calendar: every other one acknowledged, the rest closed by the timer."""
    if not nips:
        return []
    progress(f"N={stack.org.employees}: Kinerja: {len(nips)} appraisals along the happy path")
    happy_request = request.model_copy(
        update={
            "cycle_id": f"{request.cycle_id}-happy",
            "calendar": office.compressed_calendar(datetime.now(UTC), options.objection_window),
            "only_nips": nips,
        }
    )
    enrolment = await per_employee(
        stack.client, stack.uow_factory, happy_request, task_queue=stack.kinerja_queue, concurrency=len(nips)
    )
    runs = [
        kinerja.happy_path(stack.client, input, acknowledge=index % 2 == 0)
        for index, input in enumerate(enrolment.inputs)
    ]
    return list(await asyncio.gather(*runs))


async def _warm_up(options: Options, stack: Stack, request: CycleRequest, run: str) -> None:
    """Both workers load their workflow code and both task queues exist before anything is timed."""
    size = stack.org.employees
    warm = max(1, min(WARM_UP, size // 10))
    progress(f"N={size}: warming up with {warm} workflows each")
    ids = floor.workflow_ids(f"warm-{run}", warm)
    await floor.start_all(stack.client, stack.floor_queue, ids, options.concurrency)
    warm_request = request.model_copy(
        update={"cycle_id": f"{request.cycle_id}-warm", "only_nips": [office.nip(i) for i in range(3, 3 + warm)]}
    )
    enrolment = await per_employee(
        stack.client, stack.uow_factory, warm_request, task_queue=stack.kinerja_queue, concurrency=options.concurrency
    )
    await queues.drain(stack.client, stack.floor_queue, ids)
    await queues.drain(stack.client, stack.kinerja_queue, _ids(enrolment.inputs))


def _ids(inputs: list[AppraisalInput]) -> list[str]:
    return [appraisal_workflow_id(input.cycle_id, input.employee_nip) for input in inputs]


def _sample(items: list[str], count: int) -> list[str]:
    return items[:: max(1, len(items) // count)] if items else []


async def _measure(options: Options, size: int, run: str, stack: Stack, seed_seconds: float) -> SizeResult:
    client, c = stack.client, options.concurrency
    # Each Update comparison drives its own workflows, M of each (two Updates apiece), and the floor M more with
    # an activity; the last few employees walk the happy path.
    m = max(2, min(options.updates, (size - 1 - options.happy_paths) // 3))
    now = datetime.now(UTC)
    request = CycleRequest(
        cycle_id=f"bench-{run}",
        instansi_code=stack.org.instansi_code,
        period=now.year,
        calendar=office.open_calendar(now),
        supervision_team=[stack.org.pengawas],
        pengelola_kinerja=[stack.org.pengelola],
    )
    await _warm_up(options, stack, request, run)
    worker_idle = _memory(stack.worker)

    # The floor's start rate does not depend on N: at 100,000 a sample keeps its half of the run short.
    ids = floor.workflow_ids(f"floor-{run}", max(4 * m, min(size, options.floor_starts or size)))
    starts = await _starts(options, stack, request, ids)
    server_after_starts = _memory(stack.server)
    enrolled = starts.enrolment.inputs
    one_at_a_time = await _updates(stack, ids[:m], enrolled[:m], 1)
    loaded = await _updates(stack, ids[m : 2 * m], enrolled[m : 2 * m], c)
    with_activity = await floor.two_updates(client, ids[2 * m : 3 * m], 1, with_activity=True)
    with_local = await floor.two_updates(client, ids[3 * m : 4 * m], 1, local_activity=True)
    progress(
        f"N={size}: floor: second Update with an activity p50 {with_activity.turn(1).p50:.1f} ms,"
        f" with a local activity {with_local.turn(1).p50:.1f} ms"
    )

    happy_inputs = enrolled[len(enrolled) - options.happy_paths :] if options.happy_paths else []
    happy_runs = await _happy_paths(options, stack, request, [input.employee_nip for input in happy_inputs])

    progress(f"N={size}: reading history lengths")
    untouched = _ids(enrolled[2 * m : len(enrolled) - len(happy_inputs)])
    kinerja_ids = [*_ids(enrolled[: 2 * m]), *_sample(untouched, DESCRIBE_SAMPLE), *(r.workflow_id for r in happy_runs)]
    kinerja_lengths = await histories.lengths(client, kinerja_ids, c)
    floor_lengths = await histories.lengths(client, [*ids[: 4 * m], *_sample(ids[4 * m :], DESCRIBE_SAMPLE)], c)
    floor_history = histories.stats(await client.get_workflow_handle(ids[0]).fetch_history())
    payload = temporal_client.DATA_CONVERTER.payload_converter.to_payloads([enrolled[0]])[0]

    return SizeResult(
        employees=size,
        concurrency=c,
        updates_per_phase=m,
        seed_seconds=seed_seconds,
        floor_starts=starts.floor,
        kinerja_starts=starts.kinerja,
        skipped=starts.enrolment.skipped,
        plan_seconds=starts.enrolment.plan_seconds,
        updates=one_at_a_time,
        updates_loaded=loaded,
        floor_updates_activity=with_activity,
        floor_updates_local_activity=with_local,
        happy_runs=happy_runs,
        kinerja_history_max=max(kinerja_lengths.values()),
        cycle_history=starts.enrolment.cycle_history,
        floor_history_max=max(floor_lengths.values()),
        histories_described=len(kinerja_lengths) + len(floor_lengths),
        floor_history_sample=floor_history,
        input_bytes=len(payload.data),
        worker_idle=worker_idle,
        worker_after_enrolment=starts.worker_after_enrolment,
        worker_end=_memory(stack.worker),
        floor_worker_end=_memory(stack.floor_worker) if stack.floor_worker else None,
        server_after_starts=server_after_starts,
        server_end=_memory(stack.server),
    )


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


async def run_all(options: Options) -> int:
    """Run every size; Ctrl-C or SIGTERM cancels the run, and every `finally` on the way stops its processes."""
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        task.cancel()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    try:
        return await _run_all(options)
    except BaseException:
        # A cancelled Update surfaces as the SDK's own error, not CancelledError: a signal explains either.
        if received:
            raise Interrupted(received[0]) from None
        raise


async def _run_all(options: Options) -> int:
    info = report.machine()
    results: list[SizeResult] = []
    rows: list[report.Row] = []
    for size in options.employees:
        results.append(await run_size(options, size))
        rows = [row for result in results for row in report.rows_for(result)] + report.rows_across(results)
        if options.json is not None:  # after every size, so a failure in a later one keeps the earlier results
            report.save_json(options.json, info, _jsonable(options), results, rows)
    print(report.machine_text(info))
    print(
        f"options: C={options.concurrency}, {results[0].updates_per_phase} appraisals x 2 Updates per Update phase, "
        f"{options.happy_paths} happy paths (objection window {options.objection_window}), enrolment "
        f"'{options.enrolment}', floor worker {'in-process' if options.floor_in_process else 'own process'}"
        f"{f', floor start rate from {options.floor_starts} starts' if options.floor_starts else ''}, "
        f"dev server SQLite{' + WAL' if options.sqlite_wal else ''}"
    )
    print()
    print(report.table(rows))
    if options.json is not None:
        print(f"\nsaved {options.json}")
    return 0


def _jsonable(options: Options) -> dict[str, object]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in vars(options).items()}


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of sizes") from None
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError("every size must be at least 10 employees")
    return sizes


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.appraisal_bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--employees", type=_sizes, default=[1000], help="sizes to run in sequence, e.g. 1000,10000")
    parser.add_argument("--concurrency", type=int, default=50, help="starts / Updates in flight (default 50)")
    parser.add_argument("--updates", type=int, default=200, help="appraisals per Update phase, 2 Updates each")
    parser.add_argument("--happy-paths", type=int, default=5, help="appraisals driven to final (default 5)")
    parser.add_argument("--objection-window", default="PT5S", help="ISO duration for the happy path (default PT5S)")
    parser.add_argument("--enrolment", choices=sorted(ENROLMENTS), default="per-employee")
    parser.add_argument(
        "--floor-starts",
        type=int,
        help="floor workflows started for the start rate (default N; at least 4 x the Update workflows)",
    )
    parser.add_argument(
        "--floor-in-process", action="store_true", help="run the floor's worker inside this process, not its own"
    )
    parser.add_argument("--sqlite-wal", action="store_true", help="start the dev server with WAL pragmas")
    parser.add_argument("--keep-temp", action="store_true", help="keep the databases and logs of each size")
    parser.add_argument("--json", type=Path, help="also save the results here")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.updates < 1 or args.happy_paths < 0:
        parser.error("--concurrency and --updates must be at least 1, --happy-paths at least 0")
    return Options(
        employees=args.employees,
        concurrency=args.concurrency,
        updates=args.updates,
        happy_paths=args.happy_paths,
        objection_window=args.objection_window,
        enrolment=args.enrolment,
        floor_starts=args.floor_starts,
        floor_in_process=args.floor_in_process,
        sqlite_wal=args.sqlite_wal,
        keep_temp=args.keep_temp,
        json=args.json,
    )


def main() -> None:
    options = parse()
    try:
        sys.exit(asyncio.run(run_all(options)))
    except Interrupted as stopped:
        progress(f"stopped by {stopped}; every process this run started has been stopped")
        sys.exit(128 + stopped.signum)


if __name__ == "__main__":
    main()
