"""`kinerja periksa` (services.consistency), on the dev server with a real worker, on SQLite and PostgreSQL: an
appraisal whose database agrees with its workflow passes; a step the workflow never took, a lost audit entry and a
worklist entry left behind are each named, and the command exits 1."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

import temporal_client
from domain.audit import AuditEntry
from domain.organisation import Instansi
from domain.stages import Role
from services import consistency, worklist
from tests.faults.harness import UowFactory, seeded
from tests.integration.commands import kinerja
from tests.workflows import scenario
from tests.workflows.conftest import real_worker
from tests.workflows.scenario import EMPLOYEE, PENILAI, STAFF
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import ApproveSkp, SubmitSkp


@dataclass(frozen=True)
class Office:
    cycle_id: str
    instansi: str
    workflow_id: str
    engine: Engine
    uow_factory: UowFactory


@pytest.fixture
async def office(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[Office]:
    """An appraisal of a new cycle past two steps, with a worker running."""
    client = dev_env.client
    cycle_id = f"2026-{uuid.uuid4().hex[:8]}"
    with seeded(database_url) as (engine, uow_factory):
        async with real_worker(client, engine) as task_queue:
            # An instansi of its own, so that `periksa --instansi` finds this appraisal alone on the suite's server.
            instansi = f"PERIKSA-{uuid.uuid4().hex[:8]}"
            with uow_factory() as uow:
                uow.instansi.add(Instansi(code=instansi, name="Instansi uji periksa"))
                uow.commit()
            input = scenario.appraisal_input(cycle_id, datetime.now(UTC)).model_copy(update={"instansi_code": instansi})
            worklist.enrol(uow_factory, [input])
            handle = await temporal_client.start_appraisal(client, input, task_queue=task_queue)
            await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
            await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
            yield Office(cycle_id, instansi, handle.id, engine, uow_factory)
            await handle.terminate("test finished")


async def test_an_appraisal_that_agrees_passes_and_each_difference_is_named(
    dev_env: WorkflowEnvironment, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = dev_env.client
    checked = await consistency.check_cycle(client, office.uow_factory, office.cycle_id)
    assert (checked.appraisals, checked.disagreements) == (1, [])

    with office.uow_factory() as uow:  # a step written that the workflow never took (what 0.5 could leave behind)
        uow.audit.append(
            AuditEntry(
                occurred_at=datetime.now(UTC),
                actor=STAFF,
                actor_role=Role.PEGAWAI,
                action="submit_self_assessment",
                subject=STAFF,
                workflow_id=office.workflow_id,
            )
        )
        uow.commit()
    with office.engine.begin() as connection:
        connection.execute(text("UPDATE worklist SET overdue = :yes"), {"yes": True})
    monkeypatch.setattr(consistency, "SETTLE", 0.1)
    checked = await consistency.check_cycle(client, office.uow_factory, office.cycle_id, [STAFF])
    assert [(found.workflow_id, found.what) for found in checked.disagreements] == [
        (office.workflow_id, "log audit mencatat 1 langkah yang tidak diambil workflow: submit_self_assessment"),
        (office.workflow_id, "worklist: terlambat True ≠ workflow False"),
    ]


async def test_kinerja_periksa_exits_1_naming_the_appraisal(
    dev_env: WorkflowEnvironment,
    office: Office,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TEMPORAL__ADDRESS", dev_env.client.service_client.config.target_host)
    status, out, err = await _kinerja(capsys, "periksa", "--siklus", office.cycle_id)
    assert status == 0, err
    assert out.splitlines() == [
        "Penilaian diperiksa: 1",
        "Semua sama: log audit dan worklist mencatat tepat langkah yang diambil setiap workflow",
    ]
    # The whole instansi: every appraisal Temporal has of it, whatever the cycle.
    status, out, err = await _kinerja(capsys, "periksa", "--instansi", office.instansi)
    assert (status, out.splitlines()[0]) == (0, "Penilaian diperiksa: 1"), err
    with office.engine.begin() as connection:  # the worklist entry lost
        connection.execute(text("DELETE FROM worklist"))
    monkeypatch.setattr(consistency, "SETTLE", 0.1)
    status, out, _ = await _kinerja(capsys, "periksa", "--siklus", office.cycle_id, "--nip", STAFF)
    assert (status, out.splitlines()[1:]) == (
        1,
        ["TIDAK SAMA (1):", f"- {office.workflow_id}: tidak ada di worklist; workflow di langkah self_assessment"],
    )


async def _kinerja(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command runs its own event loop: off this test's loop, in a thread."""
    return await asyncio.to_thread(kinerja, capsys, *argv)
