"""What the nightly worklist schedule runs: one pass over the open worklist entries of every cycle.

    kinerja sinkron-worklist --jadwal --jam 2

An appraisal an operator terminates (a civil servant who moved to another instansi, retired or died) keeps an open
entry in the task lists that no step of it will close; this run removes it the night after
(activities.cycle.CycleActivities.upkeep_worklist). A run stopped at its budget returns where it stopped, and the
schedule hands that to the next night's run as its last completion result, so a long list is covered over nights
instead of its first part every night.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.cycle import CycleActivities
    from workflows.cycle_contracts import UpkeepRun, WorklistUpkeep, WorklistUpkept

UPKEEP_WORKFLOW_NAME = "WorklistUpkeep"
# Beyond the budget: the page under way when it ran out.
SLACK = timedelta(minutes=10)


@workflow.defn(name=UPKEEP_WORKFLOW_NAME)
class WorklistUpkeepWorkflow:
    @workflow.run
    async def run(self, upkeep: WorklistUpkeep) -> WorklistUpkept:
        return await workflow.execute_activity_method(
            CycleActivities.upkeep_worklist,
            UpkeepRun(upkeep=upkeep, after=_resume_after()),
            start_to_close_timeout=timedelta(minutes=upkeep.budget_minutes) + SLACK,
            heartbeat_timeout=timedelta(minutes=1),
            # A night's run that cannot reach Temporal or the database gives up after a few tries: the next night's
            # goes on from where the last completed run stopped.
            retry_policy=RetryPolicy(maximum_attempts=3),
        )


def _resume_after() -> str | None:
    """Where the last completed night stopped. Read as plain JSON, not as WorklistUpkept: a result stored by an
    earlier version that no longer decodes must cost one pass from the first entry, not every night's run."""
    if not workflow.has_last_completion_result():
        return None
    last: Any = workflow.get_last_completion_result()
    after = last.get("resume_after") if isinstance(last, dict) else None
    return after if isinstance(after, str) else None
