"""A real worker process killed with SIGKILL at the narrowest point: right after it wrote a person's step to the
database and logged "appraisal step recorded", before it told Temporal the write was done. Then a worker starts
again and the person, not told anything, sends the step again. On SQLite and PostgreSQL, on the dev server.

Before 0.6 the step was written by a local activity inside the workflow task that accepts the Update: killed there,
the Update was never accepted, the database kept a step the workflow never took, and the retry (a new Update) wrote
it again. Now the step is written only once its Update is accepted, so the kill leaves a step the workflow has taken
and whose write it retries under the same key (workflows.appraisal_base._record_person_step)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.stages import Step
from services import consistency
from settings import TemporalSettings
from tests.faults.harness import Ledger, seeded, start_appraisal, worker_killed_after
from tests.workflows import scenario
from tests.workflows.scenario import EMPLOYEE, KASI, PENILAI
from worker import build_activities, build_cycle_activities, build_worker
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import ApproveSkp, SubmitSkp


async def test_a_worker_killed_right_after_writing_a_step_leaves_it_written_once(
    dev_env: WorkflowEnvironment, database_url: str
) -> None:
    client = dev_env.client
    task_queue = f"kinerja-faults-{uuid.uuid4().hex[:8]}"
    with seeded(database_url) as (engine, uow_factory):
        worker = await worker_killed_after(
            "submit_skp",
            database_url=database_url,
            address=client.service_client.config.target_host,
            task_queue=task_queue,
        )
        try:
            handle = await start_appraisal(client, uow_factory, task_queue, f"2026-{uuid.uuid4().hex[:8]}")
            submit = SubmitSkp(actor=EMPLOYEE, skp=scenario.skp())
            sending = asyncio.create_task(handle.execute_update(AppraisalWorkflow.submit_skp, submit, id="langkah-1"))
            await worker.killed()
        finally:
            worker.stop()

        # The window was hit: the step is in the database, and Temporal has accepted the Update but not heard that
        # the write is done.
        history = await handle.fetch_history()
        types = [event.event_type for event in history.events]
        assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in types
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in types
        assert Ledger.of(engine, handle.id).audit == ["submit_skp"]

        restarted = build_worker(
            client,
            TemporalSettings(task_queue=task_queue),
            build_activities(engine),
            build_cycle_activities(engine, client),
        )
        async with restarted:
            # The person who sent it is answered once the write's retry finds it written.
            state = await asyncio.wait_for(sending, timeout=90)
            assert (state.step, state.assignees) == (Step.SKP_APPROVAL, [KASI])
            # They send it again, not told anything: with the same key it is the same step, with a new key the step
            # has moved on and it is refused. Nothing more is written either way.
            assert await handle.execute_update(AppraisalWorkflow.submit_skp, submit, id="langkah-1") == state
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(AppraisalWorkflow.submit_skp, submit, id="langkah-2")
            assert isinstance(refused.value.cause, ApplicationError)
            assert refused.value.cause.type == "IllegalTransition"
            Ledger.of(engine, handle.id).agrees_with(await handle.query(AppraisalWorkflow.state))

            await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
            ledger = Ledger.of(engine, handle.id)
            ledger.agrees_with(await handle.query(AppraisalWorkflow.state))
            # What an operator runs after such an incident (`kinerja periksa`) finds nothing to report.
            assert await consistency.check_appraisals(client, uow_factory, [handle.id]) == consistency.Checked(1, [])
            assert [recipient for recipient, _ in ledger.outbox] == [KASI, scenario.STAFF_EMAIL]
            await handle.terminate("test finished")
