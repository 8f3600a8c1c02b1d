"""SQLAlchemy repositories: each takes the unit of work's session and speaks domain models only."""

from persistence.repositories.appraisal import (
    SqlCalibrationRepository,
    SqlIkuRepository,
    SqlReviewRepository,
    SqlSkpRepository,
)
from persistence.repositories.audit import SqlAuditLog
from persistence.repositories.cycle import SqlCycleRepository
from persistence.repositories.organisation import SqlEmployeeRepository, SqlInstansiRepository, SqlUnitRepository
from persistence.repositories.records import SqlOutboxRepository, SqlStepRecordRepository
from persistence.repositories.survey import SqlSurveyResponseRepository
from persistence.repositories.worklist import SqlWorklistRepository

__all__ = [
    "SqlAuditLog",
    "SqlCalibrationRepository",
    "SqlCycleRepository",
    "SqlEmployeeRepository",
    "SqlIkuRepository",
    "SqlInstansiRepository",
    "SqlOutboxRepository",
    "SqlReviewRepository",
    "SqlSkpRepository",
    "SqlStepRecordRepository",
    "SqlSurveyResponseRepository",
    "SqlUnitRepository",
    "SqlWorklistRepository",
]
