"""How a workflow refuses a command: an ApplicationError whose message names the field (shown to the person as is)
and whose details carry the field and the rule for programs. Shared by the appraisal and the cycle workflows."""

from __future__ import annotations

from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from domain.errors import DomainError


def rejection(error: DomainError | ValidationError) -> ApplicationError:
    if isinstance(error, ValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'data'}: {e['msg']}" for e in error.errors())
        return ApplicationError(problems, {"field": None, "rule": None}, type="ValidationError", non_retryable=True)
    return ApplicationError(
        str(error), {"field": error.field, "rule": error.rule}, type=type(error).__name__, non_retryable=True
    )
