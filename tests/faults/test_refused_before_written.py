"""The issue's inputs that were written and then failed the workflow task, sent straight to the workflow (no API in
front) with the worker's database on SQLite and PostgreSQL: a 1 MB return note, an extension to 9999-12-31, a NUL
in a note (PostgreSQL cannot store it) and a negative realisasi. Each is refused by the Update's validator
(workflows.admission, domain.bounds), so nothing is accepted, nothing written, and the appraisal goes on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from settings import TemporalSettings
from tests.faults.harness import Ledger, seeded, start_appraisal
from tests.workflows import scenario
from tests.workflows.scenario import EMPLOYEE, PENILAI, TIM_PENGAWASAN, Handle
from worker import build_activities, build_cycle_activities, build_worker
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import ApproveSkp, ExtendDeadline, ReturnSkp, SubmitSelfAssessment, SubmitSkp


async def _refused(handle: Handle, update: object, command: object) -> tuple[str | None, str | None]:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, command)  # type: ignore[call-overload]
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "DomainError", cause
    details = cause.details[0]
    return details["field"], details["rule"]


async def test_what_failed_after_the_write_is_refused_before_anything_is_accepted(
    dev_env: WorkflowEnvironment, database_url: str
) -> None:
    client = dev_env.client
    task_queue = f"kinerja-faults-{uuid.uuid4().hex[:8]}"
    with seeded(database_url) as (engine, uow_factory):
        worker = build_worker(
            client,
            TemporalSettings(task_queue=task_queue),
            build_activities(engine),
            build_cycle_activities(engine, client),
        )
        async with worker:
            handle = await start_appraisal(client, uow_factory, task_queue, f"2026-{uuid.uuid4().hex[:8]}")
            await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))

            megabyte = ReturnSkp(actor=PENILAI, comments="x" * 1_000_000)
            assert await _refused(handle, AppraisalWorkflow.return_skp, megabyte) == ("catatan", "batas panjang teks")
            far = ExtendDeadline(
                actor=TIM_PENGAWASAN, new_deadline=datetime(9999, 12, 31, tzinfo=UTC), reason="cuti sakit dua bulan"
            )
            assert await _refused(handle, AppraisalWorkflow.extend_deadline, far) == (
                "new_deadline",
                "tanggal dalam tahun penilaian",
            )
            nul = ApproveSkp(actor=PENILAI, note="Setuju\x00")
            assert await _refused(handle, AppraisalWorkflow.approve_skp, nul) == (
                "catatan",
                "teks tanpa karakter kendali",
            )
            await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
            negative = [r.model_copy(update={"value": Decimal("-5")}) for r in scenario.realisations()]
            assert await _refused(
                handle,
                AppraisalWorkflow.submit_self_assessment,
                SubmitSelfAssessment(actor=EMPLOYEE, realisations=negative),
            ) == ("realisasi[I1].nilai", "realisasi tidak negatif")

            # Only the two steps taken were accepted, and only they are in the database.
            history = await handle.fetch_history()
            accepted = [
                e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            ]
            failed_tasks = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
            assert (len(accepted), failed_tasks) == (2, [])
            state = await handle.query(AppraisalWorkflow.state)
            Ledger.of(engine, handle.id).agrees_with(state)
            assert [event.action for event in state.timeline] == ["submit_skp", "approve_skp"]
            await handle.terminate("test finished")
