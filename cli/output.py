"""Printing for the command line: readable tables for people, `--json` for machines."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from pydantic import BaseModel


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    """A plain aligned table; numbers right-aligned, everything else left."""
    stream = out or sys.stdout
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    print(line(headers), file=stream)
    print("  ".join("-" * w for w in widths), file=stream)
    for row in cells:
        print(line(row), file=stream)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    return value


def emit_json(value: Any, out: TextIO | None = None) -> None:
    print(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2), file=out or sys.stdout)


class CommandError(Exception):
    """A command cannot do what was asked; the message is the one line the user sees."""


def fail(message: str) -> int:
    """One clear line on stderr; the caller returns the exit code."""
    print(f"kesalahan: {message}", file=sys.stderr)
    return 1


def paused_line(schedule_id: str, note: str) -> str:
    """What a schedule an operator paused says after its settings changed: it stays paused, and how to resume it."""
    why = f" ({note})" if note else ""
    return (
        f"Jadwal {schedule_id} sedang dijeda{why} dan tetap dijeda; lanjutkan: temporal schedule toggle --unpause"
        f" --schedule-id {schedule_id} --reason ALASAN"
    )


def tmt(effective_on: date | str | None) -> str:
    """', TMT 2026-07-01' after a withdrawal's cause, or nothing when no TMT was given."""
    return f", TMT {effective_on}" if effective_on else ""


def local_time(value: datetime | None) -> str:
    """An instant as the operator reads it: this machine's local time with its UTC offset."""
    if value is None:
        return "-"
    shown = value.astimezone()
    return shown.strftime("%Y-%m-%d %H:%M:%S") + " " + shown.strftime("%z")[:3]
