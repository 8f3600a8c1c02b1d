"""Errors a rule raises: each names the field and the rule broken, in words the user reads."""

from __future__ import annotations


class DomainError(ValueError):
    """Input that a business rule refuses. Never retried; shown to the user as is."""

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {message}" if field else message)


class NotFound(DomainError):
    """A referenced record (employee, unit, appraisal) does not exist."""


class ConcurrencyConflict(DomainError):
    """Someone else changed the record since it was read (optimistic concurrency); reload and try again."""


class Forbidden(DomainError):
    """The person may see the record but not do this with it (their role does not allow it)."""
