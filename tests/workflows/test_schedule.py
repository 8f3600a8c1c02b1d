"""The yearly Temporal Schedule on the dev server: when it fires, the launcher prepares the period's cycle under the
instansi's policy and starts the cycle workflow, which enrols the office."""

from __future__ import annotations

import contextlib

from temporalio.client import ScheduleActionExecutionStartWorkflow, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

import temporal_client
from tests.workflows import scenario
from tests.workflows.conftest import Office
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CyclePhase, CycleState, CycleTemplate


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

        async def launched() -> str | None:  # the schedule names its run: <workflow id>-<fire time>
            recent = (await schedule.describe()).info.recent_actions
            action = recent[-1].action if recent else None
            return action.workflow_id if isinstance(action, ScheduleActionExecutionStartWorkflow) else None

        launcher = client.get_workflow_handle(await scenario.eventually(launched, what="the schedule to fire"))
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
