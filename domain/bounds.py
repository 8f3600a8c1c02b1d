"""Bounds on what people send: every free text has a maximum length and no control characters, every list a maximum
size. Checked before anything is written (the API's request models and the workflow's Update validators), so
nothing accepted can fail later: a 1 MB note would pass a validator without bounds, be recorded, and then fail the
workflow task on Temporal's payload limit, leaving the database and the workflow at odds.

The limits are generous for what each field is for (a reason is a paragraph, feedback a page) and far below what
Temporal carries (2 MB per payload, 4 MB per workflow task).
"""

from __future__ import annotations

import unicodedata
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

# Line breaks and tabs are text; every other control character (NUL above all, which PostgreSQL refuses in text and
# which no keyboard types) is not.
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def check_text(value: str, field: str, *, limit: int = MAX_REASON_CHARS, multiline: bool = True) -> str:
    """`value` if it is within `limit` characters and holds no control characters, else DomainError naming the
    field and the rule."""
    if len(value) > limit:
        raise DomainError(
            f"paling panjang {limit:,} karakter, yang dikirim {len(value):,}".replace(",", "."),
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
