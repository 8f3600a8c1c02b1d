"""The results of a run: one table against the targets, the machine it ran on, and the JSON to keep."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import temporal_client
from bench.histories import HistoryStats
from bench.kinerja import HappyRun
from bench.measure import UpdatePhase
from bench.processes import PROJECT_ROOT, Memory, PhaseCpu

# The targets; "flat" memory is read here as: peak RSS at the largest size within 1.25x of the smallest.
ENROLMENT_MIN_RATIO = 0.80
UPDATE_P50_MAX_RATIO = 1.5
HAPPY_PATH_MAX_EVENTS = 150
FLAT_MEMORY_MAX_GROWTH = 1.25
CHANGES_SHOWN = 5  # uncommitted files named in the header


@dataclass(frozen=True)
class Starts:
    """Workflows started in one go: the starts themselves, then until the workers had run every first task."""

    count: int
    seconds: float
    drain_seconds: float  # to ~5 s: the server's queue stats lag (bench/queues.py)
    cpu: PhaseCpu  # over both

    def __add__(self, other: Starts) -> Starts:
        return Starts(
            self.count + other.count,
            self.seconds + other.seconds,
            self.drain_seconds + other.drain_seconds,
            self.cpu + other.cpu,
        )

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def settled_per_second(self) -> float:
        return self.count / (self.seconds + self.drain_seconds)


@dataclass(frozen=True)
class Metered:
    phase: UpdatePhase
    cpu: PhaseCpu

    def __add__(self, other: Metered) -> Metered:
        return Metered(self.phase + other.phase, self.cpu + other.cpu)


@dataclass(frozen=True)
class Comparison:
    floor: Metered
    kinerja: Metered


@dataclass(frozen=True)
class SizeResult:
    employees: int
    concurrency: int
    updates_per_phase: int  # workflows of each kind per Update comparison, two Updates apiece
    seed_seconds: float
    floor_starts: Starts
    kinerja_starts: Starts  # the enrolment, planning included
    skipped: int  # employees plan_cycle did not enrol (the kepala)
    plan_seconds: float
    updates: Comparison  # one at a time
    updates_loaded: Comparison  # `concurrency` at a time
    floor_updates_activity: UpdatePhase  # one at a time, one no-op activity per Update
    floor_updates_local_activity: UpdatePhase  # one at a time, one no-op local activity per Update
    happy_runs: list[HappyRun]
    kinerja_history_max: int
    floor_history_max: int
    cycle_history: int | None  # the cycle workflow's longest run while enrolling (cycle-workflow enrolment)
    histories_described: int
    floor_history_sample: HistoryStats  # a floor workflow after its two Updates
    input_bytes: int  # one AppraisalInput as the data converter encodes it
    worker_idle: Memory  # after the warm-up
    worker_after_enrolment: Memory
    worker_end: Memory
    floor_worker_end: Memory | None  # None when the floor worker ran inside the benchmark process
    server_after_starts: Memory
    server_end: Memory


@dataclass(frozen=True)
class Row:
    size: int | None  # None: a row across sizes
    metric: str
    kinerja: float | None
    floor: float | None
    target: str
    ratio: float | None = None
    ok: bool | None = None


def _ratio(kinerja: float | None, floor: float | None) -> float | None:
    if kinerja is None or floor is None or floor == 0 or math.isnan(floor) or math.isnan(kinerja):
        return None
    return kinerja / floor


def rows_for(result: SizeResult) -> list[Row]:
    r = result
    c = r.concurrency

    def row(
        metric: str, kinerja: float | None, floor: float | None, target: str = "info", *, ratio: bool = True
    ) -> Row:
        return Row(r.employees, metric, kinerja, floor, target, _ratio(kinerja, floor) if ratio else None)

    def at_least(found: Row, minimum: float) -> Row:
        return replace(found, ok=None if found.ratio is None else found.ratio >= minimum)

    def at_most(found: Row, maximum: float) -> Row:
        return replace(found, ok=None if found.ratio is None else found.ratio <= maximum)

    def events(metric: str, values: list[int]) -> Row:
        worst = max(values) if values else None
        ok = None if worst is None else worst <= HAPPY_PATH_MAX_EVENTS
        return replace(row(metric, worst, None, f"<= {HAPPY_PATH_MAX_EVENTS}"), ok=ok)

    def per_start(cpu: float, starts: Starts) -> float:
        return _ms(cpu, starts.count)

    def per_update(cpu: float, metered: Metered) -> float:
        return _ms(cpu, metered.phase.updates)

    happy_kib = max((run.history.bytes for run in r.happy_runs), default=0) / 1024
    floor_worker = r.floor_worker_end.peak_mib if r.floor_worker_end else None
    k, f = r.kinerja_starts, r.floor_starts
    one, loaded = r.updates, r.updates_loaded
    updates = Metered(one.kinerja.phase + loaded.kinerja.phase, one.kinerja.cpu + loaded.kinerja.cpu)
    floor_updates = Metered(one.floor.phase + loaded.floor.phase, one.floor.cpu + loaded.floor.cpu)
    return [
        at_least(
            row(f"enrolment vs start rate (/s, C={c})", k.per_second, f.per_second, f">= {ENROLMENT_MIN_RATIO:.2f}x"),
            ENROLMENT_MIN_RATIO,
        ),
        row("... until every first task ran (/s)", k.settled_per_second, f.settled_per_second),
        at_most(
            row(
                "Update p50 (ms, one at a time)",
                one.kinerja.phase.latency.p50,
                one.floor.phase.latency.p50,
                f"<= {UPDATE_P50_MAX_RATIO:.2f}x",
            ),
            UPDATE_P50_MAX_RATIO,
        ),
        row("... first Update of a workflow (ms, p50)", one.kinerja.phase.turn(0).p50, one.floor.phase.turn(0).p50),
        row("... second, right after it (ms, p50)", one.kinerja.phase.turn(1).p50, one.floor.phase.turn(1).p50),
        row("Update p95 (ms, one at a time)", one.kinerja.phase.latency.p95, one.floor.phase.latency.p95),
        row("Update p99 (ms, one at a time)", one.kinerja.phase.latency.p99, one.floor.phase.latency.p99),
        # Second Updates only: each finds its workflow cached on either side. The references' first Updates did not
        # behave like the plain floor's (cause not traced; docs/benchmarks.md, "The cached Update, piece by piece").
        row(
            "second Update vs floor + 1 activity (ms, p50)",
            one.kinerja.phase.turn(1).p50,
            r.floor_updates_activity.turn(1).p50,
        ),
        row(
            "second Update vs floor + 1 local activity (ms, p50)",
            one.kinerja.phase.turn(1).p50,
            r.floor_updates_local_activity.turn(1).p50,
        ),
        row(f"Update throughput (/s, C={c})", loaded.kinerja.phase.per_second, loaded.floor.phase.per_second),
        row(f"Update p50 under load (ms, C={c})", loaded.kinerja.phase.latency.p50, loaded.floor.phase.latency.p50),
        events(
            "events/appraisal, happy path, acknowledged", [x.history.events for x in r.happy_runs if x.acknowledged]
        ),
        events(
            "events/appraisal, happy path, window timer", [x.history.events for x in r.happy_runs if not x.acknowledged]
        ),
        row("largest history, any workflow (events)", r.kinerja_history_max, r.floor_history_max),
        replace(
            row("cycle workflow history, enrolling (events)", r.cycle_history, None, "< 10,240"),
            ok=None if r.cycle_history is None else r.cycle_history < 10_240,
        ),
        row("history size, happy path (KiB)", happy_kib, r.floor_history_sample.bytes / 1024),
        row("AppraisalInput payload (KiB)", r.input_bytes / 1024, None),
        row("worker CPU per start (ms)", per_start(k.cpu.worker, k), per_start(f.cpu.worker, f)),
        row("server CPU per start (ms)", per_start(k.cpu.server, k), per_start(f.cpu.server, f)),
        row(
            "worker CPU per Update (ms)",
            per_update(updates.cpu.worker, updates),
            per_update(floor_updates.cpu.worker, floor_updates),
        ),
        row(
            "server CPU per Update (ms)",
            per_update(updates.cpu.server, updates),
            per_update(floor_updates.cpu.server, floor_updates),
        ),
        row("worker RSS after enrolment (MiB)", r.worker_after_enrolment.rss_mib, None),
        row("worker peak RSS (MiB)", r.worker_end.peak_mib, floor_worker, "flat in N"),
        row("server peak RSS (MiB)", r.server_end.peak_mib, None),
    ]


def _ms(seconds: float, count: int) -> float:
    return seconds * 1000 / count if count else float("nan")


def rows_across(results: list[SizeResult]) -> list[Row]:
    if len(results) < 2:
        return []
    small, large = results[0], results[-1]
    growth = _ratio(large.worker_end.peak_mib, small.worker_end.peak_mib)
    floor_growth = None
    if small.floor_worker_end and large.floor_worker_end:
        floor_growth = _ratio(large.floor_worker_end.peak_mib, small.floor_worker_end.peak_mib)
    return [
        Row(
            None,
            f"worker peak RSS growth, N={small.employees}->{large.employees} (x)",
            growth,
            floor_growth,
            f"<= {FLAT_MEMORY_MAX_GROWTH:.2f}x",
            None,
            None if growth is None else growth <= FLAT_MEMORY_MAX_GROWTH,
        ),
    ]


def _number(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def table(rows: list[Row]) -> str:
    header = ("N", "metric", "Kinerja", "bare floor", "ratio", "target", "")
    body = [
        (
            "all" if row.size is None else f"{row.size:,}",
            row.metric,
            _number(row.kinerja),
            _number(row.floor),
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.target,
            "" if row.ok is None else ("ok" if row.ok else "MISS"),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    right = {0, 2, 3, 4}

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])


def machine() -> dict[str, Any]:
    try:
        cli = subprocess.run(
            [str(temporal_client.dev_server_path()), "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        cli = f"unknown ({error})"
    memory = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "unknown",
    )
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "memory": memory,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "temporalio": metadata.version("temporalio"),
        "temporal_cli": cli,
        "code": code_version(),
    }


def code_version() -> str:
    """The commit measured, and the files that differ from it: a worker's sandbox loads workflow code from disk for
    every new run, so an edit during a benchmark is measured too."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown commit"
    # Porcelain lines are "XY path" (a rename: "XY old -> new"): two status columns, a space, the path.
    status = git("status", "--porcelain", "--untracked-files=no").splitlines()
    changed = [line[3:].split(" -> ")[-1] for line in status if line]
    if not changed:
        return f"{commit} (clean)"
    shown = ", ".join(changed[:CHANGES_SHOWN])
    more = f" and {len(changed) - CHANGES_SHOWN} more" if len(changed) > CHANGES_SHOWN else ""
    return f"{commit} + uncommitted changes in {shown}{more}"


def machine_text(info: dict[str, Any]) -> str:
    return (
        f"machine: {info['cpus']} CPUs ({info['cpus_usable']} usable), load {info['load_average']}, "
        f"{info['memory']} RAM, {info['platform']}\n"
        f"python {info['python']}, temporalio {info['temporalio']}, {info['temporal_cli']}\n"
        f"code: {info['code']}"
    )


def save_json(
    path: Path, info: dict[str, Any], options: dict[str, Any], results: list[SizeResult], rows: list[Row]
) -> None:
    document = {
        "machine": info,
        "options": options,
        "sizes": [asdict(result) for result in results],
        "table": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(_finite(document), indent=2, default=str, allow_nan=False) + "\n")


def _finite(value: Any) -> Any:
    """NaN (a CPU figure of a worker inside this process, say) as null: strict JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
