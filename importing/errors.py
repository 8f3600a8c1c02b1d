"""What an import reports: a file it cannot read at all, or every bad row of a file it could read.

A user fixes a spreadsheet in one pass only if the report lists every problem, so the parsers collect errors row by
row and raise once at the end; they never return part of a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from domain.errors import DomainError

# Long cells (an RHK text, a comment) are cut in the report: the line and column already say where to look.
MAX_SHOWN_VALUE = 60


class ImportFileError(DomainError):
    """The file as a whole is unusable: missing, of an unknown type, unreadable, or without a required column."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class RowError(BaseModel):
    """One broken rule on one row. `line` is the spreadsheet row (the header is line 1); `code` is for programs."""

    model_config = ConfigDict(frozen=True)

    line: int
    column: str | None
    value: str
    message: str
    code: str
    related_lines: tuple[int, ...] = ()  # other rows involved: the first copy of a duplicate, a cycle's members

    def render(self) -> str:
        where = f"baris {self.line}" + (f", kolom {self.column}" if self.column else "")
        if self.column is None:
            return f"{where}: {self.message}"
        return f"{where}: {_shown(self.value)} — {self.message}"


class ValidationFailed(DomainError):
    """Every row error of one file; nothing of the file was imported."""

    def __init__(self, source: str, errors: Iterable[RowError]) -> None:
        self.source = source
        self.errors: list[RowError] = sorted(errors, key=lambda e: e.line)
        lines = len({e.line for e in self.errors})
        self.message = f"{source}: {len(self.errors)} kesalahan pada {lines} baris; tidak ada data yang diimpor"
        super().__init__(self.message)

    def lines(self) -> list[str]:
        """The report as text lines, in row order: the summary first, then one line per error."""
        return [self.message, *(e.render() for e in self.errors)]

    def render(self) -> str:
        return "\n".join(self.lines())


class RowErrors:
    """Collects the errors of one parse; `raise_if_any` ends the parse when there is at least one."""

    def __init__(self, source: str, labels: Mapping[str, str] | None = None) -> None:
        self.source = source
        self.labels = dict(labels or {})  # canonical column -> the header as the file writes it
        self.errors: list[RowError] = []
        self._seen: set[tuple[int, str | None, str, str]] = set()

    def add(
        self,
        line: int,
        column: str | None,
        value: str,
        message: str,
        code: str,
        related_lines: Iterable[int] = (),
    ) -> None:
        """Add one error; the same error of the same cell found by two checks (a unit code too long for both the
        unit and the employee) is kept once."""
        key = (line, column, code, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.errors.append(
            RowError(
                line=line,
                column=self.labels.get(column, column) if column else None,
                value=value,
                message=message,
                code=code,
                related_lines=tuple(sorted(set(related_lines))),
            )
        )

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.source, self.errors)


def _shown(value: str) -> str:
    if not value:
        return "(kosong)"
    if len(value) > MAX_SHOWN_VALUE:
        value = value[: MAX_SHOWN_VALUE - 1] + "…"
    return f"'{value}'"


def lines_text(lines: Iterable[int]) -> str:
    """'baris 3', 'baris 3 dan 7', 'baris 3, 5 dan 7'."""
    ordered = [str(n) for n in sorted(set(lines))]
    if len(ordered) <= 1:
        return "baris " + "".join(ordered)
    return f"baris {', '.join(ordered[:-1])} dan {ordered[-1]}"
