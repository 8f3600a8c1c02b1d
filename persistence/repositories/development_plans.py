"""Development plans (domain.development, migration 0020): a row per plan, replaced whole with each of its steps and
notices (the workflow holds the plan; the row is what lists and pages read)."""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.development import DevelopmentPlan, PlanRecord, PlanStep
from domain.ratings import Predicate
from persistence.orm import DevelopmentPlanRow


def _record(row: DevelopmentPlanRow) -> PlanRecord:
    plan = None
    if row.coaching is not None and row.competency is not None and row.target_date is not None:
        plan = DevelopmentPlan(
            coaching=row.coaching, competency=row.competency, training=row.training, target_date=row.target_date
        )
    return PlanRecord(
        workflow_id=row.workflow_id,
        cycle_id=row.cycle_id,
        instansi_code=row.instansi_code,
        period=row.period,
        unit_code=row.unit_code,
        employee_nip=row.employee_nip,
        employee_name=row.employee_name,
        penilai_nip=row.penilai_nip,
        atasan_nip=row.atasan_nip,
        predicate=Predicate(row.predicate),
        step=PlanStep(row.step),
        assignee_nip=row.assignee_nip,
        deadline=row.deadline,
        overdue=row.overdue,
        escalation_level=row.escalation_level,
        plan=plan,
        change_requests=row.change_requests,
        change_reason=row.change_reason,
        opened_at=row.opened_at,
        agreed_at=row.agreed_at,
    )


class SqlDevelopmentPlanRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, record: PlanRecord) -> None:
        """Insert or replace the plan's row."""
        row = self._session.get(DevelopmentPlanRow, record.workflow_id)
        if row is None:
            row = DevelopmentPlanRow(workflow_id=record.workflow_id)
            self._session.add(row)
        plan = record.plan
        row.cycle_id = record.cycle_id
        row.instansi_code = record.instansi_code
        row.period = record.period
        row.unit_code = record.unit_code
        row.employee_nip = record.employee_nip
        row.employee_name = record.employee_name
        row.penilai_nip = record.penilai_nip
        row.atasan_nip = record.atasan_nip
        row.predicate = record.predicate.value
        row.step = record.step.value
        row.assignee_nip = record.assignee_nip
        row.deadline = record.deadline
        row.overdue = record.overdue
        row.escalation_level = record.escalation_level
        row.coaching = plan.coaching if plan else None
        row.competency = plan.competency if plan else None
        row.training = plan.training if plan else None
        row.target_date = plan.target_date if plan else None
        row.change_requests = record.change_requests
        row.change_reason = record.change_reason
        row.opened_at = record.opened_at
        row.agreed_at = record.agreed_at

    def get(self, workflow_id: str) -> PlanRecord | None:
        row = self._session.get(DevelopmentPlanRow, workflow_id)
        return _record(row) if row is not None else None

    def of_assignee(self, nip: str, *, limit: int) -> builtins.list[PlanRecord]:
        """The plans waiting on `nip`, the nearest deadline first (ix_development_plans_assignee)."""
        rows = self._session.scalars(
            select(DevelopmentPlanRow)
            .where(DevelopmentPlanRow.assignee_nip == nip)
            .order_by(DevelopmentPlanRow.deadline, DevelopmentPlanRow.workflow_id)
            .limit(limit)
        )
        return [_record(row) for row in rows]

    def of_cycle(self, instansi_code: str, cycle_id: str, *, limit: int) -> builtins.list[PlanRecord]:
        """The cycle's plans by unit and NIP (ix_development_plans_cycle_unit)."""
        rows = self._session.scalars(
            select(DevelopmentPlanRow)
            .where(DevelopmentPlanRow.instansi_code == instansi_code, DevelopmentPlanRow.cycle_id == cycle_id)
            .order_by(DevelopmentPlanRow.unit_code, DevelopmentPlanRow.employee_nip)
            .limit(limit)
        )
        return [_record(row) for row in rows]
