"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless `commit()` is called.

with SqlAlchemyUnitOfWork(session_factory) as uow:
    uow.audit.append(entry)
    uow.commit()
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from domain.errors import ConcurrencyConflict
from persistence.ports import AbstractUnitOfWork
from persistence.repositories import (
    SqlAuditLog,
    SqlCalibrationRepository,
    SqlCycleRepository,
    SqlEmployeeRepository,
    SqlIkuRepository,
    SqlInstansiRepository,
    SqlOutboxRepository,
    SqlReviewRepository,
    SqlSkpRepository,
    SqlStepRecordRepository,
    SqlSurveyResponseRepository,
    SqlUnitRepository,
    SqlWorklistRepository,
)
from persistence.repositories._sql import VERSIONED_WRITES, conflict_message
from persistence.repositories.audit import HELD_CHAIN
from persistence.repositories.development_plans import SqlDevelopmentPlanRepository
from persistence.repositories.evidence import SqlEvidenceRepository
from persistence.repositories.feedback import SqlFeedbackRepository
from persistence.repositories.identity import SqlIdentityRepository
from persistence.repositories.periods import SqlPeriodRepository
from persistence.repositories.survey_form import SqlSurveyFormRepository


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is already open; use a new one per transaction")
        session = self._session = self._session_factory()
        self.instansi = SqlInstansiRepository(session)
        self.units = SqlUnitRepository(session)
        self.employees = SqlEmployeeRepository(session)
        self.iku = SqlIkuRepository(session)
        self.skp = SqlSkpRepository(session)
        self.reviews = SqlReviewRepository(session)
        self.calibrations = SqlCalibrationRepository(session)
        self.steps = SqlStepRecordRepository(session)
        self.audit = SqlAuditLog(session)
        self.survey = SqlSurveyResponseRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.cycles = SqlCycleRepository(session)
        self.worklist = SqlWorklistRepository(session)
        self.identity = SqlIdentityRepository(session)
        self.evidence = SqlEvidenceRepository(session)
        self.feedback = SqlFeedbackRepository(session)
        self.plans = SqlDevelopmentPlanRepository(session)
        self.periods = SqlPeriodRepository(session)
        self.survey_form = SqlSurveyFormRepository(session)
        return super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, traceback)
        finally:
            self._open_session().close()
            self._session = None

    def commit(self) -> None:
        session = self._open_session()
        try:
            session.commit()
        except StaleDataError as error:
            # A versioned row changed between our read and our write; nothing of this unit of work was kept.
            written = session.info.get(VERSIONED_WRITES) or ["data"]
            session.rollback()
            raise ConcurrencyConflict(conflict_message(", ".join(written)), rule="optimistic concurrency") from error
        finally:
            session.info.pop(VERSIONED_WRITES, None)
            session.info.pop(HELD_CHAIN, None)

    def rollback(self) -> None:
        session = self._open_session()
        session.rollback()
        session.info.pop(VERSIONED_WRITES, None)
        session.info.pop(HELD_CHAIN, None)

    def _open_session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work is not open; use it in a `with` block")
        return self._session
