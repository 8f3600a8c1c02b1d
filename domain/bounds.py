"""Bounds on what people send: every free text has a maximum length and no control characters, every list a maximum
size. Checked before anything is written (the API's request models and the workflow's Update validators), so
nothing accepted can fail later: a 1 MB note would pass a validator without bounds, be recorded, and then fail the
workflow task on Temporal's payload limit, leaving the database and the workflow at odds.

The limits are generous for what each field is for (a reason is a paragraph, feedback a page) and far below what
Temporal carries (2 MB per payload, 4 MB per workflow task).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sized
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

from domain.errors import DomainError

MAX_REASON_CHARS = 2_000  # a reason, a note, a return comment: a paragraph or two
MAX_FEEDBACK_CHARS = 5_000  # the penilai's feedback: a page
MAX_NAME_CHARS = 200
MAX_LIST_ITEMS = 200  # realisations per self-assessment, rows of a bulk action
MAX_EVIDENCE_ITEMS = 20  # evidence links per indicator
MAX_URL_CHARS = 2_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # an import file
MAX_UPLOAD_ROWS = 100_000  # rows of an import file (a province's roster)
# A file the command line imports from the server's disk (the operator's, not an upload): larger, for a survey
# export with comments; it is read a record at a time and refused at MAX_UPLOAD_ROWS rows, never read whole.
MAX_IMPORT_FILE_BYTES = 50 * 1024 * 1024
MAX_ID_CHARS = 64  # an indicator's id as a realisation names it
MAX_SKP_TEXT_CHARS = 500  # the text of an RHK or an indicator (domain.skp holds it to the same)
MAX_RHK_ITEMS = 50  # rencana hasil kerja in one SKP
MAX_INDICATORS_PER_RHK = 20
MAX_REALISATION = Decimal("1e12")  # a realised value: a count, a percentage, rupiah of a budget
MAX_OFFICIALS = 50  # people on one list of a cycle's officials (supervision team, pengelola kinerja, pimpinan)
MAX_EVIDENCE_FILE_BYTES = 4 * 1024 * 1024  # one evidence file (PDF, JPG, PNG): a scanned report; fits one request
MAX_EVIDENCE_BYTES_PER_APPRAISAL = 40 * 1024 * 1024  # every evidence file of one appraisal together
MAX_EVIDENCE_FILES_PER_APPRAISAL = 100

# Line breaks and tabs are text; every other control character (NUL above all, which PostgreSQL refuses in text and
# which no keyboard types) is not.
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def check_text(value: str, field: str, *, limit: int = MAX_REASON_CHARS, multiline: bool = True) -> str:
    """`value` if it is within `limit` characters and holds no control characters, else DomainError naming the
    field and the rule."""
    if len(value) > limit:
        raise DomainError(
            f"paling panjang {_count(limit)} karakter, yang dikirim {_count(len(value))}",
            field=field,
            rule="batas panjang teks",
        )
    for ch in value:
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in _ALLOWED_CONTROLS):
            raise DomainError(
                f"memuat karakter kendali U+{ord(ch):04X} yang tidak diizinkan",
                field=field,
                rule="teks tanpa karakter kendali",
            )
    return value


def check_items(items: Sized, field: str, *, limit: int) -> None:
    """DomainError unless `items` holds at most `limit` entries."""
    if len(items) > limit:
        raise DomainError(
            f"paling banyak {_count(limit)} butir, yang dikirim {_count(len(items))}",
            field=field,
            rule="batas jumlah butir",
        )


def check_amount(value: Decimal, field: str, *, limit: Decimal = MAX_REALISATION) -> None:
    """DomainError unless `value` is a finite number from 0 to `limit`: a realisation is never negative."""
    if not value.is_finite():
        raise DomainError(f"'{value}' bukan bilangan", field=field, rule="realisasi berupa bilangan")
    if value < 0:
        raise DomainError(f"tidak boleh negatif, yang dikirim {value}", field=field, rule="realisasi tidak negatif")
    if value > limit:
        raise DomainError(f"paling besar {_count(int(limit))}", field=field, rule="batas nilai realisasi")


def appraisal_years(period: int, *calendar_years: int) -> tuple[int, int]:
    """The first and last year a date of an appraisal may fall in: its period and the next, stretched over the years
    its calendar spans (a calendar that starts in the period and ends in it, as every real one, changes nothing)."""
    return min(period, *calendar_years), max(period, *calendar_years) + 1


def check_in_years(
    instant: datetime, field: str, *, years: tuple[int, int], utc_offset_hours: int | None = None
) -> None:
    """DomainError unless `instant` falls within `years` (appraisal_years: the appraisal's year or the next, for a
    deadline moved past New Year is still this appraisal's), read in the cycle's zone when it has one. A date further
    off is a typing error, and one near the end of the calendar (9999-12-31) cannot even have its reminders computed."""
    first, last = years
    # Checked in the sender's own zone first: converting 9999-12-31T23:00+00:00 to WIT would overflow.
    local = instant
    if first - 1 <= instant.year <= last + 1 and utc_offset_hours is not None:
        local = instant.astimezone(timezone(timedelta(hours=utc_offset_hours)))
    if not first <= local.year <= last:
        span = f"tahun {first}" if first == last else f"tahun {first} sampai {last}"
        raise DomainError(
            f"{local.date().isoformat()} di luar tahun penilaian dan tahun berikutnya ({span})",
            field=field,
            rule="tanggal dalam tahun penilaian",
        )


def _count(number: int) -> str:
    """12.345: thousands grouped with dots, as Indonesian writes them."""
    return f"{number:,}".replace(",", ".")


def _text(limit: int, multiline: bool = True) -> AfterValidator:
    def check(value: str) -> str:
        try:
            return check_text(value, "teks", limit=limit, multiline=multiline)
        except DomainError as error:
            # pydantic names the field itself; keep only the rule's words
            raise ValueError(str(error).removeprefix("teks: ")) from None

    return AfterValidator(check)


# Request fields: pydantic checks the length first (a cheap refusal of a huge body), then the characters.
Reason = Annotated[str, Field(max_length=MAX_REASON_CHARS), _text(MAX_REASON_CHARS)]
Feedback = Annotated[str, Field(max_length=MAX_FEEDBACK_CHARS), _text(MAX_FEEDBACK_CHARS)]
Name = Annotated[str, Field(max_length=MAX_NAME_CHARS), _text(MAX_NAME_CHARS, multiline=False)]
