"""The API benchmark's results: what each part measured, its tables, and the JSON to keep."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import report
from bench.api_steps import Level
from bench.api_tasks import HashCost, Load, Plan
from bench.processes import Memory

API_P50_MAX_RATIO = 1.15  # issue 17: a step through the API, p50, against the same Update sent straight
TASKS_P95_MAX_MS = 50.0  # issue 17: 'My tasks' p95 at 50 concurrent users, 100,000 appraisals


@dataclass(frozen=True)
class StepsResult:
    employees: int
    database: str
    updates: int  # approvals of each kind per level
    levels: list[Level]
    web_memory: Memory


@dataclass(frozen=True)
class TasksResult:
    appraisals: int
    employees: int
    instansi: int
    users: int
    fill_seconds: float
    open_steps: dict[str, int]  # per user with a token
    plans: list[Plan]  # a typical user's, the busiest user's
    loads: list[Load]
    web_workers: int
    probes: dict[str, Load]  # one request at a time, layer by layer: where a request's time goes


@dataclass(frozen=True)
class LoginResult:
    cost: HashCost
    hash_concurrency: int
    loads: list[Load]
    web_memory_before: Memory
    web_memory_after: Memory
    web_workers: int


def machine() -> dict[str, Any]:
    return report.machine()


def header(info: dict[str, Any], options: dict[str, Any]) -> str:
    shown = ", ".join(f"{key}={value}" for key, value in options.items() if key not in ("json", "keep_temp"))
    return f"{report.machine_text(info)}\noptions: {shown}"


def _n(value: float) -> str:
    return "-" if value != value else report._number(value)  # NaN: not measured


def _grid(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return " | ".join(cell.ljust(w) if i == 1 else cell.rjust(w) for i, (cell, w) in pairs)

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(row) for row in rows)])


def steps_table(result: StepsResult) -> str:
    rows: list[list[str]] = []
    for level in result.levels:
        api, direct, floor = (level.arms[name] for name in ("api", "direct", "floor"))
        c = str(level.concurrency)

        def row(
            metric: str, a: float, d: float, f: float, target: str = "info", *, check: bool = False, c: str = c
        ) -> None:
            ratio = a / d if d else float("nan")
            verdict = ("ok" if ratio <= API_P50_MAX_RATIO else "MISS") if check else ""
            rows.append(
                [c, metric, _n(a), _n(d), _n(f), f"{ratio:.2f}x", f"{d / f:.2f}x" if f else "-", target, verdict]
            )

        row(
            "approve p50 (ms)",
            api.phase.latency.p50,
            direct.phase.latency.p50,
            floor.phase.latency.p50,
            f"<= {API_P50_MAX_RATIO:.2f}x",
            check=True,
        )
        row("approve p95 (ms)", api.phase.latency.p95, direct.phase.latency.p95, floor.phase.latency.p95)
        row("approve p99 (ms)", api.phase.latency.p99, direct.phase.latency.p99, floor.phase.latency.p99)
        row("approvals per second", api.phase.per_second, direct.phase.per_second, floor.phase.per_second)
        for process, label in (("web", "web"), ("worker", "worker"), ("server", "server")):
            floor_process = "floor worker" if process == "worker" else process
            row(
                f"{label} CPU per approval (ms)",
                1000 * api.cpu.get(process, 0.0) / api.phase.updates,
                1000 * direct.cpu.get(process, 0.0) / direct.phase.updates,
                1000 * floor.cpu.get(floor_process, 0.0) / floor.phase.updates,
            )
    head = ["C", "metric", "API", "direct", "floor", "API/direct", "direct/floor", "target", ""]
    return (
        f"A human step through the API: {result.updates} SKP approvals of each kind per level, {result.employees} "
        f"employees, domain database {result.database}; web peak RSS {result.web_memory.peak_mib:.0f} MiB\n"
        + _grid(head, rows)
    )


def tasks_table(result: TasksResult) -> str:
    counts = sorted(result.open_steps.values())
    rows = []
    for load in result.loads:
        verdict = ""
        if load.concurrency == 50:
            verdict = "ok" if load.latency.p95 <= TASKS_P95_MAX_MS else "MISS"
        rows.append(
            [
                str(load.concurrency),
                f"{load.think:g} s" if load.think else "none",
                f"{load.requests}" + (f" ({load.errors} reset)" if load.errors else ""),
                _n(load.per_second),
                _n(load.latency.p50),
                _n(load.latency.p95),
                _n(load.latency.p99),
                _n(load.latency.max),
                _n(load.web_cpu_ms_per_request),
                f"p95 <= {TASKS_P95_MAX_MS:.0f} ms at 50" if load.concurrency == 50 else "info",
                verdict,
            ]
        )
    head = [
        "users",
        "think",
        "requests",
        "per second",
        "p50 (ms)",
        "p95 (ms)",
        "p99 (ms)",
        "max (ms)",
        "web CPU/req",
        "target",
        "",
    ]
    plans = "; ".join(
        f"{plan.open_steps} open steps: {len(plan.plans)} statements, the worklist's by"
        f" {'ix_worklist_assignee' if plan.uses_assignee_index else 'NOT ix_worklist_assignee'}"
        for plan in result.plans
    )
    probes = _grid(
        ["one at a time", "path", "p50 (ms)", "p95 (ms)", "web CPU/req (ms)"],
        [
            [name, path, _n(load.latency.p50), _n(load.latency.p95), _n(load.web_cpu_ms_per_request)]
            for (name, path), load in ((_probe_label(key), value) for key, value in result.probes.items())
        ],
    )
    return (
        f"My tasks: {result.appraisals:,} worklist rows ({result.employees:,} employees, {result.instansi} instansi)"
        f" on PostgreSQL, filled in {result.fill_seconds:.0f}s; {result.users} users with a token, open steps each"
        f" median {statistics.median(counts):.0f}, max {counts[-1]}; {result.web_workers} uvicorn worker(s),"
        " no Temporal\n"
        f"plans: {plans}\n" + _grid(head, rows) + "\n\nWhere one request's time goes (1 in flight)\n" + probes
    )


def _probe_label(key: str) -> tuple[str, str]:
    name, _, path = key.partition("|")
    return name, path


def login_table(result: LoginResult) -> str:
    cost = result.cost
    rows = [
        [
            str(load.concurrency),
            str(load.requests),
            _n(load.per_second),
            _n(load.latency.p50),
            _n(load.latency.p95),
            _n(load.web_cpu_ms_per_request),
        ]
        for load in result.loads
    ]
    memory = result.hash_concurrency * cost.memory_kib / 1024
    return (
        f"Login: argon2id t={cost.time_cost}, m={cost.memory_kib} KiB, p={cost.parallelism}: one hash "
        f"{cost.hash_p50:.0f} ms wall, {cost.hash_cpu_p50:.0f} ms CPU (p50 of {len(cost.hash_ms)}); one verification "
        f"{cost.verify_p50:.0f} ms\nhash_concurrency {result.hash_concurrency} per web process: at most "
        f"{memory:.0f} MiB in hashes at once; web RSS peak {result.web_memory_before.peak_mib:.0f} MiB before the "
        f"sign-ins, {result.web_memory_after.peak_mib:.0f} MiB after ({result.web_workers} worker(s))\n"
        + _grid(["at once", "logins", "per second", "p50 (ms)", "p95 (ms)", "web CPU/login (ms)"], rows)
    )


def save_json(
    path: Path,
    info: dict[str, Any],
    options: dict[str, Any],
    steps: StepsResult | None,
    tasks: TasksResult | None,
    login: LoginResult | None,
) -> None:
    document = {
        "machine": info,
        "options": {key: str(value) if isinstance(value, Path) else value for key, value in options.items()},
        "steps": asdict(steps) if steps else None,
        "tasks": asdict(tasks) if tasks else None,
        "login": asdict(login) if login else None,
    }
    path.write_text(json.dumps(report._finite(document), indent=2, default=str, allow_nan=False) + "\n")
