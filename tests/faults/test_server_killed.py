"""The Temporal dev server killed with SIGKILL in the middle of a person's step, and started again on its file, as
`kinerja up` runs it: once right after the step was written to the database (before Temporal heard that it was), and
down for longer than a workflow task may take; once right before the write. The person, answered or cut off, sends
the step again as a new request (a new key, as a page or a second run of a command does). Each step is in the
database once, and the worklist agrees with the workflow.

Before 0.6 the step was written inside the workflow task that accepts the Update: the server that died took the
Update with it, so the database kept a step the workflow never took, and a retry with a new key wrote it again (the
issue saw 3 of 3 in-flight steps written twice)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

import temporal_client
from domain.stages import Step
from services import consistency
from settings import TemporalSettings
from tests.faults.harness import DevServer, HeldActivities, Ledger, seeded, start_appraisal
from tests.workflows import scenario
from tests.workflows.scenario import EMPLOYEE, PENILAI, Handle
from worker import build_cycle_activities, build_worker
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import AppraisalState, ApproveSkp, SubmitSkp

WORKFLOW_TASK_TIMEOUT = 10  # seconds: Temporal's default, which start_appraisal keeps


async def _step_with_the_server_killed(
    server: DevServer,
    engine: Engine,
    handle: Handle,
    activities: HeldActivities,
    *,
    after_write: bool,
    update: Any,
    command: Any,
    down: float = 0,
) -> AppraisalState:
    """Send the step, kill the server while its write is held (`after_write` or before), leave it down `down`
    seconds, start it again on its file, let the write go on. Then the person, whether their call was answered or
    cut off, sends the step again as a new request (a new key): refused, the step has moved on. The state after."""
    activities.hold(after_write=after_write)
    sending = asyncio.create_task(handle.execute_update(update, command, id=str(uuid.uuid4())))
    assert await asyncio.to_thread(activities.reached.wait, 30)
    written = Ledger.of(engine, handle.id).audit
    server.kill()
    await asyncio.sleep(down)
    await server.start()
    activities.release()
    try:
        answered: AppraisalState | None = await asyncio.wait_for(sending, timeout=60)
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError):
        answered = None  # cut off by the dead server
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, command, id=str(uuid.uuid4()))
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "IllegalTransition"
    state: AppraisalState = await handle.query(AppraisalWorkflow.state)
    assert answered is None or answered.step is state.step
    assert len(written) == len(state.timeline) - (0 if after_write else 1)  # where the server died
    return state


async def test_the_dev_server_killed_mid_step_and_restarted_on_its_file(
    tmp_path: Path, sqlite_database_url: str
) -> None:
    server = DevServer(tmp_path)
    await server.start()
    try:
        client = await temporal_client.connect(TemporalSettings(address=server.address))
        task_queue = f"kinerja-faults-{uuid.uuid4().hex[:8]}"
        with seeded(sqlite_database_url) as (engine, uow_factory):
            activities = HeldActivities(uow_factory)
            worker = build_worker(
                client, TemporalSettings(task_queue=task_queue), activities, build_cycle_activities(engine, client)
            )
            async with worker:
                try:
                    handle = await start_appraisal(client, uow_factory, task_queue, f"2026-{uuid.uuid4().hex[:8]}")

                    # Killed once the step is in the database, before Temporal heard that it was written, and down
                    # for longer than a workflow task may take: the task that was running when it died has timed
                    # out when it comes back (what lost the Update before 0.6).
                    state = await _step_with_the_server_killed(
                        server, engine, handle, activities, after_write=True, update=AppraisalWorkflow.submit_skp,
                        command=SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()), down=WORKFLOW_TASK_TIMEOUT + 1,
                    )  # fmt: skip
                    assert state.step is Step.SKP_APPROVAL
                    Ledger.of(engine, handle.id).agrees_with(state)

                    # Killed after the Update was accepted, before the step was written.
                    state = await _step_with_the_server_killed(
                        server, engine, handle, activities, after_write=False, update=AppraisalWorkflow.approve_skp,
                        command=ApproveSkp(actor=PENILAI),
                    )  # fmt: skip
                    assert state.step is Step.SELF_ASSESSMENT
                    ledger = Ledger.of(engine, handle.id)
                    ledger.agrees_with(state)
                    # What an operator runs after such an incident (`kinerja periksa`) finds nothing to report.
                    assert await consistency.check_appraisals(client, uow_factory, [handle.id]) == consistency.Checked(
                        1, []
                    )
                    assert ledger.audit == ["submit_skp", "approve_skp"]
                    await handle.terminate("test finished")
                finally:
                    activities.release()
    finally:
        server.stop()
