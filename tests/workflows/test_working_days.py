"""Escalation in hari kerja on the time-skipping server (issue 20): where the instansi's policy counts the grace in
working days, an overdue step climbs to its next level on the next working day, not on the next calendar day; a day
off of the instansi in between (here the first weekday after the deadline, so the test runs whatever the date) is
waited out. The days come from the table the cycle's deadlines carry (domain.workdays.WorkdayTable), which the
workflow reads; the run is replayed and kept for the replay test (histories/escalation_in_working_days.json)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.calendar import WIB
from domain.policy import AppraisalPolicy, CalendarPolicy, EscalationPolicy
from domain.stages import Step
from domain.workdays import DayOff, WorkingDaysPolicy, work_calendar
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from tests.workflows.scenario import EMPLOYEE, TIM_PENGAWASAN, state_when
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import AppraisalInput, ExtendDeadline, SubmitSkp

ZONE = timezone(timedelta(hours=WIB))


async def test_the_next_level_waits_for_the_next_working_day(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    env = time_skipping_env
    now = await env.get_current_time()
    today = now.astimezone(ZONE).date()
    due_day = today + timedelta(days=1)
    day_off = due_day + timedelta(days=1)  # the first weekday after the deadline's day: a working day but for this
    while day_off.weekday() >= 5:
        day_off += timedelta(days=1)
    policy = AppraisalPolicy(
        escalation=EscalationPolicy(reminders_before=[], grace_working_days=1, max_levels=2),
        working_days=WorkingDaysPolicy(
            days_off=[DayOff(day=day_off, name="Hari jadi kota")],
            years_listed=sorted({today.year - 1, today.year, today.year + 1}),
        ),
    )
    later = {  # the SKP's drafting is due at the end of tomorrow; the rest of the year well after it
        name: (due_day + timedelta(days=days)).isoformat()
        for name, days in (
            ("skp_due", 20),
            ("survey_opens", 20),
            ("self_assessment_due", 30),
            ("survey_closes", 35),
            ("review_due", 40),
            ("calibration_due", 45),
            ("sign_off_due", 50),
        )
    }
    handle = await start(policy=policy, skp_draft_due=due_day.isoformat(), **later)
    state = await handle.query(AppraisalWorkflow.state)
    due = state.deadline
    assert state.step is Step.SKP_DRAFTING and due is not None and due.astimezone(ZONE).date() == due_day
    next_level = work_calendar(policy.working_days).shifted(due, 1, ZONE)
    assert next_level is not None and next_level.astimezone(ZONE).date() > day_off  # not the calendar's next day

    await scenario.skip_time(env, due - now + timedelta(minutes=1))
    await state_when(handle, lambda s: s.escalation_level == 1, "escalation level 1 at the deadline")
    # A calendar day's grace later (the instansi's day off): still the first level.
    await scenario.skip_time(env, due + timedelta(days=1, hours=1) - await env.get_current_time())
    assert (await handle.query(AppraisalWorkflow.state)).escalation_level == 1
    await scenario.skip_time(env, next_level - await env.get_current_time() + timedelta(minutes=1))
    await state_when(handle, lambda s: s.escalation_level == 2, "escalation level 2 on the next working day")
    with office.uow_factory() as uow:
        escalations = [e for e in uow.audit.list(workflow_id=handle.id) if e.action == "notice.escalation"]
    assert [e.after["level"] if e.after else None for e in escalations] == [1, 2]
    assert escalations[1].occurred_at >= next_level
    await scenario.replay_and_record(env.client, handle, "escalation_in_working_days")


def test_the_day_off_is_in_the_cycles_table() -> None:
    """What the workflow counts from: the deadlines resolved at the cycle's start carry the instansi's day off."""
    today = datetime.now(ZONE).date()
    policy = AppraisalPolicy(
        escalation=EscalationPolicy(grace_working_days=1),
        working_days=WorkingDaysPolicy(days_off=[DayOff(day=today, name="Libur")], years_listed=[today.year]),
    )
    deadlines = scenario.appraisal_input("C", datetime.now(ZONE), policy=policy).deadlines
    assert deadlines.workdays is not None and today in deadlines.workdays.days_off


async def _extended_then_submitted(
    start: Starter, client: Client, *, shifts: bool, days: int = 3
) -> tuple[AppraisalInput, datetime]:
    """An appraisal whose SKP drafting deadline is extended by `days` before the SKP is sent: its input and the
    approval's deadline."""
    calendar = {name: f"P{days}D" for name, days in LATER.items()}
    policy = AppraisalPolicy(escalation=scenario.ESCALATION, calendar=CalendarPolicy(extension_shifts_later=shifts))
    handle = await start(policy=policy, **calendar)
    due = (await handle.query(AppraisalWorkflow.state)).deadline
    assert due is not None
    extend = ExtendDeadline(
        actor=TIM_PENGAWASAN, new_deadline=due + timedelta(days=days), reason="pegawai cuti sakit, surat dokter"
    )
    await handle.execute_update(AppraisalWorkflow.extend_deadline, extend)
    assert (await handle.query(AppraisalWorkflow.state)).deadline_shift == (days if shifts else 0)
    state = await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    assert state.step is Step.SKP_APPROVAL and state.deadline is not None
    started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
    [given] = await client.data_converter.decode(started.input.payloads, [AppraisalInput])
    return given, state.deadline


LATER = {
    "skp_draft_due": 2,
    "skp_due": 20,
    "survey_opens": 20,
    "self_assessment_due": 30,
    "survey_closes": 35,
    "review_due": 40,
    "calibration_due": 45,
    "sign_off_due": 50,
}


@pytest.mark.parametrize("shifts", [True, False], ids=["policy-shifts", "policy-keeps"])
async def test_an_extension_moves_the_later_deadlines_where_the_policy_says_so(
    time_skipping_env: WorkflowEnvironment, start: Starter, shifts: bool
) -> None:
    """CalendarPolicy.extension_shifts_later: the SKP's approval is due three days later after the drafting was given
    three more days (calendar days: this cycle counts no working days); without it, when the cycle said."""
    given, due = await _extended_then_submitted(start, time_skipping_env.client, shifts=shifts)
    assert due == given.deadlines.skp_due + timedelta(days=3 if shifts else 0)


async def test_a_moved_deadline_never_passes_the_review_deadline(
    time_skipping_env: WorkflowEnvironment, start: Starter
) -> None:
    """Forty more days to draft would put the SKP's approval after the review, when the cycle takes every predicate."""
    given, due = await _extended_then_submitted(start, time_skipping_env.client, shifts=True, days=40)
    assert due == given.deadlines.review_due
