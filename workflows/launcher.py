"""What a yearly Temporal Schedule runs: work out the period from when it fires, prepare the cycle's input under the
instansi's policy of that moment, and start the cycle workflow (which outlives this one).

    kinerja siklus jadwal --instansi DUKCAPIL-JPR --tim-pengawasan ... --pimpinan ... --bulan 1 --tanggal 2

A second firing in the same year finds the cycle already started and leaves it alone.
"""

from __future__ import annotations

from datetime import timedelta, timezone

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.cycle import CycleActivities
    from workflows.cycle import CycleWorkflow
    from workflows.cycle_contracts import CycleTemplate, PrepareCycle, cycle_workflow_id

LAUNCHER_WORKFLOW_NAME = "AppraisalCycleLauncher"


@workflow.defn(name=LAUNCHER_WORKFLOW_NAME)
class CycleLauncherWorkflow:
    @workflow.run
    async def run(self, template: CycleTemplate) -> str:
        zone = timezone(timedelta(hours=template.calendar.utc_offset_hours))
        period = workflow.now().astimezone(zone).year
        input = await workflow.execute_activity_method(
            CycleActivities.prepare,
            PrepareCycle(template=template, period=period),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(
                maximum_interval=timedelta(minutes=10), non_retryable_error_types=["DomainError", "NotFound"]
            ),
        )
        try:
            await workflow.start_child_workflow(
                CycleWorkflow.run,
                input,
                id=cycle_workflow_id(input.cycle_id),
                parent_close_policy=ParentClosePolicy.ABANDON,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("cycle already started", extra={"cycle_id": input.cycle_id})
        return input.cycle_id
