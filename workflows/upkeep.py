"""What the daily worklist schedule runs: one check of every open worklist entry against Temporal.

    kinerja sinkron-worklist --jadwal --jam 2

An appraisal an operator terminates (a civil servant who moved to another instansi, retired or died) keeps an open
entry in the task lists that no step of it will close; this run removes it the night after, and gives running
appraisals from before 0.4 an entry (activities.cycle.CycleActivities.upkeep_worklist).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.cycle import CycleActivities
    from workflows.cycle_contracts import WorklistUpkeep, WorklistUpkept

UPKEEP_WORKFLOW_NAME = "WorklistUpkeep"
# The budget, and time to finish the page under way and to fill from visibility after it.
SLACK = timedelta(minutes=10)


@workflow.defn(name=UPKEEP_WORKFLOW_NAME)
class WorklistUpkeepWorkflow:
    @workflow.run
    async def run(self, request: WorklistUpkeep) -> WorklistUpkept:
        return await workflow.execute_activity_method(
            CycleActivities.upkeep_worklist,
            request,
            start_to_close_timeout=timedelta(minutes=request.budget_minutes) + SLACK,
            heartbeat_timeout=timedelta(minutes=1),
            # A day's run that cannot reach Temporal or the database gives up after a few tries: the next day's
            # schedule runs it again.
            retry_policy=RetryPolicy(maximum_attempts=3, non_retryable_error_types=["DomainError"]),
        )
