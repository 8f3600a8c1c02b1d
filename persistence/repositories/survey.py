"""SKM survey responses (PermenPANRB 14/2017): stored per instansi and period, one response per respondent token."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.errors import DomainError
from persistence.orm import SurveyResponseRow
from persistence.ports import SURVEY_ITEMS, SurveyResponseRecord
from persistence.repositories._sql import insert_unless_exists

_UNIQUE = ["instansi_code", "period", "respondent_token"]
_ANSWER_COLUMNS = [f"u{n}" for n in range(1, SURVEY_ITEMS + 1)]


def _values(response: SurveyResponseRecord) -> dict[str, Any]:
    values = response.model_dump(exclude={"answers"})
    values.update(zip(_ANSWER_COLUMNS, response.answers, strict=True))
    return values


def _record(row: SurveyResponseRow) -> SurveyResponseRecord:
    return SurveyResponseRecord(
        instansi_code=row.instansi_code,
        period=row.period,
        unit_code=row.unit_code,
        respondent_token=row.respondent_token,
        answers=tuple(getattr(row, column) for column in _ANSWER_COLUMNS),
        comment=row.comment,
        source=row.source,
        submitted_at=row.submitted_at,
    )


def _duplicate_error(tokens: builtins.list[str], instansi_code: str, period: int) -> DomainError:
    shown = ", ".join(f"'{t}'" for t in tokens[:20]) + (f" dan {len(tokens) - 20} lainnya" if len(tokens) > 20 else "")
    return DomainError(
        f"token responden {shown} sudah dipakai untuk instansi {instansi_code} periode {period};"
        " setiap responden hanya boleh mengisi survei satu kali",
        field="respondent_token",
        rule="satu token responden untuk satu jawaban survei",
    )


class SqlSurveyResponseRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, response: SurveyResponseRecord) -> None:
        """Store one response; a token already used in the same instansi and period is a DomainError naming it."""
        self.add_many([response])

    def add_many(self, responses: builtins.list[SurveyResponseRecord]) -> int:
        """Store a batch (one import file); every duplicate token is named in one DomainError.

        After a DomainError the other rows of the batch are still pending in the transaction: leave the unit of
        work without committing so the import is all or nothing.
        """
        if not responses:
            return 0
        for key, group in _by_period(responses).items():
            instansi_code, period = key
            tokens = [r.respondent_token for r in group]
            repeated = sorted({t for t in tokens if tokens.count(t) > 1})
            if repeated:
                raise _duplicate_error(repeated, instansi_code, period)
        inserted: set[tuple[str, int, str]] = set()
        for response in responses:
            token = self._session.execute(
                insert_unless_exists(self._session, SurveyResponseRow, _UNIQUE)
                .values(**_values(response))
                .returning(SurveyResponseRow.respondent_token)
            ).scalar_one_or_none()
            if token is not None:
                inserted.add((response.instansi_code, response.period, token))
        duplicates = [r for r in responses if (r.instansi_code, r.period, r.respondent_token) not in inserted]
        if duplicates:
            first = duplicates[0]
            raise _duplicate_error([r.respondent_token for r in duplicates], first.instansi_code, first.period)
        return len(inserted)

    def count(self, instansi_code: str, period: int) -> int:
        """How many responses the instansi has for the period, from the index of its tokens."""
        query = select(func.count()).where(
            SurveyResponseRow.instansi_code == instansi_code, SurveyResponseRow.period == period
        )
        return self._session.scalar(query) or 0

    def list(
        self, instansi_code: str, period: int, unit_code: str | None = None
    ) -> builtins.list[SurveyResponseRecord]:
        query = select(SurveyResponseRow).where(
            SurveyResponseRow.instansi_code == instansi_code, SurveyResponseRow.period == period
        )
        if unit_code is not None:
            query = query.where(SurveyResponseRow.unit_code == unit_code)
        return [_record(row) for row in self._session.scalars(query.order_by(SurveyResponseRow.id))]


def _by_period(
    responses: builtins.list[SurveyResponseRecord],
) -> dict[tuple[str, int], builtins.list[SurveyResponseRecord]]:
    groups: dict[tuple[str, int], builtins.list[SurveyResponseRecord]] = {}
    for response in responses:
        groups.setdefault((response.instansi_code, response.period), []).append(response)
    return groups
