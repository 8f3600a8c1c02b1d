"""Periodic evaluation (domain.periods, migration 0022): a row per period of an appraisal, replaced whole with each of
its steps and notices (the workflow holds the period; the row is what pages, lists and the annual review read)."""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.periods import PeriodRecord
from persistence.orm import PeriodReviewRow

_FIELDS = (
    "cycle_id",
    "instansi_code",
    "unit_code",
    "employee_nip",
    "employee_name",
    "penilai_nip",
    "label",
    "last_day",
    "assignee_nip",
    "deadline",
    "overdue",
    "escalation_level",
    "realised_at",
    "feedback",
    "dialog_at",
)


def _record(row: PeriodReviewRow) -> PeriodRecord:
    return PeriodRecord.model_validate(
        {
            "workflow_id": row.workflow_id,
            "number": row.number,
            "step": row.step,
            "rating": row.rating,
            "realisations": row.realisations.get("items", []),
            **{name: getattr(row, name) for name in _FIELDS},
        }
    )


class SqlPeriodRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, record: PeriodRecord) -> None:
        """Insert or replace the period's row."""
        row = self._session.get(PeriodReviewRow, (record.workflow_id, record.number))
        if row is None:
            row = PeriodReviewRow(workflow_id=record.workflow_id, number=record.number)
            self._session.add(row)
        for name in _FIELDS:
            setattr(row, name, getattr(record, name))
        row.step = record.step.value
        row.rating = record.rating.value if record.rating is not None else None
        row.realisations = {"items": [r.model_dump(mode="json") for r in record.realisations]}

    def of_appraisal(self, cycle_id: str, employee_nip: str) -> builtins.list[PeriodRecord]:
        """The appraisal's periods in order (ix_period_reviews_appraisal)."""
        rows = self._session.scalars(
            select(PeriodReviewRow)
            .where(PeriodReviewRow.cycle_id == cycle_id, PeriodReviewRow.employee_nip == employee_nip)
            .order_by(PeriodReviewRow.number)
        )
        return [_record(row) for row in rows]

    def of_assignee(self, nip: str, *, limit: int) -> builtins.list[PeriodRecord]:
        """The periods waiting on `nip`, the nearest deadline first (ix_period_reviews_assignee)."""
        rows = self._session.scalars(
            select(PeriodReviewRow)
            .where(PeriodReviewRow.assignee_nip == nip)
            .order_by(PeriodReviewRow.deadline, PeriodReviewRow.workflow_id, PeriodReviewRow.number)
            .limit(limit)
        )
        return [_record(row) for row in rows]
