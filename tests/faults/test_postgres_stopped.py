"""The domain database's PostgreSQL stopped for half a minute mid-cycle and started again (issue 19), on a server of the
test's own (tests/faults/postgres_cluster.py), with the dev server and a real worker. Meanwhile a person's step is
accepted and a deadline passes: the step is written once the server is back and its sender, sending again with the
same key, is answered; the escalation due during the outage goes out once; nothing is half-written, and `kinerja
periksa` finds nothing to report."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.testing import WorkflowEnvironment

import temporal_client
from domain.stages import Step
from persistence.db import upgrade
from services import audit_chain, consistency, steps, worklist
from tests.faults.harness import UowFactory, seeded
from tests.faults.postgres_cluster import OwnPostgres, binaries
from tests.workflows import scenario
from tests.workflows.conftest import real_worker
from tests.workflows.scenario import EMPLOYEE, PENILAI, STAFF, Handle
from web.problems import describe
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import ApproveSkp, SubmitSkp

# Seconds the server stays down: the minute halved to keep the suite within its 15 minutes; nothing in the
# retries depends on the length (a step's write retries every 10 s at most, a notice's backs off from 5 s).
OUTAGE = 30.0
DEADLINE = "PT22S"  # the waiting appraisal's SKP is due late in the outage: its escalation is written soon after
WRITTEN_WITHIN = 90.0  # seconds after the server is back by which every write due has been made


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    found = binaries()
    if found is None:
        reason = "no PostgreSQL server binaries (initdb, postgres, pg_ctl) on this machine"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the fault tests must run)", pytrace=False)
        pytest.skip(reason)
    server = OwnPostgres(found)
    try:
        server.start()
        yield server
    finally:
        server.close()


async def _start(
    client: Client, uow_factory: UowFactory, task_queue: str, skp_draft_due: str = "PT1H"
) -> tuple[Handle, str]:
    """An appraisal of the scenario's employee in a cycle of its own: (its handle, the cycle id)."""
    cycle_id = f"2026-{uuid.uuid4().hex[:8]}"
    input = scenario.appraisal_input(cycle_id, datetime.now(UTC), skp_draft_due=skp_draft_due)
    worklist.enrol(uow_factory, [input])
    return await temporal_client.start_appraisal(client, input, task_queue=task_queue), input.cycle_id


def _actions(uow_factory: UowFactory, workflow_id: str) -> list[str]:
    with uow_factory() as uow:
        return [entry.action for entry in uow.audit.list(workflow_id=workflow_id)]


async def _until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        assert time.monotonic() < deadline, f"not written within {timeout:.0f} s"
        await asyncio.sleep(0.5)


async def test_postgresql_stopped_mid_cycle_loses_and_doubles_nothing(
    dev_env: WorkflowEnvironment, own_postgres: OwnPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = own_postgres.create_database("kinerja")
    await asyncio.to_thread(upgrade, database_url)
    client = dev_env.client
    with seeded(database_url) as (engine, uow_factory):
        async with real_worker(client, engine) as task_queue:
            stepping, cycle_id = await _start(client, uow_factory, task_queue)
            await stepping.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
            waiting, _ = await _start(client, uow_factory, task_queue, skp_draft_due=DEADLINE)

            await asyncio.to_thread(own_postgres.stop)
            stopped = time.monotonic()
            approve = steps.PreparedStep(
                cycle_id=cycle_id,
                nip=STAFF,
                kind=steps.STEP_BY_NAME["skp-approve"],
                command=ApproveSkp(actor=PENILAI),
                update_id=f"api-{uuid.uuid4().hex}",
            )
            monkeypatch.setattr(steps, "STEP_WAIT", timedelta(seconds=5))
            with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError) as waited:
                await steps.send_step(client, approve)  # accepted; its write waits for the database
            assert describe(waited.value).status == 504
            await asyncio.sleep(OUTAGE - (time.monotonic() - stopped))  # the deadline passes meanwhile
            await asyncio.to_thread(own_postgres.start)

            monkeypatch.setattr(steps, "STEP_WAIT", timedelta(seconds=WRITTEN_WITHIN))
            state = await steps.send_step(client, approve)  # the same key: the same Update, answered once written
            assert state.step is Step.SELF_ASSESSMENT
            expected = ["notice.escalation"]  # its reminders were due before it started (scenario.ESCALATION)
            await _until(lambda: _actions(uow_factory, waiting.id) == expected, WRITTEN_WITHIN)
            await asyncio.sleep(2)  # and nothing more comes
            assert _actions(uow_factory, stepping.id) == ["submit_skp", "approve_skp"]
            assert _actions(uow_factory, waiting.id) == expected
            with uow_factory() as uow:
                keys = [message.idempotency_key for message in uow.outbox.pending(limit=100)]
            assert len(keys) == len(set(keys))
            checked = await consistency.check_appraisals(client, uow_factory, [stepping.id, waiting.id])
            assert checked == consistency.Checked(2, [])
            assert (await asyncio.to_thread(audit_chain.verify, uow_factory)).intact
            for handle in (stepping, waiting):
                await handle.terminate("test finished")
