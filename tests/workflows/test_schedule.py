"""The Temporal Schedules on the dev server: the yearly one, whose launcher prepares the period's cycle under the
instansi's policy and starts the cycle workflow, which enrols the office; and the nightly worklist upkeep, which takes
the appraisals an operator ended out of the task lists."""

from __future__ import annotations

import contextlib

import pytest
from temporalio.client import ScheduleActionExecutionStartWorkflow, ScheduleHandle, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

import temporal_client
from services import worklist, worklist_sync
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CyclePhase, CycleState, CycleTemplate, WorklistUpkeep, WorklistUpkept


async def test_a_yearly_schedule_starts_the_cycle_of_the_year_it_fires(
    dev_env: WorkflowEnvironment, dev_task_queue: str, office: Office
) -> None:
    client = dev_env.client
    template = CycleTemplate(
        instansi_code=scenario.INSTANSI,
        supervision_team=[scenario.PENGAWAS],
        pengelola_kinerja=[scenario.PENGELOLA],
        pimpinan=["196801011990031001"],
    )
    schedule = await temporal_client.schedule_cycles(
        client, template, task_queue=dev_task_queue, month=1, day=2, hour=8
    )
    try:
        described = await schedule.describe()
        assert described.schedule.spec.time_zone_name == "Asia/Jakarta"
        await schedule.trigger()  # HR's "run it once now"; otherwise 2 January, 08.00 WIB

        launcher = client.get_workflow_handle(await _fired(schedule))
        started = (await launcher.describe()).start_time
        cycle_id = f"{started.year}-{scenario.INSTANSI}"
        handle = temporal_client.cycle_handle(client, cycle_id)

        async def enrolled() -> CycleState | None:
            try:
                state: CycleState = await handle.query(CycleWorkflow.state)
            except RPCError:
                return None  # not started yet
            return state if state.phase is not CyclePhase.ENROLLING else None

        state = await scenario.eventually(enrolled, timeout=30, what="the scheduled cycle to enrol")
        assert state.period == started.year
        assert state.enrolled == 6 and [s.nip for s in state.skipped] == [scenario.KEPALA]  # no penilai for the head
        assert await launcher.result() == cycle_id
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING  # outlives the launcher
    finally:
        await schedule.delete()
        with contextlib.suppress(RPCError, NameError):
            await handle.terminate("test finished")
            for nip in (scenario.KABID, scenario.KASI, scenario.KASI_BARU, scenario.STAFF, scenario.PENGAWAS,
                        scenario.PENGELOLA):  # fmt: skip
                await temporal_client.appraisal_handle(client, cycle_id, nip).terminate("test finished")


async def test_the_nightly_upkeep_takes_an_appraisal_ended_by_hand_out_of_the_lists(
    dev_env: WorkflowEnvironment, dev_task_queue: str, dev_start: Starter, office: Office, cycle_id: str
) -> None:
    client = dev_env.client
    kept = await dev_start()
    other = scenario.appraisal_input(f"{cycle_id}-lain", await dev_env.get_current_time())
    worklist.enrol(office.uow_factory, [other])
    ended = await temporal_client.start_appraisal(client, other, task_queue=dev_task_queue)
    await ended.terminate("pegawai pensiun: penilaian tidak dilanjutkan")  # an operator, in the Web UI or the CLI
    with office.uow_factory() as uow:
        assert uow.worklist.get(ended.id) is not None  # nothing of the appraisal closes its entry

    schedule = await temporal_client.schedule_worklist_upkeep(
        client, WorklistUpkeep(budget_minutes=5), task_queue=dev_task_queue, hour=2, utc_offset_hours=9
    )
    try:
        described = await schedule.describe()
        assert described.schedule.spec.time_zone_name == "Asia/Jayapura"  # 02.00 WIT
        await schedule.trigger()
        upkeep = client.get_workflow_handle(await _fired(schedule), result_type=WorklistUpkept)
        assert await upkeep.result() == WorklistUpkept(removed=1, unchecked=0, complete=True)
        with office.uow_factory() as uow:
            assert uow.worklist.get(ended.id) is None
            assert uow.worklist.get(kept.id) is not None
    finally:
        await schedule.delete()


async def test_a_night_that_runs_out_of_time_leaves_the_rest_to_the_next(
    dev_env: WorkflowEnvironment, dev_task_queue: str, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each night checks from where the last one stopped (its last completion result), not from the first entry."""
    monkeypatch.setattr(worklist_sync, "PAGE", 1)  # a page per entry, and every page outlasts the budget below
    gone = scenario.entries_of_gone_appraisals(office.uow_factory, 3)
    schedule = await temporal_client.schedule_worklist_upkeep(
        dev_env.client,
        WorklistUpkeep(budget_minutes=1e-9),
        task_queue=dev_task_queue,
        hour=2,
        utc_offset_hours=7,
    )
    try:
        nights = []
        for night in (1, 2):
            await schedule.trigger()
            run = dev_env.client.get_workflow_handle(await _fired(schedule, night), result_type=WorklistUpkept)
            nights.append(await run.result())
        assert nights == [
            WorklistUpkept(removed=1, unchecked=0, complete=False, began_after=None, resume_after=gone[0]),
            WorklistUpkept(removed=1, unchecked=0, complete=False, began_after=gone[0], resume_after=gone[1]),
        ]
        with office.uow_factory() as uow:
            assert [uow.worklist.get(workflow_id) is None for workflow_id in gone] == [True, True, False]
    finally:
        await schedule.delete()


async def _fired(schedule: ScheduleHandle, actions: int = 1) -> str:
    """The id of the workflow the schedule started last, once it has started `actions`: <the action's workflow id>-<fire
    time>."""

    async def launched() -> str | None:
        recent = (await schedule.describe()).info.recent_actions
        action = recent[-1].action if len(recent) >= actions else None
        return action.workflow_id if isinstance(action, ScheduleActionExecutionStartWorkflow) else None

    return await scenario.eventually(launched, what="the schedule to fire")
