"""Periodic evaluation on the time-skipping server (issue 20): an appraisal of 2027 whose SKP is approved in December
2026 starts its quarterly evaluation; after each quarter the employee records the realisation so far and the penilai
holds the dialog kinerja; a late realisation is reminded and escalated; out-of-turn and bad steps are refused before
anything enters history. Three quarters stay within the event budget, and both histories are saved for the replay
test. A period left undone lapses when the next one ends; a withdrawn appraisal stops its evaluation, its open
period lapsing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

import temporal_client
from domain.periods import PeriodStep
from domain.policy import AppraisalPolicy
from domain.skp import Realisation
from domain.withdrawal import WithdrawalCause
from services import worklist
from tests.workflows import scenario
from tests.workflows.conftest import Office
from tests.workflows.scenario import (
    EMPLOYEE,
    HR,
    KABID,
    KASI_BARU,
    PENGAWAS,
    PENILAI,
    PENILAI_BARU,
    STAFF,
    TIM_PENGAWASAN,
    Handle,
    eventually,
    history_length,
    replay_and_record,
    skip_time,
)
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import ApproveSkp, Reassign, SubmitSkp, Withdraw
from workflows.period_contracts import HoldDialog, PeriodicState, RecordPeriodRealisation, periodic_workflow_id
from workflows.periodic import PeriodicEvaluationWorkflow

YEAR = 2027
POLICY = AppraisalPolicy(escalation=scenario.ESCALATION)
WIB = timezone(timedelta(hours=7))
EVENT_BUDGET = 150
PeriodicHandle = WorkflowHandle[PeriodicEvaluationWorkflow, PeriodicState]


async def _approved(env: WorkflowEnvironment, task_queue: str, office: Office, cycle_id: str) -> Handle:
    """An appraisal of YEAR started now (December 2026) with its SKP approved."""
    begin = await env.get_current_time()
    input = scenario.appraisal_input(cycle_id, begin, policy=POLICY).model_copy(update={"period": YEAR})
    worklist.enrol(office.uow_factory, [input])
    handle = await temporal_client.start_appraisal(env.client, input, task_queue=task_queue)
    skp = scenario.skp().model_copy(update={"period": YEAR})
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=skp))
    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
    return handle


async def _periodic(env: WorkflowEnvironment, cycle_id: str) -> PeriodicHandle:
    handle: PeriodicHandle = env.client.get_workflow_handle_for(
        PeriodicEvaluationWorkflow.run, periodic_workflow_id(cycle_id, STAFF)
    )

    async def started() -> bool:
        try:
            await handle.describe()
        except RPCError:
            return False
        return True

    await eventually(started, what="the periodic evaluation")
    return handle


async def _at(handle: PeriodicHandle, number: int, step: PeriodStep) -> PeriodicState:
    async def probe() -> PeriodicState | None:
        state = await handle.query(PeriodicEvaluationWorkflow.state)
        current = state.current
        return state if current is not None and (current.number, current.step) == (number, step) else None

    return await eventually(probe, what=f"period {number} at {step.value}")


def _end_of_quarter(number: int) -> datetime:
    """Midnight after the quarter's last day, in the cycle's zone (the scenario's: WIB)."""
    return datetime(YEAR, 3 * number + 1, 1, tzinfo=WIB)


async def _skip_to(env: WorkflowEnvironment, instant: datetime) -> None:
    now = await env.get_current_time()
    if instant > now:
        await skip_time(env, instant - now)


async def _refused(handle: PeriodicHandle, update: object, payload: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)  # type: ignore[call-overload]
    return str(failed.value.cause)


def _realised(value: str) -> list[Realisation]:
    return [Realisation(indicator_id="I1", value=Decimal(value), evidence=["https://arsip.example.go.id/i1"])]


async def test_three_quarters_are_evaluated_after_they_end_and_a_late_one_is_escalated(
    time_skipping_env: WorkflowEnvironment, task_queue: str, office: Office, cycle_id: str
) -> None:
    env = time_skipping_env
    appraisal = await _approved(env, task_queue, office, cycle_id)
    periodic = await _periodic(env, cycle_id)
    waiting = await periodic.query(PeriodicEvaluationWorkflow.state)
    assert waiting.current is None and waiting.done == []

    await _skip_to(env, _end_of_quarter(1) + timedelta(hours=1))
    state = await _at(periodic, 1, PeriodStep.REALISATION)
    assert state.current is not None and state.current.label == "Triwulan I" and state.current.assignee_nip == STAFF
    before = scenario.without_task_bookkeeping(await periodic.fetch_history())
    wrong = RecordPeriodRealisation(actor=PENILAI, number=1, realisations=_realised("300"))
    assert "Pegawai" in await _refused(periodic, PeriodicEvaluationWorkflow.record_realisation, wrong)
    unknown = [Realisation(indicator_id="I9", value=Decimal(1))]
    stray = RecordPeriodRealisation(actor=EMPLOYEE, number=1, realisations=unknown)
    assert "I9" in await _refused(periodic, PeriodicEvaluationWorkflow.record_realisation, stray)
    early = HoldDialog(actor=PENILAI, number=1, feedback="Bagus")
    assert "tahap" in await _refused(periodic, PeriodicEvaluationWorkflow.hold_dialog, early)
    assert scenario.without_task_bookkeeping(await periodic.fetch_history()) == before

    for number, value in ((1, "300"), (2, "620"), (3, "910")):
        if number > 1:
            await _skip_to(env, _end_of_quarter(number) + timedelta(hours=1))
            await _at(periodic, number, PeriodStep.REALISATION)
        if number == 2:  # the employee is late: reminded, then escalated to the team and the superiors
            await skip_time(env, timedelta(days=8))

            async def escalated() -> bool:
                with office.uow_factory() as uow:
                    return any(e.action == "notice.escalation" for e in uow.audit.list(workflow_id=periodic.id))

            await eventually(escalated, what="the late realisation escalated")
        realised = RecordPeriodRealisation(actor=EMPLOYEE, number=number, realisations=_realised(value))
        state = await periodic.execute_update(PeriodicEvaluationWorkflow.record_realisation, realised)
        assert state.current is not None and state.current.step is PeriodStep.DIALOG
        dialog = HoldDialog(
            actor=PENILAI, number=number, feedback=f"Dialog triwulan {number}: capaian sesuai rencana", rating=None
        )
        await periodic.execute_update(PeriodicEvaluationWorkflow.hold_dialog, dialog)

    final = await periodic.result()
    assert [(p.number, p.step, str(p.realisations[0].value)) for p in final.done] == [
        (1, PeriodStep.DONE, "300"),
        (2, PeriodStep.DONE, "620"),
        (3, PeriodStep.DONE, "910"),
    ]
    with office.uow_factory() as uow:
        stored = uow.periods.of_appraisal(cycle_id, STAFF)
        escalations = [e.after for e in uow.audit.list(workflow_id=periodic.id) if e.action == "notice.escalation"]
        assert uow.periods.of_assignee(STAFF, limit=5) == [] and uow.periods.of_assignee(scenario.KASI, limit=5) == []
    assert stored == final.done and stored[2].feedback == "Dialog triwulan 3: capaian sesuai rencana"
    assert escalations[0] is not None and {PENGAWAS, STAFF} <= set(escalations[0]["recipients"])
    assert set(escalations[0]["recipients"]) & {scenario.KASI, KABID}
    await replay_and_record(env.client, periodic, "periodic_evaluation")
    await replay_and_record(env.client, appraisal, "appraisal_with_periods")
    await appraisal.terminate("test finished")


async def test_a_year_of_three_quarters_on_the_happy_path_stays_within_the_event_budget(
    time_skipping_env: WorkflowEnvironment, task_queue: str, office: Office, cycle_id: str
) -> None:
    env = time_skipping_env
    appraisal = await _approved(env, task_queue, office, cycle_id)
    periodic = await _periodic(env, cycle_id)
    for number in (1, 2, 3):
        await _skip_to(env, _end_of_quarter(number) + timedelta(hours=1))
        await _at(periodic, number, PeriodStep.REALISATION)
        realised = RecordPeriodRealisation(actor=EMPLOYEE, number=number, realisations=_realised("100"))
        await periodic.execute_update(PeriodicEvaluationWorkflow.record_realisation, realised)
        dialog = HoldDialog(actor=PENILAI, number=number, feedback="Capaian sesuai rencana")
        await periodic.execute_update(PeriodicEvaluationWorkflow.hold_dialog, dialog)
    assert len((await periodic.result()).done) == 3
    events = await history_length(periodic)
    assert events <= EVENT_BUDGET, f"{events} events for three quarters"
    await appraisal.terminate("test finished")


async def test_a_reassigned_penilai_holds_the_dialog_of_the_open_period(
    time_skipping_env: WorkflowEnvironment, task_queue: str, office: Office, cycle_id: str
) -> None:
    env = time_skipping_env
    appraisal = await _approved(env, task_queue, office, cycle_id)
    periodic = await _periodic(env, cycle_id)
    await _skip_to(env, _end_of_quarter(1) + timedelta(hours=1))
    await _at(periodic, 1, PeriodStep.REALISATION)
    moved = Reassign(
        actor=TIM_PENGAWASAN, penilai_nip=KASI_BARU, atasan_nip=None, reason="Reorganisasi: SOTK baru 2027"
    )
    await appraisal.execute_update(AppraisalWorkflow.reassign, moved)

    async def followed() -> bool:
        state = await periodic.query(PeriodicEvaluationWorkflow.state)
        return state.current is not None and state.current.penilai_nip == KASI_BARU

    await eventually(followed, what="the period following the reassignment")
    realised = RecordPeriodRealisation(actor=EMPLOYEE, number=1, realisations=_realised("300"))
    state = await periodic.execute_update(PeriodicEvaluationWorkflow.record_realisation, realised)
    assert state.current is not None and state.current.assignee_nip == KASI_BARU
    old = HoldDialog(actor=PENILAI, number=1, feedback="Dialog oleh penilai lama")
    assert "bukan" in await _refused(periodic, PeriodicEvaluationWorkflow.hold_dialog, old)
    new = HoldDialog(actor=PENILAI_BARU, number=1, feedback="Dialog oleh penilai baru")
    state = await periodic.execute_update(PeriodicEvaluationWorkflow.hold_dialog, new)
    assert state.current is not None and state.current.step is PeriodStep.DONE
    with office.uow_factory() as uow:
        assert "period.reassigned" in [e.action for e in uow.audit.list(workflow_id=periodic.id)]
    await appraisal.terminate("test finished")


async def test_a_period_left_undone_lapses_when_the_next_one_ends(
    time_skipping_env: WorkflowEnvironment, task_queue: str, office: Office, cycle_id: str
) -> None:
    env = time_skipping_env
    appraisal = await _approved(env, task_queue, office, cycle_id)
    periodic = await _periodic(env, cycle_id)
    await _skip_to(env, _end_of_quarter(2) + timedelta(hours=1))
    state = await _at(periodic, 2, PeriodStep.REALISATION)
    assert [(p.number, p.step, p.assignee_nip) for p in state.done] == [(1, PeriodStep.LAPSED, None)]
    with office.uow_factory() as uow:
        assert [p.number for p in uow.periods.of_assignee(STAFF, limit=5)] == [2]
        assert "period.lapsed" in [e.action for e in uow.audit.list(workflow_id=periodic.id)]
    await appraisal.terminate("test finished")


async def test_a_withdrawn_appraisal_stops_its_periodic_evaluation_and_its_open_period_lapses(
    time_skipping_env: WorkflowEnvironment, task_queue: str, office: Office, cycle_id: str
) -> None:
    env = time_skipping_env
    appraisal = await _approved(env, task_queue, office, cycle_id)
    periodic = await _periodic(env, cycle_id)
    await _skip_to(env, _end_of_quarter(1) + timedelta(hours=1))
    await _at(periodic, 1, PeriodStep.REALISATION)
    moved = Withdraw(
        actor=HR, cause=WithdrawalCause.MUTASI, reason="SK Gubernur 821/45/2026: pindah ke Pemprov Papua Selatan"
    )
    await appraisal.execute_update(AppraisalWorkflow.withdraw, moved)
    final = await periodic.result()
    assert final.stopped and final.current is None
    assert [(p.number, p.step, p.assignee_nip, p.deadline) for p in final.done] == [(1, PeriodStep.LAPSED, None, None)]
    assert (await appraisal.result()).step.value == "withdrawn"
    with office.uow_factory() as uow:
        assert uow.periods.of_assignee(STAFF, limit=5) == []  # nothing left on Beranda
        assert "period.stopped" in [e.action for e in uow.audit.list(workflow_id=periodic.id)]
