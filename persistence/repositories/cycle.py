"""Cycles as the database knows them: the calendar each was planned with, and the IKM it computed at the survey close.

The calendar is registered once, by the first plan of the cycle: a running cycle keeps the deadlines it started with
(Temporal does not change a running workflow's input), so a later plan with other deadlines changes nothing here
either. Only the cycle's own count of its deadlines on new working days replaces them (`recount`, in the transaction
that records the change: services.calendar_record), so the pages, the survey window and a late joiner see those. The
IKM is replaced whenever the cycle computes it again (the closing report does, from the same answers).
"""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.calendar import Deadlines
from domain.policy import AppraisalPolicy
from domain.survey import IkmResult
from persistence.orm import CycleRow, CycleSurveyRow
from persistence.ports import CycleRecord, CycleSurveyRecord
from persistence.repositories._sql import insert_unless_exists


def _record(row: CycleRow) -> CycleRecord:
    return CycleRecord(
        cycle_id=row.cycle_id,
        instansi_code=row.instansi_code,
        period=row.period,
        deadlines=Deadlines.model_validate(row.deadlines),
        policy_version=row.policy_version,
        registered_at=row.registered_at,
        policy=AppraisalPolicy.model_validate(row.policy) if row.policy is not None else None,
    )


class SqlCycleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def register(self, cycle: CycleRecord) -> CycleRecord:
        """Store the cycle's calendar unless the cycle is already registered; the stored one is returned either way."""
        deadlines = cycle.deadlines
        self._session.execute(
            insert_unless_exists(self._session, CycleRow, ["cycle_id"]).values(
                cycle_id=cycle.cycle_id,
                instansi_code=cycle.instansi_code,
                period=cycle.period,
                survey_opens=deadlines.survey_opens,
                survey_closes=deadlines.survey_closes,
                deadlines=deadlines.model_dump(mode="json"),
                policy_version=cycle.policy_version,
                registered_at=cycle.registered_at,
                policy=cycle.policy.model_dump(mode="json") if cycle.policy is not None else None,
            )
        )
        stored = self.get(cycle.cycle_id)
        assert stored is not None
        return stored

    def recount(self, cycle_id: str, deadlines: Deadlines) -> None:
        """The deadlines the running cycle counted again on its instansi's new working days."""
        row = self._session.get(CycleRow, cycle_id)
        if row is not None:
            row.deadlines = deadlines.model_dump(mode="json")
            row.survey_opens, row.survey_closes = deadlines.survey_opens, deadlines.survey_closes

    def get(self, cycle_id: str) -> CycleRecord | None:
        row = self._session.get(CycleRow, cycle_id, populate_existing=True)
        return _record(row) if row is not None else None

    def for_period(self, instansi_code: str, period: int) -> builtins.list[CycleRecord]:
        query = (
            select(CycleRow)
            .where(CycleRow.instansi_code == instansi_code, CycleRow.period == period)
            .order_by(CycleRow.registered_at, CycleRow.cycle_id)
        )
        return [_record(row) for row in self._session.scalars(query)]

    def of_instansi(self, instansi_code: str, *, limit: int) -> builtins.list[CycleRecord]:
        """The instansi's latest cycles, newest period first (an employee's appraisals: Beranda)."""
        query = (
            select(CycleRow)
            .where(CycleRow.instansi_code == instansi_code)
            .order_by(CycleRow.period.desc(), CycleRow.registered_at.desc(), CycleRow.cycle_id)
            .limit(limit)
        )
        return [_record(row) for row in self._session.scalars(query)]

    def save_survey(self, survey: CycleSurveyRecord) -> None:
        """Store (or replace) the IKM per unit the cycle computed."""
        row = self._session.get(CycleSurveyRow, survey.cycle_id)
        if row is None:
            row = CycleSurveyRow(cycle_id=survey.cycle_id)
            self._session.add(row)
        row.instansi_code = survey.instansi_code
        row.period = survey.period
        row.results = {"units": [unit.model_dump(mode="json") for unit in survey.units]}
        row.policy_version = survey.policy_version
        row.computed_at = survey.computed_at

    def survey(self, cycle_id: str) -> CycleSurveyRecord | None:
        row = self._session.get(CycleSurveyRow, cycle_id)
        if row is None:
            return None
        return CycleSurveyRecord(
            cycle_id=row.cycle_id,
            instansi_code=row.instansi_code,
            period=row.period,
            units=[IkmResult.model_validate(unit) for unit in row.results.get("units", [])],
            policy_version=row.policy_version,
            computed_at=row.computed_at,
        )
