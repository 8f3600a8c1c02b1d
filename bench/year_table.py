"""The table bench/year.py prints: a row per phase, then the windows' latency and each phase's own figures."""

from __future__ import annotations

import json
import math
from typing import Any

from bench.year_plan import PHASES
from bench.year_stack import RunState

# --- the table ------------------------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


# Calls that are a workflow Update (the floor's unit of work); reads and the SKP draft's save are not.
UPDATE_KINDS = {
    "skp-submit",
    "skp-approve",
    "self-assessment",
    "review",
    "sign",
    "acknowledge",
    "objection",
    "objection-decision",
    "proposal",
    "decision",
}
# Time a phase spends waiting for the calendar (a deadline to pass, the cycle to close), not working.
WAITS = ("waited_seconds", "waited_for_survey_close", "waited_for_review_due", "waited_for_close")


def floor_seconds(
    phase: str, figures: dict[str, Any], floor: dict[str, Any], rate: str = "updates_per_second"
) -> float | None:
    """What the floor takes for the phase's work: its first tasks at the floor's rate, or its Updates at the
    floor's Update rate (`rate`: bare, or with one activity each; `--concurrency` in flight)."""
    if phase == "enrol" and floor.get("first_tasks_per_second"):
        return float(figures.get("appraisals", 0)) / float(floor["first_tasks_per_second"])
    updates = sum(int(k["count"]) for kind, k in figures.get("by_kind", {}).items() if kind in UPDATE_KINDS)
    updates += int(figures.get("worker_updates", 0))  # Updates the worker sent (the calibration's push)
    if updates and floor.get(rate):
        return float(updates) / float(floor[rate])
    return None


def table(state: RunState) -> str:
    phases = state.data.get("phases", {})
    floor = phases.get("floor", {})
    start_rate = floor.get("starts_per_second")
    first_rate = floor.get("first_tasks_per_second")
    update_rate = floor.get("updates_per_second")
    lines = [
        f"employees: {state.data.get('employees')}, cycle {state.data.get('cycle_id')}, code {state.data.get('code')}",
        f"machine: {state.data.get('machine')}",
        "",
        "| phase | wall (s) | waiting (s) | calls | calls/s | p50 / p99 (ms) | floor (s) | ratio"
        " | CPU worker / server / web (s) | peak RSS worker / server / web (MiB) | DB (MiB) | longest history |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    active_total = floor_total = shaped_total = 0.0
    for phase in PHASES:
        figures = phases.get(phase)
        if figures is None:
            continue
        seconds = figures.get("seconds", 0.0)
        waiting = sum(float(figures.get(key, 0.0)) for key in WAITS)
        active = seconds - waiting
        calls = figures.get("calls", 0)
        lat = figures.get("latency", {})
        floor_time = floor_seconds(phase, figures, floor) if phase not in ("setup", "floor") else None
        if floor_time and phase not in ("setup", "floor"):
            active_total += active
            floor_total += floor_time
            shaped_total += floor_seconds(phase, figures, floor, "updates_with_activity_per_second") or 0.0
        cpu = figures.get("cpu", {})
        peak = figures.get("peak_mib", {})
        history = figures.get("longest_history", {})
        lines.append(
            f"| {phase} | {fmt(seconds, 1)} | {fmt(waiting, 1)} | {fmt(calls)}"
            f" | {fmt(calls / active if active > 0 else None, 1)}"
            f" | {fmt(lat.get('p50'))} / {fmt(lat.get('p99'))} | {fmt(floor_time, 1)}"
            f" | {fmt(active / floor_time if floor_time else None, 2)}"
            f" | {fmt(cpu.get('worker'))} / {fmt(cpu.get('server'))} / {fmt(cpu.get('web'))}"
            f" | {fmt(peak.get('worker'))} / {fmt(peak.get('server'))} / {fmt(peak.get('web'))}"
            f" | {fmt(figures.get('database_mib'), 1)}"
            f" | {history.get('appraisal', '-')} / {history.get('cycle', '-')} |"
        )
    appraisals = phases.get("enrol", {}).get("appraisals")
    if floor_total:
        per = f", {active_total / appraisals * 1000:.1f} ms of work per appraisal" if appraisals else ""
        lines.append(
            f"\nthe year's work (phases with a floor, waiting left out): {active_total:,.0f} s against the floor's"
            f" {floor_total:,.0f} s for the same first tasks and Updates: {active_total / floor_total:.2f}x{per}"
        )
        if floor.get("updates_with_activity_per_second") and shaped_total:
            lines.append(
                "against a floor whose Update runs one activity, as a step's durable write does:"
                f" {shaped_total:,.0f} s, {active_total / shaped_total:.2f}x"
            )
    if start_rate:
        shaped = floor.get("updates_with_activity_per_second")
        with_activity = f", {shaped} Updates/s with one activity" if shaped else ""
        lines.append(
            f"floor: {start_rate} starts/s, {first_rate} first tasks/s, {update_rate} Updates/s{with_activity}"
        )
    storage = phases.get("report", {}).get("storage")
    if storage:
        lines.append(
            f"history per appraisal year: {storage['mean_kib']} KiB (largest {storage['max_kib']} KiB,"
            f" {storage['appraisals']} read whole)"
        )
    # Each busy window against the rest of its phase; the calibration push also against the review's steps: the
    # penilai sign as the push reaches them, so only a few signatures trail after it (a p99 of a dozen calls), while
    # the review sends the same kind of Update at the same concurrency with no push beside it.
    for phase, key, base_phase, quiet in (
        ("review", "during_survey_close", "review", "quiet"),
        ("calibration", "during_push", "calibration", "after_push"),
        ("calibration", "during_push", "review", "quiet"),
        ("closing", "during_report", "closing", "quiet"),
    ):
        figures, base = phases.get(phase), phases.get(base_phase)
        if figures and base and key in figures and quiet in base:
            during, other = figures[key], base[quiet]
            ratio = during["p99"] / other["p99"] if other.get("p99") else None
            where = quiet if base_phase == phase else f"{base_phase}, {quiet}"
            lines.append(
                f"{phase}: p99 {fmt(during['p99'])} ms during ({key}, {during['count']} calls) against"
                f" {fmt(other['p99'])} ms ({where}, {other['count']}): {fmt(ratio, 2)}x"
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
