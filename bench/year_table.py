"""The table bench/year.py prints: a row per phase, then the windows' latency and each phase's own figures."""

from __future__ import annotations

import json
import math

from bench.year_plan import PHASES
from bench.year_stack import RunState

# --- the table ------------------------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def table(state: RunState) -> str:
    phases = state.data.get("phases", {})
    floor = phases.get("floor", {})
    start_rate = floor.get("starts_per_second")
    first_rate = floor.get("first_tasks_per_second")
    update_rate = floor.get("updates_per_second")
    lines = [
        f"employees: {state.data.get('employees')}, cycle {state.data.get('cycle_id')}, code {state.data.get('code')}",
        "",
        "| phase | wall (s) | calls | calls/s | p50 / p99 (ms) | floor rate (/s) | floor time (s) | ratio"
        " | CPU worker / server / web (s) | peak RSS worker / server / web (MiB) | DB (MiB) | longest history |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in PHASES:
        figures = phases.get(phase)
        if figures is None:
            continue
        seconds = figures.get("seconds", 0.0)
        calls = figures.get("calls", 0)
        lat = figures.get("latency", {})
        floor_rate, work = None, 0.0
        if phase == "enrol":
            floor_rate, work = first_rate, figures.get("appraisals", 0)
        elif phase not in ("setup", "floor", "survey", "report") and update_rate:
            floor_rate, work = update_rate, calls
        floor_time = work / floor_rate if floor_rate else None
        cpu = figures.get("cpu", {})
        peak = figures.get("peak_mib", {})
        history = figures.get("longest_history", {})
        lines.append(
            f"| {phase} | {fmt(seconds, 1)} | {fmt(calls)} | {fmt(calls / seconds if seconds else None, 1)}"
            f" | {fmt(lat.get('p50'))} / {fmt(lat.get('p99'))} | {fmt(floor_rate, 1)} | {fmt(floor_time, 1)}"
            f" | {fmt(seconds / floor_time if floor_time else None, 2)}"
            f" | {fmt(cpu.get('worker'))} / {fmt(cpu.get('server'))} / {fmt(cpu.get('web'))}"
            f" | {fmt(peak.get('worker'))} / {fmt(peak.get('server'))} / {fmt(peak.get('web'))}"
            f" | {fmt(figures.get('database_mib'), 1)}"
            f" | {history.get('appraisal', '-')} / {history.get('cycle', '-')} |"
        )
    if start_rate:
        lines.append(f"\nfloor: {start_rate} starts/s, {first_rate} first tasks/s, {update_rate} Updates/s")
    for phase, key, quiet in (
        ("review", "during_survey_close", "quiet"),
        ("calibration", "during_push", "after_push"),
        ("closing", "during_report", "quiet"),
    ):
        figures = phases.get(phase)
        if figures and key in figures:
            during, other = figures[key], figures[quiet]
            ratio = during["p99"] / other["p99"] if other.get("p99") else None
            lines.append(
                f"{phase}: p99 {fmt(during['p99'])} ms during ({key}, {during['count']} calls) against"
                f" {fmt(other['p99'])} ms ({quiet}, {other['count']}): {fmt(ratio, 2)}x"
            )
    for phase, figures in phases.items():
        extra = {k: v for k, v in figures.items() if k not in TABLE_KEYS}
        if extra:
            lines.append(f"{phase}: {json.dumps(extra)}")
    return "\n".join(lines)


TABLE_KEYS = {
    "failures",
    "failed",
    "by_kind",
    "seconds",
    "calls",
    "latency",
    "cpu",
    "peak_mib",
    "database_mib",
    "longest_history",
    "at",
    "statuses",
}
