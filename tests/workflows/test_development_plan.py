"""Tindak lanjut on the time-skipping server (issue 20): an appraisal that ends Butuh Perbaikan opens the employee's
development plan, which outlives it; the penilai is late and the plan is reminded and escalated to the supervision
team and the atasan; the penilai sends it, the employee asks for a change, the corrected plan is agreed and the plan
ends. Wrong actors and bad plans are refused before anything enters history. An appraisal that ends Baik opens none.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.development import DevelopmentPlan, PlanStep
from domain.policy import AppraisalPolicy, FollowUpPolicy
from domain.ratings import Predicate
from domain.stages import Role
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from tests.workflows.scenario import (
    EMPLOYEE,
    HR,
    KABID,
    KASI,
    KASI_BARU,
    MEETS,
    PENGAWAS,
    PENILAI,
    STAFF,
    TIM_PENGAWASAN,
    Handle,
    eventually,
    replay_and_record,
    skip_time,
)
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import Actor, ApplyCalibration, ApproveSkp, Sign, SubmitReview, SubmitSelfAssessment, SubmitSkp
from workflows.development_plan import DevelopmentPlanWorkflow
from workflows.plan_contracts import (
    AgreePlan,
    AskPlanChange,
    DevelopmentPlanState,
    ReassignPlan,
    SendPlan,
    plan_workflow_id,
)

POLICY = AppraisalPolicy(
    escalation=scenario.ESCALATION, follow_up=FollowUpPolicy(plan_working_days=2, agreement_working_days=2)
)
PlanHandle = WorkflowHandle[DevelopmentPlanWorkflow, DevelopmentPlanState]


async def _final(handle: Handle, predicate: Predicate) -> None:
    """The appraisal through every step, calibrated to `predicate`, to the end of its objection window."""
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
    await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )
    await handle.execute_update(
        AppraisalWorkflow.submit_review, SubmitReview(actor=PENILAI, perilaku=MEETS, hasil_kerja=MEETS)
    )
    reason = "kurva distribusi unit PDU (SE MenPAN-RB 3/2023)"
    await handle.execute_update(
        AppraisalWorkflow.apply_calibration, ApplyCalibration(actor=HR, predicate=predicate, reason=reason)
    )
    await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))
    final = await handle.result()  # the objection window closes on its timer
    assert final.predicate is predicate


async def _opened_plan(env: WorkflowEnvironment, cycle_id: str) -> tuple[PlanHandle, DevelopmentPlanState]:
    """The development plan the appraisal of STAFF opened as it ended, once its workflow answers."""
    plan: PlanHandle = env.client.get_workflow_handle_for(
        DevelopmentPlanWorkflow.run, plan_workflow_id(cycle_id, STAFF)
    )

    async def opened() -> DevelopmentPlanState | None:
        try:
            return await plan.query(DevelopmentPlanWorkflow.state)
        except RPCError:
            return None

    return plan, await eventually(opened, what="the development plan")


def _plan(target: date, training: str | None = "Pelatihan pelayanan prima") -> DevelopmentPlan:
    return DevelopmentPlan(
        coaching="Bimbingan kinerja dua mingguan oleh Kasi atas ketepatan waktu layanan",
        competency="Manajemen waktu layanan",
        training=training,
        target_date=target,
    )


async def _refused(plan: PlanHandle, update: object, payload: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await plan.execute_update(update, payload)  # type: ignore[call-overload]
    return str(failed.value.cause)


def _plan_audit(office: Office, workflow_id: str) -> list[str]:
    with office.uow_factory() as uow:
        return [entry.action for entry in uow.audit.list(workflow_id=workflow_id)]


async def test_a_plan_opened_by_a_final_butuh_perbaikan_is_escalated_sent_changed_and_agreed(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office, cycle_id: str
) -> None:
    handle = await start(policy=POLICY)
    await _final(handle, Predicate.BUTUH_PERBAIKAN)
    client = time_skipping_env.client
    plan, state = await _opened_plan(time_skipping_env, cycle_id)
    record = state.record
    assert (record.step, record.assignee_nip, record.predicate) == (PlanStep.DRAFTING, KASI, Predicate.BUTUH_PERBAIKAN)
    assert record.deadline is not None and record.deadline > record.opened_at

    now = await time_skipping_env.get_current_time()
    today = now.date()
    refusal = await _refused(plan, DevelopmentPlanWorkflow.send_plan, SendPlan(actor=EMPLOYEE, plan=_plan(today)))
    assert "Pejabat Penilai Kinerja" in refusal
    refusal = await _refused(plan, DevelopmentPlanWorkflow.send_plan, SendPlan(actor=PENILAI, plan=_plan(today)))
    assert "tanggal target" in refusal
    refusal = await _refused(plan, DevelopmentPlanWorkflow.agree_plan, AgreePlan(actor=EMPLOYEE))
    assert "tahap" in refusal

    # The penilai lets the deadline pass: reminded, then escalated twice (the escalation's ladder: the atasan).
    await skip_time(time_skipping_env, record.deadline - now + timedelta(hours=2))

    async def escalated() -> list[str] | None:
        actions = _plan_audit(office, plan.id)
        return actions if actions.count("notice.escalation") == 2 else None

    actions = await eventually(escalated, what="two escalations of the plan")
    assert actions[0] == "plan.opened" and actions.count("notice.reminder") == 2
    with office.uow_factory() as uow:
        stored = uow.plans.get(plan.id)
        told = [e.after for e in uow.audit.list(workflow_id=plan.id) if e.action == "notice.escalation"]
    assert stored is not None and (stored.overdue, stored.escalation_level) == (True, 2)
    assert told[0] is not None and set(told[0]["recipients"]) == {KASI, PENGAWAS, KABID}

    target = today + timedelta(days=90)
    state = await plan.execute_update(DevelopmentPlanWorkflow.send_plan, SendPlan(actor=PENILAI, plan=_plan(target)))
    assert (state.record.step, state.record.assignee_nip, state.record.overdue) == (PlanStep.AGREEMENT, STAFF, False)
    state = await plan.execute_update(
        DevelopmentPlanWorkflow.ask_plan_change,
        AskPlanChange(actor=EMPLOYEE, reason="Mohon pelatihan dijadwalkan setelah masa pelayanan KTP massal"),
    )
    assert (state.record.step, state.record.change_requests) == (PlanStep.DRAFTING, 1)
    later = target + timedelta(days=30)
    await plan.execute_update(DevelopmentPlanWorkflow.send_plan, SendPlan(actor=PENILAI, plan=_plan(later)))
    state = await plan.execute_update(DevelopmentPlanWorkflow.agree_plan, AgreePlan(actor=EMPLOYEE))
    assert state.record.step is PlanStep.AGREED and state.record.agreed_at is not None

    final = await plan.result()
    assert final.record.plan is not None and final.record.plan.target_date == later
    with office.uow_factory() as uow:
        stored = uow.plans.get(plan.id)
        assert uow.plans.of_assignee(KASI, limit=10) == [] and uow.plans.of_assignee(STAFF, limit=10) == []
        listed = uow.plans.of_cycle(scenario.INSTANSI, cycle_id, limit=10)
    assert stored is not None and stored.step is PlanStep.AGREED and stored.plan == final.record.plan
    assert listed == [stored]
    assert _plan_audit(office, plan.id)[-4:] == ["send_plan", "ask_plan_change", "send_plan", "agree_plan"]
    await replay_and_record(client, handle, "final_with_development_plan")
    await replay_and_record(client, plan, "development_plan")


async def test_an_appraisal_that_ends_baik_opens_no_plan(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office, cycle_id: str
) -> None:
    handle = await start(policy=POLICY)
    await _final(handle, Predicate.BAIK)
    with pytest.raises(RPCError):
        await time_skipping_env.client.get_workflow_handle(plan_workflow_id(cycle_id, STAFF)).describe()
    with office.uow_factory() as uow:
        assert uow.plans.of_cycle(scenario.INSTANSI, cycle_id, limit=10) == []


async def test_the_supervision_team_gives_a_plan_another_penilai(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office, cycle_id: str
) -> None:
    """The plan's penilai left before sending it: the supervision team gives it another, who has the step's full time
    and sends it; the one who left may no longer. Wrong actors and empty changes are refused before history."""
    handle = await start(policy=POLICY)
    await _final(handle, Predicate.KURANG)
    plan, opened = await _opened_plan(time_skipping_env, cycle_id)
    before = opened.record
    reason = "Kasi mutasi ke kecamatan per 1 Februari"
    moved = ReassignPlan(actor=TIM_PENGAWASAN, penilai_nip=KASI_BARU, reason=reason)
    for actor, said in (
        (PENILAI, "Tim Pengawasan"),  # the penilai cannot hand the plan on
        (Actor(nip=KABID, role=Role.PENGAWASAN), "bukan tim pengawasan"),  # a team member of no such cycle
    ):
        assert said in await _refused(
            plan, DevelopmentPlanWorkflow.reassign_plan, moved.model_copy(update={"actor": actor})
        )
    same = moved.model_copy(update={"penilai_nip": KASI})
    assert "tidak ada yang diubah" in await _refused(plan, DevelopmentPlanWorkflow.reassign_plan, same)
    itself = moved.model_copy(update={"penilai_nip": STAFF})
    assert "dirinya sendiri" in await _refused(plan, DevelopmentPlanWorkflow.reassign_plan, itself)
    assert _plan_audit(office, plan.id) == ["plan.opened"]  # nothing entered: refused by the validator

    await skip_time(time_skipping_env, timedelta(hours=20))  # a day of the penilai's time gone
    state = await plan.execute_update(DevelopmentPlanWorkflow.reassign_plan, moved)
    record = state.record
    assert (record.step, record.penilai_nip, record.assignee_nip) == (PlanStep.DRAFTING, KASI_BARU, KASI_BARU)
    assert record.deadline is not None and before.deadline is not None and record.deadline > before.deadline
    target = (await time_skipping_env.get_current_time()).date() + timedelta(days=60)
    old = await _refused(plan, DevelopmentPlanWorkflow.send_plan, SendPlan(actor=PENILAI, plan=_plan(target)))
    assert "bukan" in old
    new_penilai = Actor(nip=KASI_BARU, role=Role.PENILAI)
    state = await plan.execute_update(
        DevelopmentPlanWorkflow.send_plan, SendPlan(actor=new_penilai, plan=_plan(target))
    )
    assert state.record.step is PlanStep.AGREEMENT
    with office.uow_factory() as uow:
        stored = uow.plans.get(plan.id)
        (entry,) = [e for e in uow.audit.list(workflow_id=plan.id) if e.action == "reassign_plan"]
    assert stored is not None and stored.penilai_nip == KASI_BARU
    assert (entry.actor, entry.reason) == (PENGAWAS, reason)
    assert entry.after is not None and entry.after["penilai_nip"] == KASI_BARU
