"""Continuous feedback notes (domain.feedback, migration 0018): a row per note of an appraisal, in the order written."""

from __future__ import annotations

import builtins

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.feedback import FeedbackNote
from persistence.orm import FeedbackNoteRow


def _note(row: FeedbackNoteRow) -> FeedbackNote:
    return FeedbackNote.model_validate(
        {
            "id": row.id,
            "cycle_id": row.cycle_id,
            "employee_nip": row.employee_nip,
            "author_nip": row.author_nip,
            "writer": row.writer,
            "text": row.text,
            "answers": row.answers_id,
            "written_at": row.written_at,
        }
    )


class SqlFeedbackRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, note: FeedbackNote) -> FeedbackNote:
        """Store the note; returns it with its id."""
        row = FeedbackNoteRow(
            cycle_id=note.cycle_id,
            employee_nip=note.employee_nip,
            author_nip=note.author_nip,
            writer=note.writer,
            text=note.text,
            answers_id=note.answers,
            written_at=note.written_at,
        )
        self._session.add(row)
        self._session.flush()
        return _note(row)

    def get(self, cycle_id: str, employee_nip: str, note_id: int) -> FeedbackNote | None:
        """The appraisal's note `note_id` (None: none of this appraisal has it)."""
        row = self._session.get(FeedbackNoteRow, note_id)
        if row is None or (row.cycle_id, row.employee_nip) != (cycle_id, employee_nip):
            return None
        return _note(row)

    def of_appraisal(self, cycle_id: str, employee_nip: str) -> builtins.list[FeedbackNote]:
        """The appraisal's notes, oldest first (at most domain.feedback.MAX_NOTES_PER_APPRAISAL)."""
        rows = self._session.scalars(
            select(FeedbackNoteRow)
            .where(FeedbackNoteRow.cycle_id == cycle_id, FeedbackNoteRow.employee_nip == employee_nip)
            .order_by(FeedbackNoteRow.id)
        )
        return [_note(row) for row in rows]

    def count(self, cycle_id: str, employee_nip: str) -> int:
        query = select(func.count()).where(
            FeedbackNoteRow.cycle_id == cycle_id, FeedbackNoteRow.employee_nip == employee_nip
        )
        return int(self._session.scalar(query) or 0)
