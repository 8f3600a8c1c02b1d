"""A mid-year change of SKP on the time-skipping server (issue 20, domain.skp_versions): an appraisal of 2027 whose SKP
was approved proposes a new version from 1 July (a reorganisation). Wrong proposals are refused before anything
enters history; the first proposal is returned and the version in force stays; the second waits past its approval
deadline and is escalated, then approved: the old version is kept with its days, the new one is in force, the
periodic evaluation accepts the new indicators, and the self-assessment covers both versions with a suggestion that
weighs each by its days. The history is saved for the replay test.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

import temporal_client
from domain.periods import PeriodStep
from domain.policy import AppraisalPolicy
from domain.skp import Aspect, Indicator, Realisation, RencanaHasilKerja, RhkKind, Skp, Target
from domain.stages import Step
from services import worklist
from tests.workflows import scenario
from tests.workflows.conftest import Office
from tests.workflows.scenario import (
    EMPLOYEE,
    HR,
    PENGAWAS,
    PENILAI,
    STAFF,
    TIM_PENGAWASAN,
    Handle,
    at_step,
    eventually,
    replay_and_record,
    skip_time,
)
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    ApproveSkp,
    ChangeSkp,
    ExtendDeadline,
    ReturnSkp,
    SubmitSelfAssessment,
    SubmitSkp,
)
from workflows.period_contracts import PeriodicState, RecordPeriodRealisation, periodic_workflow_id
from workflows.periodic import PeriodicEvaluationWorkflow

YEAR = 2027
POLICY = AppraisalPolicy(escalation=scenario.ESCALATION)
WIB = timezone(timedelta(hours=7))
FROM_JULY = date(YEAR, 7, 1)
REASON = "Reorganisasi: SOTK baru berlaku 1 Juli 2027"


def _second_version(*, rhk_id: str = "R3", indicator_id: str = "I4") -> Skp:
    indicator = Indicator(
        id=indicator_id,
        aspect=Aspect.KUANTITAS,
        text="Akta kelahiran diterbitkan",
        target=Target(value=Decimal("600")),
        unit_of_measure="akta",
    )
    plan = RencanaHasilKerja(id=rhk_id, kind=RhkKind.UTAMA, text="Akta pencatatan sipil", indicators=[indicator])
    return Skp(employee_nip=STAFF, period=YEAR, rhk=[plan])


def _change(skp: Skp | None = None, effective_from: date = FROM_JULY, reason: str = REASON) -> ChangeSkp:
    return ChangeSkp(actor=EMPLOYEE, skp=skp or _second_version(), effective_from=effective_from, reason=reason)


async def _refused(handle: Handle, update: object, payload: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)  # type: ignore[call-overload]
    return str(failed.value.cause)


async def _approved(env: WorkflowEnvironment, task_queue: str, office: Office, cycle_id: str) -> Handle:
    """An appraisal of YEAR with its SKP approved, its year's later deadlines after the year ends (the scenario's
    compressed calendar would end it in hours)."""
    begin = await env.get_current_time()
    input = scenario.appraisal_input(
        cycle_id,
        begin,
        policy=POLICY,
        self_assessment_due="P395D",
        review_due="P420D",  # later than the self-assessment's deadline plus what the test gives back
        calibration_due="P425D",
        sign_off_due="P430D",
    ).model_copy(update={"period": YEAR})
    worklist.enrol(office.uow_factory, [input])
    handle = await temporal_client.start_appraisal(env.client, input, task_queue=task_queue)
    skp = scenario.skp().model_copy(update={"period": YEAR})
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=skp))
    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
    return handle


async def test_a_mid_year_change_is_approved_as_a_new_version_and_the_year_counts_both(
    time_skipping_env: WorkflowEnvironment, task_queue: str, office: Office, cycle_id: str
) -> None:
    env = time_skipping_env
    appraisal = await _approved(env, task_queue, office, cycle_id)
    await at_step(appraisal, Step.SELF_ASSESSMENT)

    async def waiting() -> bool:  # the approval handled: the main loop sleeps until the next checkpoint
        events = scenario.without_task_bookkeeping(await appraisal.fetch_history())
        return events[-1].event_type == EventType.EVENT_TYPE_TIMER_STARTED

    await eventually(waiting, what="the appraisal waiting for its self-assessment")

    # Refused before anything enters history: an id of the version in force, a day not after it took effect, the
    # penilai proposing, no reason, and an approval with nothing proposed.
    before = scenario.without_task_bookkeeping(await appraisal.fetch_history())
    change = AppraisalWorkflow.change_skp
    assert "R1" in await _refused(appraisal, change, _change(_second_version(rhk_id="R1")))
    assert "berlaku sejak" in await _refused(appraisal, change, _change(effective_from=date(YEAR, 1, 1)))
    assert "berlaku sejak" in await _refused(appraisal, change, _change(effective_from=date(YEAR + 1, 1, 1)))
    wrong = _change().model_copy(update={"actor": PENILAI})
    assert "Pegawai" in await _refused(appraisal, change, wrong)
    assert "alasan" in await _refused(appraisal, change, _change(reason="  "))
    early = ApproveSkp(actor=PENILAI)
    assert "tidak dapat dilakukan" in await _refused(appraisal, AppraisalWorkflow.approve_skp, early)
    assert scenario.without_task_bookkeeping(await appraisal.fetch_history()) == before

    # The self-assessment's deadline extended first: the change must not lose it.
    before_extension = (await appraisal.query(AppraisalWorkflow.state)).deadline
    assert before_extension is not None
    extended = before_extension + timedelta(days=3)
    longer = ExtendDeadline(actor=TIM_PENGAWASAN, new_deadline=extended, reason="Layanan keliling dua minggu")
    await appraisal.execute_update(AppraisalWorkflow.extend_deadline, longer)

    # Proposed and returned: the version in force stays; the self-assessment resumes at its extended deadline, later
    # by the time the decision took.
    answer = await appraisal.execute_update(change, _change())
    assert answer.step is Step.SKP_CHANGE_APPROVAL and answer.assignees == [scenario.KASI]
    state = await appraisal.query(AppraisalWorkflow.state)
    proposal = state.skp_change
    assert proposal is not None and proposal.resume_deadline == extended
    assert state.deadline == state.step_entered_at + timedelta(days=5)
    returned = ReturnSkp(actor=PENILAI, comments="Target akta terlalu rendah untuk semester II")
    answer = await appraisal.execute_update(AppraisalWorkflow.return_skp, returned)
    state = await appraisal.query(AppraisalWorkflow.state)
    assert answer.step is Step.SELF_ASSESSMENT and state.skp_change is None and state.skp_versions == []
    assert state.skp is not None and [r.id for r in state.skp.rhk] == ["R1", "R2"] and state.skp_change_returned
    assert answer.deadline == extended + (answer.step_entered_at - proposal.proposed_at)

    # Proposed again by the pengelola kinerja for the employee, left past its deadline (escalated), then approved.
    on_behalf = _change().model_copy(update={"actor": HR})
    await appraisal.execute_update(change, on_behalf)
    await skip_time(env, timedelta(days=5, minutes=5))
    late = await scenario.state_when(appraisal, lambda s: s.overdue, "the change's approval escalated")
    assert late.step is Step.SKP_CHANGE_APPROVAL and late.escalation_level >= 1
    assert late.skp_change is not None and late.skp_change.resume_deadline is not None
    resume, proposed_at = late.skp_change.resume_deadline, late.skp_change.proposed_at
    approve = ApproveSkp(actor=PENILAI, note="Sesuai SOTK")
    answer = await appraisal.execute_update(AppraisalWorkflow.approve_skp, approve)
    state = await appraisal.query(AppraisalWorkflow.state)
    assert answer.step is Step.SELF_ASSESSMENT and state.skp_from == FROM_JULY and state.skp_change is None
    # The five days and more the penilai took are given back: the employee is not late for them.
    assert answer.deadline == resume + (answer.step_entered_at - proposed_at) and not answer.overdue
    assert state.skp is not None and [r.id for r in state.skp.rhk] == ["R3"]
    [kept] = state.skp_versions
    assert (kept.number, kept.effective_from, kept.effective_until) == (1, date(YEAR, 1, 1), date(YEAR, 6, 30))
    assert kept.reason == REASON and [r.id for r in kept.skp.rhk] == ["R1", "R2"]

    with office.uow_factory() as uow:
        stored = uow.skp.get(STAFF, YEAR)
        versions = uow.skp.versions(appraisal.id)
        actions = [e.action for e in uow.audit.list(workflow_id=appraisal.id)]
        escalated = [e.after for e in uow.audit.list(workflow_id=appraisal.id) if e.action == "notice.escalation"]
    assert stored is not None and stored.skp == _second_version() and stored.status == "approved"
    assert versions == [kept]
    assert actions.count("change_skp") == 2 and "return_skp" in actions and actions.count("approve_skp") == 2
    assert escalated and escalated[0] is not None and PENGAWAS in escalated[0]["recipients"]

    # The periodic evaluation takes the new indicators (the first quarter ends on 1 April).
    periodic = env.client.get_workflow_handle_for(PeriodicEvaluationWorkflow.run, periodic_workflow_id(cycle_id, STAFF))
    now = await env.get_current_time()
    await skip_time(env, datetime(YEAR, 4, 1, 1, tzinfo=WIB) - now)

    async def realising() -> PeriodicState | None:
        found = await periodic.query(PeriodicEvaluationWorkflow.state)
        current = found.current
        return found if current is not None and current.step is PeriodStep.REALISATION else None

    await eventually(realising, what="the first quarter's realisation")
    new_only = [Realisation(indicator_id="I4", value=Decimal("150"))]
    quarter = RecordPeriodRealisation(actor=EMPLOYEE, number=1, realisations=new_only)
    realised = await periodic.execute_update(PeriodicEvaluationWorkflow.record_realisation, quarter)
    assert realised.current is not None and realised.current.step is PeriodStep.DIALOG

    # The self-assessment realises both versions; the suggestion weighs each RHK by its version's days.
    only_new = SubmitSelfAssessment(actor=EMPLOYEE, realisations=[Realisation(indicator_id="I4", value=Decimal(600))])
    assert "I1" in await _refused(appraisal, AppraisalWorkflow.submit_self_assessment, only_new)
    both = [*scenario.realisations(), Realisation(indicator_id="I4", value=Decimal(600))]
    answer = await appraisal.execute_update(
        AppraisalWorkflow.submit_self_assessment, SubmitSelfAssessment(actor=EMPLOYEE, realisations=both)
    )
    assert answer.step is Step.SUPERVISOR_REVIEW
    state = await appraisal.query(AppraisalWorkflow.state)
    assert [a.indicator_id for a in state.achievements] == ["I1", "I2", "I3", "I4"]
    assert state.suggestion is not None
    assert any("ditimbang" in line and "dari 546 hari-RHK" in line for line in state.suggestion.explanation)

    await replay_and_record(env.client, appraisal, "skp_changed")
    await appraisal.terminate("test finished")
