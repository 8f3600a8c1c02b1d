"""The appraisal activities against the real database: idempotent under retries, and failures classified so Temporal
retries what a retry can fix and nothing else."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from domain.stages import Role, Step
from persistence.db import make_engine
from persistence.orm import StepRecordRow
from services import worklist_sync
from tests.workflows import scenario
from tests.workflows.conftest import Office
from tests.workflows.scenario import KASI, PENGAWAS, STAFF
from worker import build_activities, build_cycle_activities
from workflows.contracts import NoticeKind, RecordStep, SendNotice, appraisal_workflow_id
from workflows.cycle_contracts import UpkeepRun, WorklistUpkeep, WorklistUpkept

WORKFLOW_ID = appraisal_workflow_id("2026-act", STAFF)
NOW = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def _submit_skp(key: str = f"{WORKFLOW_ID}/1-submit_skp") -> RecordStep:
    return RecordStep(
        workflow_id=WORKFLOW_ID,
        idempotency_key=key,
        instansi_code=scenario.INSTANSI,
        period=scenario.PERIOD,
        employee_nip=STAFF,
        employee_name="Sri Wahyuni",
        actor=STAFF,
        actor_role=Role.PEGAWAI,
        action="submit_skp",
        step_from=Step.SKP_DRAFTING,
        step_to=Step.SKP_APPROVAL,
        occurred_at=NOW,
        skp=scenario.skp(),
        skp_status="submitted",
        notify=[KASI],
    )


def _counts(office: Office) -> tuple[int, int, int, int | None]:
    with office.uow_factory() as uow:
        audit = len(uow.audit.list(workflow_id=WORKFLOW_ID))
        outbox = len([m for m in uow.outbox.pending() if m.workflow_id == WORKFLOW_ID])
        stored = uow.skp.get(STAFF, scenario.PERIOD)
    with office.engine.connect() as connection:
        steps = connection.scalar(select(func.count()).select_from(StepRecordRow))
    return audit, outbox, int(steps or 0), stored.version if stored else None


async def test_a_retried_record_step_writes_nothing_twice(office: Office) -> None:
    activities = build_activities(office.engine)
    env = ActivityEnvironment()
    first = await env.run(activities.record_step, _submit_skp())
    after_first = _counts(office)
    retried = await env.run(activities.record_step, _submit_skp())

    assert (first.newly_recorded, retried.newly_recorded) == (True, False)
    assert retried.outbox_ids == first.outbox_ids and len(first.outbox_ids) == 1
    assert _counts(office) == after_first == (1, 1, 1, 1)


async def test_a_retried_notice_is_queued_once(office: Office) -> None:
    activities = build_activities(office.engine)
    notice = SendNotice(
        workflow_id=WORKFLOW_ID,
        idempotency_key=f"{WORKFLOW_ID}/notice-1-escalation",
        kind=NoticeKind.ESCALATION,
        employee_nip=STAFF,
        employee_name="Sri Wahyuni",
        step=Step.SELF_ASSESSMENT,
        deadline=NOW,
        level=1,
        recipients=[STAFF, PENGAWAS, KASI],
        occurred_at=NOW,
    )
    env = ActivityEnvironment()
    first = await env.run(activities.send_notice, notice)
    retried = await env.run(activities.send_notice, notice)
    assert (first.newly_recorded, retried.newly_recorded, retried.outbox_ids) == (True, False, first.outbox_ids)
    with office.uow_factory() as uow:
        queued = [m for m in uow.outbox.pending() if m.workflow_id == WORKFLOW_ID]
        escalations = uow.audit.list(workflow_id=WORKFLOW_ID, action="notice.escalation")
    assert len(escalations) == 1
    assert [m.recipient for m in queued] == ["sri.wahyuni@dukcapil.example.go.id", PENGAWAS, KASI]
    assert all(m.subject.startswith("Eskalasi tingkat 1") for m in queued)


async def test_a_business_error_is_not_retried(office: Office) -> None:
    activities = build_activities(office.engine)
    stranger = "199912312020121001"  # a valid NIP nobody imported
    step = _submit_skp().model_copy(
        update={"skp": scenario.skp().model_copy(update={"employee_nip": stranger}), "employee_nip": stranger}
    )
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(activities.record_step, step)
    assert failed.value.non_retryable and failed.value.type == "NotFound"
    assert "tidak terdaftar" in failed.value.message
    assert _counts(office) == (0, 0, 0, None)  # rolled back: nothing half-written


async def test_an_infrastructure_error_is_left_for_temporal_to_retry(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/missing/kinerja.db")  # a directory that does not exist
    activities = build_activities(engine)
    with pytest.raises(Exception) as failed:
        await ActivityEnvironment().run(activities.record_step, _submit_skp())
    assert not isinstance(failed.value, ApplicationError)  # retried with the activity's backoff
    engine.dispose()


async def test_a_retried_worklist_upkeep_goes_on_after_the_last_page_it_heartbeated(
    office: Office, dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worklist_sync, "PAGE", 1)
    gone = scenario.entries_of_gone_appraisals(office.uow_factory, 3)
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_details=[gone[0]])  # the attempt before got this far
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    activities = build_cycle_activities(office.engine, dev_env.client)
    upkept = await env.run(activities.upkeep_worklist, UpkeepRun(upkeep=WorklistUpkeep(), after=None))
    assert upkept == WorklistUpkept(removed=2, unchecked=0, complete=True)
    assert beats[:2] == [(gone[1],), (gone[2],)]  # each page done, for the attempt after this one
    with office.uow_factory() as uow:
        assert [uow.worklist.get(w) is None for w in gone] == [False, True, True]
