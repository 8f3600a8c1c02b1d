"""A change of the instansi's working days during the year reaches the running cycle (issue 20), on the real
time-skipping server with the real activities: HR enters a new day off in the policy and has the cycle count its
deadlines again (services.calendar_change.count_again, the cycle's `change_calendar` Update). The change is recorded
(audit), every deadline stated in hari kerja and not yet reached moves by the day off, every running appraisal takes
it up (its current deadline too, unless an extension set it), and the cycle's own timers follow: the review phase ends
on the new day, not the old one. Histories saved for the replay test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.access import Grant
from domain.calendar import WIB, CycleCalendar, resolve
from domain.errors import Forbidden, NotFound
from domain.officials import Officials
from domain.organisation import Employee
from domain.periods import PeriodStep
from domain.stages import Role, Step
from domain.worklist import WorklistQuery
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from services import calendar_record, policy, worklist
from services.calendar_change import count_again
from services.officials import change_officials
from temporal_client import appraisal_handle
from tests.workflows import scenario
from tests.workflows.conftest import running_worker
from tests.workflows.test_cycle import INSTANSI, KEPALA, PERIOD, SEKDA, Office, phase, seed, skip, skp_of, start_cycle
from tests.workflows.test_officials import NEW_AUDITOR
from workflows.appraisal import AppraisalWorkflow
from workflows.calendar_contracts import ApplyCalendar, ChangeCalendar
from workflows.contracts import Actor, ApproveSkp, ExtendDeadline, SubmitSkp
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CyclePhase
from workflows.period_contracts import PeriodicState, periodic_workflow_id
from workflows.periodic import PeriodicEvaluationWorkflow

ADMIN = "198101012006041014"  # admin kepegawaian of the instansi (a grant, not a roster entry)
REASON = "SKB perubahan cuti bersama: hari kerja berikutnya menjadi libur"
ZONE = timezone(timedelta(hours=WIB))


def overrides(today: datetime, days_off: list[str]) -> dict[str, object]:
    """The seeded escalation (30 and 10 minutes before, grace 30), in working days every year around today (listed
    here, so the test does not depend on which national lists ship), and the instansi's days off."""
    years = sorted({today.year - 1, today.year, today.year + 1})
    return {
        "escalation": {"reminders_before": ["PT30M", "PT10M"], "grace": "PT30M"},
        "working_days": {"years_listed": years, "days_off": [{"day": d, "name": "Libur"} for d in days_off]},
    }


@pytest.fixture
async def office(sqlite_database_url: str) -> AsyncIterator[Office]:
    engine = make_engine(sqlite_database_url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    staff, heads = seed(uow_factory)
    with uow_factory() as uow:
        grant = Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=INSTANSI)
        uow.identity.add_grant(ADMIN, grant, by="operator", at=datetime.now(UTC))
        uow.commit()
    yield Office(engine=engine, uow_factory=uow_factory, staff=staff, heads=heads)
    engine.dispose()


@pytest.fixture
async def queue(time_skipping_env: WorkflowEnvironment, office: Office) -> AsyncIterator[str]:
    async for task_queue in running_worker(time_skipping_env.client, office.engine):
        yield task_queue


def next_working_day(after: datetime) -> datetime:
    day = after + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def test_a_new_day_off_moves_the_deadlines_of_the_running_cycle_and_its_appraisals(
    time_skipping_env: WorkflowEnvironment, queue: str, office: Office
) -> None:
    env, client = time_skipping_env, time_skipping_env.client
    begin = (await env.get_current_time()).astimezone(ZONE)
    with office.uow_factory() as uow:
        uow.instansi.set_policy_overrides(INSTANSI, overrides(begin, []))
        uow.commit()
        before_policy = uow.instansi.policy(INSTANSI)
    calendar = CycleCalendar.model_validate(
        {
            "start": begin.isoformat(),
            "skp_draft_due": "2HK",
            "skp_due": "4HK",
            "survey_opens": "PT1H",
            "survey_closes": "5HK",
            "self_assessment_due": "6HK",
            "review_due": "8HK",
            "calibration_due": "10HK",
            "sign_off_due": "12HK",
            "objection_window": "P1D",
            "objection_decision_due": "P1D",
        }
    )
    deadlines = resolve(calendar, PERIOD, before_policy)
    cycle = await start_cycle(env, queue, calendar=calendar, deadlines=deadlines)
    cycle_id = cycle.id.removeprefix("cycle-")
    await phase(cycle, CyclePhase.RUNNING)
    running = worklist.open_entries(office.uow_factory, WorklistQuery(cycle_id=cycle_id), None, 1000)
    first, extended = sorted(office.staff)[:2]
    appraisal, other = appraisal_handle(client, cycle_id, first), appraisal_handle(client, cycle_id, extended)
    assert (await appraisal.query(AppraisalWorkflow.state)).deadline == deadlines.skp_draft_due
    # The supervision team extends one appraisal's drafting: a person's decision, which the new count leaves alone.
    until = deadlines.skp_draft_due + timedelta(hours=5)
    await other.execute_update(
        AppraisalWorkflow.extend_deadline,
        ExtendDeadline(
            actor=Actor(nip=scenario.PENGAWAS, role=Role.PENGAWASAN), new_deadline=until, reason="cuti sakit, ada surat"
        ),
    )

    # Before any count, an apply_calendar Update sent straight to an appraisal finds nothing recorded: refused.
    with pytest.raises(WorkflowUpdateFailedError) as forged:
        await appraisal.execute_update(AppraisalWorkflow.apply_calendar, ApplyCalendar(version=3))
    assert isinstance(forged.value.cause, ApplicationError) and forged.value.cause.type == "NotFound"
    # Only the admin kepegawaian, only a cycle that runs.
    with pytest.raises(Forbidden):
        await count_again(client, office.uow_factory, cycle_id, scenario.PENGAWAS, reason=REASON)
    with pytest.raises(NotFound):
        await count_again(client, office.uow_factory, "UJI-tidak-ada", ADMIN, reason=REASON)
    impostor = ChangeCalendar(actor=Actor(nip=ADMIN, role=Role.PENGAWASAN), reason=REASON)
    with pytest.raises(WorkflowUpdateFailedError) as wrong_role:
        await cycle.execute_update(CycleWorkflow.change_calendar, impostor)
    assert isinstance(wrong_role.value.cause, ApplicationError)
    assert wrong_role.value.cause.details[0]["field"] == "peran"
    assert calendar_record.recorded(office.uow_factory, cycle_id) is None

    # HR enters the new day off (the next working day) and has the cycle count again.
    day_off = next_working_day(begin).date().isoformat()
    policy.set_overrides(office.uow_factory, INSTANSI, overrides(begin, [day_off]))
    changed = await count_again(client, office.uow_factory, cycle_id, ADMIN, reason=REASON)
    assert (changed.version, changed.appraisals) == (1, len(running))
    moved = {m.field: (m.before, m.after) for m in changed.moved}
    assert set(moved) == {"skp_draft_due", "skp_due", "survey_closes", "self_assessment_due", "review_due",
                          "calibration_due", "sign_off_due"}  # fmt: skip
    with office.uow_factory() as uow:
        new = resolve(calendar, PERIOD, uow.instansi.policy(INSTANSI))
    assert moved["skp_draft_due"] == (deadlines.skp_draft_due, new.skp_draft_due)
    assert new.skp_draft_due > deadlines.skp_draft_due

    state = await appraisal.query(AppraisalWorkflow.state)
    assert (state.step, state.deadline, state.calendar_version) == (Step.SKP_DRAFTING, new.skp_draft_due, 1)
    assert (await other.query(AppraisalWorkflow.state)).deadline == until  # the extension stands
    with office.uow_factory() as uow:
        (entry,) = uow.audit.list(workflow_id=cycle.id, action=calendar_record.ACTION)
        taken_up = uow.audit.list(workflow_id=appraisal.id, action="change_calendar")
        listed = uow.worklist.get(appraisal.id)
    assert (entry.actor, entry.actor_role, entry.reason) == (ADMIN, Role.ADMIN_KEPEGAWAIAN, REASON)
    assert [(e.actor, e.reason) for e in taken_up] == [(ADMIN, REASON)]
    assert taken_up[0].after is not None and taken_up[0].after["deadline"] == new.skp_draft_due.isoformat()
    assert listed is not None and listed.deadline == new.skp_draft_due  # the worklist shows the new deadline

    # The same count again moves nothing and is recorded as such.
    again = await count_again(client, office.uow_factory, cycle_id, ADMIN, reason=REASON)
    assert (again.version, again.moved, again.appraisals) == (2, [], 0)

    # The cycle's own timers follow: past the old review deadline it still waits; past the new one it calibrates.
    await skip(env, deadlines.review_due - await env.get_current_time() + timedelta(minutes=5), timedelta(hours=12))
    assert (await cycle.query(CycleWorkflow.state)).phase is not CyclePhase.CALIBRATING
    await skip(env, new.review_due - await env.get_current_time() + timedelta(minutes=5), timedelta(hours=6))
    await phase(cycle, CyclePhase.CALIBRATING)
    assert (await cycle.query(CycleWorkflow.state)).calibration_due == new.calibration_due

    # Another day off while the pimpinan calibrates: the calibration deadline moves, and its reminders and
    # escalation are planned again on it: nobody is told of a deadline passed at the old one.
    now = (await env.get_current_time()).astimezone(ZONE)
    second = next_working_day(now).date().isoformat()
    policy.set_overrides(office.uow_factory, INSTANSI, overrides(begin, [day_off, second]))
    during = await count_again(client, office.uow_factory, cycle_id, ADMIN, reason=REASON)
    later = {m.field: m.after for m in during.moved}
    assert later["calibration_due"] > new.calibration_due
    assert (await cycle.query(CycleWorkflow.state)).calibration_due == later["calibration_due"]
    await skip(env, new.calibration_due - await env.get_current_time() + timedelta(minutes=5), timedelta(hours=6))
    assert (await cycle.query(CycleWorkflow.state)).calibration_escalations == 0
    await skip(env, later["calibration_due"] - await env.get_current_time() + timedelta(minutes=5), timedelta(hours=6))

    async def escalated() -> bool:
        return (await cycle.query(CycleWorkflow.state)).calibration_escalations >= 1

    await scenario.eventually(lambda: _true_or_none(escalated), what="the calibration escalated at its new deadline")

    await scenario.replay_and_record(client, appraisal, "calendar_changed")
    await scenario.replay_and_record(client, cycle, "cycle_calendar_changed")


async def _true_or_none(check: Callable[[], Awaitable[bool]]) -> bool | None:
    return True if await check() else None


async def test_a_recount_and_new_officials_reach_the_open_period_of_a_periodic_evaluation(
    time_skipping_env: WorkflowEnvironment, queue: str, office: Office
) -> None:
    """The periodic evaluation an appraisal started follows what the appraisal takes up from its cycle: a new day off
    moves its open period's deadline (counted in working days from the period's end), recorded; a new supervision
    team hears of that period's escalation."""
    env, client = time_skipping_env, time_skipping_env.client
    begin = (await env.get_current_time()).astimezone(ZONE)
    # Reminders and levels in working days: the cycle carries its working days, which its periods count in too.
    in_working_days = {"reminders_before_working_days": [1], "grace_working_days": 1}
    with office.uow_factory() as uow:
        uow.instansi.set_policy_overrides(INSTANSI, {**overrides(begin, []), "escalation": in_working_days})
        uow.employees.add(
            Employee(nip=NEW_AUDITOR, name="Auditor Baru", jabatan="Auditor", unit_code="DINAS", superior_nip=KEPALA),
            INSTANSI,
        )
        uow.commit()
        before_policy = uow.instansi.policy(INSTANSI)
    calendar = CycleCalendar.model_validate(
        {
            "start": begin.isoformat(),
            "skp_draft_due": "2HK",
            "skp_due": "4HK",
            "survey_opens": "PT1H",
            "survey_closes": "20HK",
            "self_assessment_due": "30HK",
            "review_due": "32HK",
            "calibration_due": "34HK",
            "sign_off_due": "36HK",
            "objection_window": "P1D",
            "objection_decision_due": "P1D",
            "period_ends": ["PT2H", "12HK", "18HK"],  # the first quarter ends two hours in
        }
    )
    deadlines = resolve(calendar, PERIOD, before_policy)
    cycle = await start_cycle(env, queue, calendar=calendar, deadlines=deadlines)
    cycle_id = cycle.id.removeprefix("cycle-")
    await phase(cycle, CyclePhase.RUNNING)
    employee = sorted(office.staff)[0]
    appraisal = appraisal_handle(client, cycle_id, employee)
    penilai = Actor(nip=office.heads[office.staff[employee]], role=Role.PENILAI)
    me = Actor(nip=employee, role=Role.PEGAWAI)
    await appraisal.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=me, skp=skp_of(employee)))
    await appraisal.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=penilai))
    periodic = client.get_workflow_handle_for(PeriodicEvaluationWorkflow.run, periodic_workflow_id(cycle_id, employee))

    async def open_period() -> PeriodicState | None:
        try:
            found = await periodic.query(PeriodicEvaluationWorkflow.state)
        except RPCError:
            return None  # not started yet
        current = found.current
        return found if current is not None and current.step is PeriodStep.REALISATION else None

    await skip(env, timedelta(hours=2, minutes=5), timedelta(hours=1))
    opened = await scenario.eventually(open_period, what="the first quarter's realisation")
    assert opened.current is not None and opened.current.deadline is not None
    due = opened.current.deadline

    # A day off before that deadline: the cycle counts again, the appraisal takes it up, the period follows.
    day_off = next_working_day(begin + timedelta(hours=2)).date().isoformat()
    policy.set_overrides(office.uow_factory, INSTANSI, {**overrides(begin, [day_off]), "escalation": in_working_days})
    await count_again(client, office.uow_factory, cycle_id, ADMIN, reason=REASON)

    async def moved() -> PeriodicState | None:
        found = await periodic.query(PeriodicEvaluationWorkflow.state)
        current = found.current
        return found if current is not None and current.deadline is not None and current.deadline > due else None

    later = await scenario.eventually(moved, what="the open period's deadline moved by the day off")
    assert later.current is not None and later.current.deadline == next_working_day(due.astimezone(ZONE))
    with office.uow_factory() as uow:
        recorded = uow.audit.list(workflow_id=periodic.id, action="period.calendar_changed")
        stored = uow.periods.of_appraisal(cycle_id, employee)
    assert len(recorded) == 1 and stored[0].deadline == later.current.deadline
    assert recorded[0].after is not None
    assert (recorded[0].after["deadline_before"], recorded[0].after["deadline"]) == (
        due.isoformat(),
        later.current.deadline.isoformat(),
    )

    # A new supervision team: the period's escalation reaches it.
    team = Officials(supervision_team=[NEW_AUDITOR], pengelola_kinerja=[], pimpinan=[SEKDA])
    await change_officials(client, office.uow_factory, cycle_id, team, ADMIN, reason=REASON)

    async def told() -> PeriodicState | None:
        found = await periodic.query(PeriodicEvaluationWorkflow.state)
        return found if found.supervision_team == [NEW_AUDITOR] else None

    await scenario.eventually(told, what="the new supervision team reaching the periodic evaluation")
    await skip(env, later.current.deadline - await env.get_current_time() + timedelta(minutes=5), timedelta(hours=6))

    async def escalated() -> list[str] | None:
        with office.uow_factory() as uow:
            entries = uow.audit.list(workflow_id=periodic.id, action="notice.escalation")
        return list(entries[0].after["recipients"]) if entries and entries[0].after else None

    recipients = await scenario.eventually(escalated, what="the period's escalation")
    assert NEW_AUDITOR in recipients and scenario.PENGAWAS not in recipients
    await scenario.replay_and_record(client, appraisal, "periodic_follows_year")
    await scenario.replay_and_record(client, periodic, "periodic_followed_year")
