"""The Kinerja worker, and the one composition root: settings → database → activities → Temporal worker.

    python worker.py            # reads DATABASE_URL, TEMPORAL__ADDRESS, ... (settings.py)

`run_worker(settings)` is the same thing in-process, for `kinerja up` and the tests: it migrates the database (so a
fresh machine works with the SQLite default), registers the search attributes, polls the task queue from the settings
and stops gracefully — in-flight activities finish — when `stop` is set or, if no `stop` is given, on SIGTERM/SIGINT.
Beside it runs the outbox relay, which sends the notices the activities queue (e-mail through SMTP__HOST when set,
the log otherwise; services/dispatch.py), and, with METRICS_BIND, the Prometheus metrics (metrics.py).
"""

from __future__ import annotations

import asyncio
import compileall
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import configure_mappers
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import RPCError
from temporalio.worker import PatchActivationInput, Worker

import payloads
import temporal_client
import workflows
from activities.appraisal import AppraisalActivities
from activities.cycle import CycleActivities
from activities.development_plan import DevelopmentPlanActivities
from activities.periodic import PeriodicActivities
from delivery.smtp import build_mailer
from metrics import OutboxMetrics, WorklistMetrics, prometheus_runtime, read_gauges
from observability import configure_logging, get_logger
from persistence.db import is_sqlite, make_engine, make_session_factory, resolve_url, upgrade
from persistence.uow import SqlAlchemyUnitOfWork
from services.dispatch import relay
from settings import InvalidSettings, Settings, TemporalSettings, load_settings
from workflows.appraisal import AppraisalWorkflow
from workflows.cycle import CycleWorkflow
from workflows.development_plan import DevelopmentPlanWorkflow
from workflows.launcher import CycleLauncherWorkflow
from workflows.periodic import PeriodicEvaluationWorkflow
from workflows.upkeep import WorklistUpkeepWorkflow

WORKFLOWS = [
    AppraisalWorkflow,
    CycleWorkflow,
    CycleLauncherWorkflow,
    WorklistUpkeepWorkflow,
    DevelopmentPlanWorkflow,
    PeriodicEvaluationWorkflow,
]
# In-flight activities get this long to finish after a stop; Temporal retries any that do not, on another worker.
GRACEFUL_SHUTDOWN = timedelta(seconds=15)

log = get_logger("kinerja.worker")


def build_activities(engine: Engine) -> AppraisalActivities:
    # SQLAlchemy sets its mappers up on first use: do it here, not inside the first step a person waits on.
    configure_mappers()
    session_factory = make_session_factory(engine)
    return AppraisalActivities(lambda: SqlAlchemyUnitOfWork(session_factory))


def build_cycle_activities(engine: Engine, client: Client) -> CycleActivities:
    session_factory = make_session_factory(engine)
    return CycleActivities(lambda: SqlAlchemyUnitOfWork(session_factory), client, temporal_client.start_appraisal)


def compile_workflow_code() -> bool:
    """Write the bytecode of the workflow modules, so the sandbox loads them instead of compiling them again.

    The sandbox imports a workflow's module afresh for every workflow instance it creates: a new run, and any run
    that left the cache (an Update to an appraisal not touched for a while, the common case with 100,000 of them).
    Where no bytecode was written (PYTHONDONTWRITEBYTECODE, as in many container images and CI machines), each
    of those imports compiles the source again: a fifth of the worker's CPU per Update in the benchmark
    (docs/benchmarks.md). False (logged) where the folder is read-only; the worker runs all the same.
    """
    folder = Path(workflows.__file__).parent
    written = bool(compileall.compile_dir(folder, maxlevels=0, quiet=2))
    if not written:
        log.warning("workflow bytecode not written: the sandbox compiles each new instance", folder=str(folder))
    return written


def build_worker(
    client: Client,
    settings: TemporalSettings,
    activities: AppraisalActivities,
    cycles: CycleActivities,
    *,
    patch_activation_callback: Callable[[PatchActivationInput], bool] | None = None,
) -> Worker:
    """The Temporal worker with every workflow and activity of Kinerja; the tests build theirs here too.

    `patch_activation_callback`: the SDK's, for tests that run a workflow as the code before a `workflow.patched`
    change did (it answers False for that patch), to prove that a run started then carries on correctly."""
    compile_workflow_code()
    plans = DevelopmentPlanActivities(activities.uow_factory)
    periods = PeriodicActivities(activities.uow_factory)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            activities.record_step,
            activities.send_notice,
            activities.locked_calibration,
            activities.cycle_officials,
            activities.cycle_calendar,
            plans.record,
            plans.send_notice,
            periods.record,
            periods.send_notice,
            cycles.prepare,
            cycles.enrol_batch,
            cycles.survey,
            cycles.predicates,
            cycles.propose,
            cycles.decide,
            cycles.send_notice,
            cycles.push_calibration,
            cycles.record_officials,
            cycles.push_officials,
            cycles.record_calendar_change,
            cycles.push_calendar,
            cycles.report,
            cycles.anchor_audit,
            cycles.upkeep_worklist,
        ],
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=settings.max_concurrent_activities,
        # Local activities read the cycle's officials and locked calibration (workflows/appraisal.py), and recorded
        # the steps of runs that took one before 0.6; the same cap keeps them within the pool.
        max_concurrent_local_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        patch_activation_callback=patch_activation_callback,
    )


async def run_worker(
    settings: Settings,
    *,
    client: Client | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    migrate: bool = True,
) -> None:
    """Run until `stop` is set (or SIGTERM/SIGINT when `stop` is None); `ready` is set once the worker polls."""
    database_url = resolve_url(settings.database_url)
    if migrate:
        await asyncio.to_thread(upgrade, database_url)
    # One connection per activity slot (activities run their database work in threads), so a busy worker queues
    # in Temporal, not in SQLAlchemy's pool (whose default of 5 + 10 would time activities out under load).
    slots = 2 * settings.temporal.max_concurrent_activities  # activities and local activities
    pool = {} if is_sqlite(database_url) else {"pool_size": slots, "max_overflow": 5}
    engine = make_engine(database_url, **pool)
    # Activities do their database work in threads (asyncio.to_thread): one thread per slot, not the default few.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=slots, thread_name_prefix="activity")
    )
    try:
        runtime: Runtime | None = None
        if client is None:
            runtime = prometheus_runtime(settings.metrics_bind) if settings.metrics_bind else None
            client = await temporal_client.connect(settings.temporal, runtime=runtime)
        elif settings.metrics_bind:
            log.warning("METRICS_BIND is served by worker.py, not by a worker given its client (kinerja up)")
        meter = runtime.metric_meter if runtime is not None else None
        outbox_metrics = OutboxMetrics(meter) if meter is not None else None
        worklist_metrics = WorklistMetrics(meter) if meter is not None else None
        await _register_search_attributes(client)
        worker = build_worker(
            client, settings.temporal, build_activities(engine), build_cycle_activities(engine, client)
        )
        on_signals = stop is None
        stop = stop or asyncio.Event()
        with stop_on_signals(stop, install=on_signals):
            async with worker:
                encrypted = payloads.encrypting(client.data_converter)
                log.info(
                    "worker started",
                    task_queue=settings.temporal.task_queue,
                    namespace=client.namespace,
                    address=settings.temporal.address,
                    payloads="encrypted" if encrypted else "clear",
                )
                if not encrypted:
                    log.warning(
                        "payloads in clear: Temporal's histories hold names, ratings and reasons readable by anyone"
                        " who reads the server; set TEMPORAL__PAYLOAD_KEYS_FILE (docs/security.md)"
                    )
                if ready is not None:
                    ready.set()
                notifier = _start_notifier(settings, engine, stop, outbox_metrics)
                watcher = _start_gauges(settings, engine, stop, outbox_metrics, worklist_metrics)
                try:
                    await stop.wait()
                    log.info("worker stopping: finishing in-flight activities")
                finally:
                    if not stop.is_set():  # cancelled rather than stopped
                        for task in (notifier, watcher):
                            if task is not None:
                                task.cancel()
            # Both saw `stop` too: the relay stops after the message in hand, the watch after its read.
            beside = {task for task in (notifier, watcher) if task is not None}
            if beside:
                _, late = await asyncio.wait(beside, timeout=GRACEFUL_SHUTDOWN.total_seconds())
                for task in late:
                    task.cancel()
        log.info("worker stopped")
    finally:
        engine.dispose()


def _start_notifier(
    settings: Settings, engine: Engine, stop: asyncio.Event, metrics: OutboxMetrics | None
) -> asyncio.Task[None] | None:
    """The outbox relay beside the worker (services/dispatch.py), unless OUTBOX__RELAY=false."""
    if not settings.outbox.relay:
        return None
    session_factory = make_session_factory(engine)
    task = asyncio.create_task(
        relay(
            lambda: SqlAlchemyUnitOfWork(session_factory),
            build_mailer(settings.smtp),
            stop=stop,
            poll_seconds=settings.outbox.poll_seconds,
            batch=settings.outbox.batch,
            max_attempts=settings.outbox.max_attempts,
            on_pass=metrics.dispatched if metrics is not None else None,
        ),
        name="outbox-relay",
    )
    task.add_done_callback(_report_notifier_end)
    return task


def _start_gauges(
    settings: Settings,
    engine: Engine,
    stop: asyncio.Event,
    outbox: OutboxMetrics | None,
    worklist: WorklistMetrics | None,
) -> asyncio.Task[None] | None:
    """The gauges read from the database while metrics are served (whether or not this worker relays): the outbox's
    every OUTBOX__POLL_SECONDS, the worklist's every fourth time (a scan of every open appraisal: a minute by
    default), on a thread of their own rather than one of the activities'."""
    if outbox is None or worklist is None:
        return None
    session_factory = make_session_factory(engine)
    return asyncio.create_task(
        read_gauges(
            lambda: SqlAlchemyUnitOfWork(session_factory), outbox, worklist, stop, every=settings.outbox.poll_seconds
        ),
        name="metrics-gauges",
    )


def _report_notifier_end(task: asyncio.Task[None]) -> None:
    """A relay that ended by an error says so at once, not when the worker stops (the worker itself goes on)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("outbox relay failed; notices wait until the worker restarts", exc_info=task.exception())


async def _register_search_attributes(client: Client) -> None:
    try:
        added = await temporal_client.ensure_search_attributes(client)
    except RPCError as error:  # e.g. a managed namespace where only an operator may add them
        log.warning("search attributes not registered", error=str(error))
        return
    if added:
        log.info("search attributes registered", names=added)


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event, *, install: bool) -> Iterator[None]:
    """Set `stop` on SIGTERM/SIGINT while the block runs (only possible in the main thread): the worker, or
    `kinerja notifikasi kirim --terus`."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if install:
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, _on_signal, stop, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or not supported
                continue
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def _on_signal(stop: asyncio.Event, signum: signal.Signals) -> None:
    log.info("signal received", signal=signum.name)
    stop.set()


def main() -> None:
    code = 0
    try:
        settings = load_settings()
    except InvalidSettings as error:  # a setting that cannot be used: each one by its variable, no traceback
        configure_logging("INFO")
        log.error("settings invalid", problems=error.problems)
        code = 2
    else:
        configure_logging(settings.log_level)
        try:
            asyncio.run(run_worker(settings))
        # "Failed client connect", a refused migration, an unreadable PEM file, a metrics port already taken
        except (RuntimeError, OSError, ValueError) as error:
            log.error("worker failed", error=str(error))
            code = 1
    # Leave without interpreter finalization once the logs are out: the Temporal client's Rust threads can abort it
    # ("PyGILState_Release", temporalio/sdk-python#300), which would turn a clean stop into a crash.
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
