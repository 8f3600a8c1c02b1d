"""Umpan balik berkelanjutan (continuous feedback, PermenPANRB 6/2022 Pasal 5: the stage of pelaksanaan, pemantauan
dan pembinaan kinerja): through the year the pejabat penilai gives the employee feedback, dated, and the employee may
answer it. Kept in the appraisal's record beside the year's one review and its single feedback text.

A note is not a step of the appraisal: it moves nothing, has no deadline, and is not carried by the workflow (whose
history stays within its budget however often a penilai writes). It is written to the database with an audit entry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.bounds import MAX_FEEDBACK_CHARS, check_text
from domain.errors import DomainError

FEEDBACK_RULE = "umpan balik berkelanjutan dari pejabat penilai kinerja (PermenPANRB 6/2022 Pasal 5)"
MAX_NOTES_PER_APPRAISAL = 300  # a note a week for a year from the penilai, each answered, and room to spare
MIN_NOTE_CHARS = 3
Writer = Literal["penilai", "pegawai"]


class FeedbackNote(BaseModel):
    """One note: the penilai's feedback, or the employee's answer to one (`answers`: the note it answers)."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    cycle_id: str = Field(min_length=1, max_length=64)
    employee_nip: str = Field(pattern=r"^\d{18}$")
    author_nip: str = Field(min_length=1, max_length=64)
    writer: Writer
    text: str = Field(min_length=MIN_NOTE_CHARS, max_length=MAX_FEEDBACK_CHARS)
    answers: int | None = None
    written_at: AwareDatetime


def checked_text(text: str) -> str:
    """The note's text without surrounding blanks, or DomainError (field `teks`) naming the rule."""
    check_text(text, "teks", limit=MAX_FEEDBACK_CHARS)
    cleaned = text.strip()
    if len(cleaned) < MIN_NOTE_CHARS:
        raise DomainError(f"umpan balik diisi, paling sedikit {MIN_NOTE_CHARS} karakter", field="teks")
    return cleaned


def check_room(count: int) -> None:
    """DomainError unless the appraisal can hold one more note."""
    if count >= MAX_NOTES_PER_APPRAISAL:
        raise DomainError(
            f"penilaian ini sudah memuat {MAX_NOTES_PER_APPRAISAL} catatan umpan balik; batasnya tercapai",
            field="teks",
            rule="batas jumlah catatan umpan balik per penilaian",
        )
