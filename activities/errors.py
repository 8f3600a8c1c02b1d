"""How activities report failures to Temporal: a business rule's refusal is final, anything else is retried."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from sqlalchemy.exc import DataError
from temporalio.exceptions import ApplicationError

from domain.errors import ConcurrencyConflict, DomainError
from observability import get_logger

log = get_logger("kinerja.activities")

UNSTORABLE_DATA = "UnstorableData"  # the ApplicationError type of data the database refuses to store


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


@contextmanager
def storable(what: str) -> Iterator[None]:
    """A value the database cannot store (a NUL in a text on PostgreSQL, a number beyond its column) is refused for
    good, in words a person reads, where it would be retried without end and answered with the SQL text. The
    validators bound what a step carries (domain.bounds) so this should not happen; it is the last guard of a step
    that is retried until the database answers (workflows.appraisal_base.RECORD_ACCEPTED_RETRY)."""
    try:
        yield
    except DataError as error:
        # The driver's message may quote the value: only its class goes to the log.
        log.warning("database refused the data of a step", what=what, error=type(error.orig).__name__)
        raise ApplicationError(
            f"{what} berisi data yang tidak dapat disimpan basis data (karakter kendali atau angka di luar batas);"
            " tidak ada yang tercatat",
            type=UNSTORABLE_DATA,
            non_retryable=True,
        ) from None
