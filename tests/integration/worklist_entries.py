"""Worklist entries the integration tests write straight to the database."""

from __future__ import annotations

from datetime import datetime

from domain.stages import Step
from domain.worklist import WorkItem
from workflows.contracts import appraisal_workflow_id


def withdrawn(cycle: str, instansi: str, unit: str, nip: str, penilai: str, *, at: datetime | None = None) -> WorkItem:
    """The entry of an appraisal withdrawn from its cycle (domain.withdrawal): nobody must act, and it is counted
    nowhere."""
    return WorkItem(
        workflow_id=appraisal_workflow_id(cycle, nip),
        cycle_id=cycle,
        instansi_code=instansi,
        unit_code=unit,
        employee_nip=nip,
        penilai_nip=penilai,
        step=Step.WITHDRAWN,
        recorded_at=at,
    )
