"""How activities report failures to Temporal: a business rule's refusal is final, anything else is retried."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from domain.errors import ConcurrencyConflict, DomainError


@contextmanager
def business_errors() -> Iterator[None]:
    try:
        yield
    except ConcurrencyConflict as error:
        # Another writer changed the record; the retry reads it afresh and succeeds.
        raise ApplicationError(str(error), type="ConcurrencyConflict") from error
    except DomainError as error:
        raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from error
    except ValidationError as error:
        # Data the workflow sent that a record refuses: retrying would refuse it again.
        raise ApplicationError(str(error), type="ValidationError", non_retryable=True) from error
