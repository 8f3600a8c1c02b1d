"""The worker's database away while a person's step is being written (its SQLite file's folder moved, the pool's
connections dropped: every new connection fails, as it would with the server down). The Update was accepted, so the
step is taken: the write is retried until the database is back, and written once. The person is not kept waiting
without end: the API's wait (services.steps.STEP_WAIT) ends with a 504 that says to send again with the same key,
and that sending, once the database is back, answers with the step's result."""

from __future__ import annotations

import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.testing import WorkflowEnvironment

from domain.stages import Step
from services import consistency, steps
from settings import TemporalSettings
from tests.faults.harness import Ledger, seeded, start_appraisal
from tests.workflows import scenario
from tests.workflows.scenario import EMPLOYEE, STAFF
from web.problems import describe
from worker import build_activities, build_cycle_activities, build_worker
from workflows.contracts import SubmitSkp


async def test_a_step_accepted_while_the_database_is_away_is_written_once_it_is_back(
    dev_env: WorkflowEnvironment, sqlite_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    source = make_url(sqlite_database_url).database
    assert source is not None
    shutil.copyfile(source, folder / "kinerja.db")
    database_url = f"sqlite:///{folder / 'kinerja.db'}"
    client = dev_env.client
    task_queue = f"kinerja-faults-{uuid.uuid4().hex[:8]}"
    cycle_id = f"2026-{uuid.uuid4().hex[:8]}"
    with seeded(database_url) as (engine, uow_factory):
        worker = build_worker(
            client,
            TemporalSettings(task_queue=task_queue),
            build_activities(engine),
            build_cycle_activities(engine, client),
        )
        async with worker:
            handle = await start_appraisal(client, uow_factory, task_queue, cycle_id)
            step = steps.PreparedStep(
                cycle_id=cycle_id,
                nip=STAFF,
                kind=steps.STEP_BY_NAME["skp-submit"],
                command=SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()),
                update_id=f"api-{uuid.uuid4().hex}",
            )

            away = tmp_path / "away"
            folder.rename(away)
            engine.dispose()  # the pool's open connections go; each new one fails to open the file
            monkeypatch.setattr(steps, "STEP_WAIT", timedelta(seconds=2))
            with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError) as waited:
                await steps.send_step(client, step)
            told = describe(waited.value)
            assert told.status == 504 and "Idempotency-Key yang sama" in told.detail

            # Accepted, its write failing and retried: taken by the workflow, not yet in the database.
            history = await handle.fetch_history()
            types = [event.event_type for event in history.events]
            assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in types
            assert EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in types
            pending = (await handle.describe()).raw_description.pending_activities
            assert len(pending) == 1 and pending[0].attempt >= 2
            assert "unable to open database file" in str(pending[0].last_failure)

            away.rename(folder)
            monkeypatch.setattr(steps, "STEP_WAIT", timedelta(seconds=30))
            state = await steps.send_step(client, step)  # the same key: the same Update, answered once written
            assert state.step is Step.SKP_APPROVAL
            Ledger.of(engine, handle.id).agrees_with(state)
            # What an operator runs after such an incident (`kinerja periksa`) finds nothing to report.
            assert await consistency.check_appraisals(client, uow_factory, [handle.id]) == consistency.Checked(1, [])
            assert Ledger.of(engine, handle.id).audit == ["submit_skp"]
            await handle.terminate("test finished")
