"""The Kinerja worker (worker.main, its settings from the environment as ever) that kills itself with SIGKILL right
after a step has been written to the database and logged ("appraisal step recorded"), before the activity tells
Temporal it completed: the narrow window where the step is in the database and the workflow has not yet taken it.

    KINERJA_FAULT_KILL_AFTER=submit_skp python -m tests.faults.killed_worker

Test-only: it lives under tests/, production's worker.py has no such hook, and nothing in the settings can turn it
on. It kills itself once, at the first step with that action that this process writes.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys

import worker
from activities.appraisal import AppraisalActivities
from workflows.contracts import RecordStep, RecordStepResult

KILL_AFTER = "KINERJA_FAULT_KILL_AFTER"
KILLING = "fault: killing the worker"  # printed on stderr just before the kill


class KilledAfterRecording(AppraisalActivities):
    def __init__(self, real: AppraisalActivities, action: str) -> None:
        super().__init__(real._uow_factory)
        self._action = action

    def record_step_sync(self, step: RecordStep) -> RecordStepResult:
        result = super().record_step_sync(step)
        if step.action == self._action and result.newly_recorded:
            for handler in logging.getLogger().handlers:
                handler.flush()
            sys.stderr.write(json.dumps({"event": KILLING, "key": step.idempotency_key}) + "\n")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return result


def main() -> None:
    action = os.environ[KILL_AFTER]
    build = worker.build_activities
    worker.build_activities = lambda engine: KilledAfterRecording(build(engine), action)
    worker.main()


if __name__ == "__main__":
    main()
