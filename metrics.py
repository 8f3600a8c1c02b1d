"""Metrics of a worker, for Prometheus at `METRICS_BIND` (e.g. `0.0.0.0:9464`, path `/metrics`).

Temporal's SDK exports its own there (`temporal_*`: task slots and poll latencies, schedule-to-start latency, sticky
cache hits, activity and workflow task failures); Kinerja adds the outbox's and the worklist's, which no Temporal
metric can show:

- `kinerja_outbox_waiting{channel}`: notices not sent yet (gauge, read every `OUTBOX__POLL_SECONDS`);
- `kinerja_outbox_oldest_waiting_seconds`: how long the oldest of them has waited (grows while SMTP is down);
- `kinerja_outbox_failed`: notices given up, waiting for `kinerja notifikasi ulangi` (gauge);
- `kinerja_notices_sent`, `kinerja_notices_retrying`, `kinerja_notices_given_up`: what this worker's relay did
  (counters);
- `kinerja_steps_open{instansi,stage}` and `kinerja_steps_overdue{instansi,stage}`: the appraisals waiting on someone
  and those past their deadline, from the worklist (gauges, read every fourth OUTBOX__POLL_SECONDS: a minute by
  default): the supervision team's dashboard.

Every worker reports the same gauges (they read the shared tables): aggregate them with `max`, not `sum`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from observability import get_logger
from persistence.ports import AbstractUnitOfWork, OutboxBacklog
from services.dispatch import Dispatched

log = get_logger("kinerja.metrics")

CHANNELS = ("email", "log")  # reported even when nothing waits in them, so a panel shows 0 rather than no data


_RUNTIMES: dict[str, Runtime] = {}


def prometheus_runtime(bind_address: str) -> Runtime:
    """The Temporal runtime whose metrics (Temporal's and Kinerja's) are served at `bind_address` for Prometheus: one
    per process and address, since its exporter keeps the port for the life of the process (a worker run again in
    the same process, as tests do, takes the same one). ValueError (one line) when the port cannot be bound."""
    if bind_address not in _RUNTIMES:
        try:
            _RUNTIMES[bind_address] = Runtime(
                telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address))
            )
        except ValueError as error:  # the SDK's "Failed starting Prometheus exporter: Address already in use ..."
            raise ValueError(f"METRICS_BIND {bind_address}: {str(error).splitlines()[0]}") from None
    return _RUNTIMES[bind_address]


class OutboxMetrics:
    def __init__(self, meter: MetricMeter) -> None:
        self._waiting = meter.create_gauge("kinerja_outbox_waiting", "notices not sent yet, per channel")
        self._oldest = meter.create_gauge(
            "kinerja_outbox_oldest_waiting_seconds", "how long the oldest waiting notice has waited", "s"
        )
        self._failed = meter.create_gauge("kinerja_outbox_failed", "notices given up (kinerja notifikasi ulangi)")
        self._sent = meter.create_counter("kinerja_notices_sent", "notices delivered by this worker")
        self._retrying = meter.create_counter("kinerja_notices_retrying", "attempts that failed and will be retried")
        self._given_up = meter.create_counter("kinerja_notices_given_up", "notices this worker gave up")

    def dispatched(self, done: Dispatched) -> None:
        """What one relay pass did (services.dispatch.relay's `on_pass`)."""
        self._sent.add(done.sent)
        self._retrying.add(done.retrying)
        self._given_up.add(done.failed)

    def backlog(self, backlog: OutboxBacklog, now: datetime) -> None:
        for channel in sorted({*CHANNELS, *backlog.waiting_by_channel}):
            self._waiting.with_additional_attributes({"channel": channel}).set(
                backlog.waiting_by_channel.get(channel, 0)
            )
        oldest = backlog.oldest_waiting_at
        self._oldest.set(max(0, int((now - oldest).total_seconds())) if oldest is not None else 0)
        self._failed.set(backlog.failed)


class WorklistMetrics:
    def __init__(self, meter: MetricMeter) -> None:
        self._open = meter.create_gauge("kinerja_steps_open", "appraisal steps waiting on someone, by instansi, stage")
        self._overdue = meter.create_gauge("kinerja_steps_overdue", "of those, past their deadline")
        self._seen: set[tuple[str, str]] = set()

    def tally(self, counts: dict[tuple[str, str], tuple[int, int]]) -> None:
        """The worklist's counts; a stage that emptied since the last reading goes to 0 rather than keep its value."""
        for key in sorted(self._seen | set(counts)):
            instansi, stage = key
            total, overdue = counts.get(key, (0, 0))
            labels = {"instansi": instansi, "stage": stage}
            self._open.with_additional_attributes(labels).set(total)
            self._overdue.with_additional_attributes(labels).set(overdue)
        self._seen |= set(counts)


WORKLIST_GAUGES_EVERY = 4  # outbox polls: a minute by default


async def read_gauges(
    uow_factory: Callable[[], AbstractUnitOfWork],
    outbox: OutboxMetrics,
    worklist: WorklistMetrics,
    stop: asyncio.Event,
    *,
    every: float,
) -> None:
    """Set the gauges from the database until `stop`: the outbox's every `every` seconds, the worklist's every
    WORKLIST_GAUGES_EVERY times (a scan of every open appraisal), on a thread of their own rather than one of the
    activities'. A read that fails leaves the gauges as they were, logged; the next may succeed."""

    def read(with_worklist: bool) -> tuple[OutboxBacklog, dict[tuple[str, str], tuple[int, int]] | None]:
        with uow_factory() as uow:
            return uow.outbox.backlog(), uow.worklist.tally() if with_worklist else None

    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics")
    worklist_due = loop.time()
    try:
        while not stop.is_set():
            try:
                due = loop.time() >= worklist_due
                backlog, tally = await loop.run_in_executor(executor, read, due)
                outbox.backlog(backlog, datetime.now(UTC))
                if tally is not None:
                    worklist.tally(tally)
                    worklist_due = loop.time() + WORKLIST_GAUGES_EVERY * every
            except SQLAlchemyError as error:  # the gauges keep their last values; the next read may succeed
                log.warning("metrics not read", error=str(error).splitlines()[0])
            except Exception:  # a fault of ours must not freeze the gauges for the process's lifetime
                log.exception("metrics failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)  # a read still running (a hung database) is left behind
