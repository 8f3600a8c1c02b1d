"""A person's step is written to the database only once Temporal has accepted its Update, and written once
(workflows.appraisal_base._record_person_step): held in the middle of its write, the step is in history and not yet
in the database; a retry with the same Update id is the same step, one with a new id is refused once the first is
written. A run that took its first steps on the code before (a local activity inside the task that accepts the
Update) writes its next steps after acceptance too, and its history replays. Data the database cannot store is
refused for good, not retried without end (the validators refuse it first: domain.bounds)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import PatchActivationInput, Worker

import temporal_client
from activities.appraisal import AppraisalActivities
from domain.stages import Step
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from services import worklist
from settings import TemporalSettings
from tests.workflows import scenario
from tests.workflows.conftest import Office
from tests.workflows.scenario import EMPLOYEE, KASI, PENILAI, STAFF, Handle
from tests.workflows.test_activities import _submit_skp
from worker import build_activities, build_cycle_activities, build_worker
from workflows.appraisal import AppraisalWorkflow
from workflows.appraisal_base import RECORD_AFTER_ACCEPTANCE, RECORD_STEP_LOCALLY
from workflows.contracts import (
    ApproveSkp,
    RecordStep,
    RecordStepResult,
    SubmitSelfAssessment,
    SubmitSkp,
    appraisal_workflow_id,
)

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


class HeldActivities(AppraisalActivities):
    """The real activities, with each step's write held until `release` is set (set from the start)."""

    def __init__(self, uow_factory: UowFactory) -> None:
        super().__init__(uow_factory)
        self.release = threading.Event()
        self.release.set()
        self.writing = threading.Event()

    def record_step_sync(self, step: RecordStep) -> RecordStepResult:
        self.writing.set()
        self.release.wait(timeout=60)
        return super().record_step_sync(step)


@dataclass
class Appraisals:
    client: Client
    task_queue: str
    activities: HeldActivities
    office: Office

    async def start(self) -> Handle:
        input = scenario.appraisal_input(f"2026-{uuid.uuid4().hex[:8]}", datetime.now(UTC))
        worklist.enrol(self.office.uow_factory, [input])
        return await temporal_client.start_appraisal(self.client, input, task_queue=self.task_queue)


@pytest.fixture
async def held(dev_env: WorkflowEnvironment, office: Office) -> AsyncIterator[Appraisals]:
    task_queue = f"kinerja-test-{uuid.uuid4().hex[:8]}"
    activities = HeldActivities(lambda: SqlAlchemyUnitOfWork(make_session_factory(office.engine)))
    worker = build_worker(
        dev_env.client,
        TemporalSettings(task_queue=task_queue),
        activities,
        build_cycle_activities(office.engine, dev_env.client),
    )
    async with worker:
        try:
            yield Appraisals(dev_env.client, task_queue, activities, office)
        finally:
            activities.release.set()  # a test that failed holding a write must not hold the worker's shutdown


def _recorded(office: Office, workflow_id: str) -> tuple[list[str], list[str], Step | None]:
    """The audit log's actions, the outbox's recipients and the worklist's step of one appraisal."""
    with office.uow_factory() as uow:
        actions = [entry.action for entry in uow.audit.list(workflow_id=workflow_id)]
        recipients = [m.recipient for m in uow.outbox.pending() if m.workflow_id == workflow_id]
        item = uow.worklist.get(workflow_id)
    return actions, recipients, item.step if item else None


async def test_a_step_is_written_only_once_its_update_is_accepted_and_a_retry_is_the_same_step(
    held: Appraisals,
) -> None:
    handle = await held.start()
    held.activities.release.clear()
    submit = SubmitSkp(actor=EMPLOYEE, skp=scenario.skp())
    first = await handle.start_update(
        AppraisalWorkflow.submit_skp, submit, id="langkah-1", wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    assert await asyncio.to_thread(held.activities.writing.wait, 30)

    # Accepted, in history, with its write scheduled: and nothing in the database yet.
    history = await handle.fetch_history()
    types = [event.event_type for event in history.events]
    accepted = types.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    assert types.index(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) > accepted
    assert _recorded(held.office, handle.id) == ([], [], Step.SKP_DRAFTING)

    # The sender retries while the write is held: with the same id it is the same Update; with a new id it is
    # another, accepted against the state before the first step, and refused once the first is written.
    again = await handle.start_update(
        AppraisalWorkflow.submit_skp, submit, id="langkah-1", wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    other = await handle.start_update(
        AppraisalWorkflow.submit_skp, submit, id="langkah-2", wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    held.activities.release.set()
    state = await first.result()
    assert state.step is Step.SKP_APPROVAL and (await again.result()) == state
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await other.result()
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "IllegalTransition"
    assert _recorded(held.office, handle.id) == (["submit_skp"], [KASI], Step.SKP_APPROVAL)

    # Sent again after it completed, with the same id: Temporal answers with the first result, nothing is written.
    assert await handle.execute_update(AppraisalWorkflow.submit_skp, submit, id="langkah-1") == state
    assert _recorded(held.office, handle.id) == (["submit_skp"], [KASI], Step.SKP_APPROVAL)
    await handle.terminate("test finished")


def _as_before_after_acceptance(patch: PatchActivationInput) -> bool:
    """The code before 0.6, as far as a worker can play it: the after-acceptance patch does not exist yet."""
    return not patch.patch_id.startswith(RECORD_AFTER_ACCEPTANCE)


def _patches(history: WorkflowHistory) -> list[str]:
    """The ids of the `workflow.patched` markers in a history, in order."""
    found = []
    for event in history.events:
        marker = event.marker_recorded_event_attributes
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and marker.marker_name == "core_patch":
            payload = marker.details["patch-data"].payloads[0]
            found.append(json.loads(payload.data)["id"])
    return found


async def test_a_run_that_took_a_step_on_the_local_activity_writes_its_next_ones_after_acceptance(
    dev_env: WorkflowEnvironment, office: Office
) -> None:
    client = dev_env.client
    task_queue = f"kinerja-test-{uuid.uuid4().hex[:8]}"
    input = scenario.appraisal_input(f"2026-{uuid.uuid4().hex[:8]}", datetime.now(UTC))
    worklist.enrol(office.uow_factory, [input])

    def worker(callback: Callable[[PatchActivationInput], bool] | None = None) -> Worker:
        return build_worker(
            client,
            TemporalSettings(task_queue=task_queue),
            build_activities(office.engine),
            build_cycle_activities(office.engine, client),
            patch_activation_callback=callback,
        )

    async with worker(_as_before_after_acceptance):  # the run starts, and takes a step, on the code before
        handle = await temporal_client.start_appraisal(client, input, task_queue=task_queue)
        await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    async with worker():  # the new code, from its next step
        await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
        state = await handle.execute_update(
            AppraisalWorkflow.submit_self_assessment,
            SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
        )
        assert state.step is Step.SUPERVISOR_REVIEW
        history = await handle.fetch_history()
        await handle.terminate("test finished")
        await scenario.replay_and_record(client, handle, "after_acceptance_mid_run")

    # The first step as the code before wrote it (a local activity), each later one after its acceptance, marked
    # with its own number; the database holds each once.
    assert _patches(history) == [
        RECORD_STEP_LOCALLY,
        f"{RECORD_AFTER_ACCEPTANCE}-2",
        f"{RECORD_AFTER_ACCEPTANCE}-3",
    ]
    markers = [e.marker_recorded_event_attributes.marker_name for e in history.events]
    assert markers.count("core_local_activity") == 1
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == ["appraisal.record_step", "appraisal.record_step"]
    assert _recorded(office, handle.id)[0] == ["submit_skp", "approve_skp", "submit_self_assessment"]


@pytest.mark.postgres
async def test_data_the_database_cannot_store_is_refused_for_good(postgres_database_url: str) -> None:
    engine = make_engine(postgres_database_url)
    factory = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(factory) as uow:
        scenario.seed(uow)
        uow.commit()
    activities = AppraisalActivities(lambda: SqlAlchemyUnitOfWork(factory))
    workflow_id = appraisal_workflow_id("2026-nul", STAFF)
    step = _submit_skp(f"{workflow_id}/run/1-submit_skp").model_copy(
        update={"workflow_id": workflow_id, "reason": "catatan\x00 dengan NUL"}
    )
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(activities.record_step, step)
    assert refused.value.non_retryable and refused.value.type == "UnstorableData"
    assert "tidak dapat disimpan basis data" in refused.value.message and "SQL" not in refused.value.message
    assert refused.value.__cause__ is None  # the driver's text (which may quote the value) is not sent to Temporal
    with SqlAlchemyUnitOfWork(factory) as uow:
        assert uow.audit.list(workflow_id=workflow_id) == []
    engine.dispose()
