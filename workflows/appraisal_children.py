"""The workflows an appraisal starts beside it (a base of workflows/appraisal.py, on workflows/appraisal_base.py):
its periodic evaluation once the SKP is approved (workflows/periodic.py), and the employee's development plan when
it ends with a predicate the policy lists for follow-up (workflows/development_plan.py). Both are children it
abandons: they live through its continue-as-new, and the plan outlives it. Each start is guarded by its
`workflow.patched` id, so an appraisal started before it replays as it ran.

Workflow code: imported through the sandbox's passthrough; no I/O, wall clock or randomness here.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.periods import windows
from domain.stages import Role, Step
from domain.workdays import zone_of
from workflows.appraisal_base import AppraisalBase
from workflows.period_contracts import (
    REASSIGN,
    SKP_CHANGED,
    STOP,
    YEAR_CHANGED,
    PeriodicInput,
    PeriodIndicators,
    PeriodReviewers,
    PeriodYear,
    periodic_workflow_id,
)
from workflows.period_contracts import WORKFLOW_NAME as PERIODIC_WORKFLOW
from workflows.plan_contracts import WORKFLOW_NAME as PLAN_WORKFLOW
from workflows.plan_contracts import DevelopmentPlanInput, plan_workflow_id

# workflow.patched ids (issue 20)
DEVELOPMENT_PLAN = "development-plan"  # a final predicate the policy's follow_up lists opens a development plan
PERIODIC_EVALUATION = "periodic-evaluation"  # an approved SKP opens the periods ending after it
PERIODIC_REASSIGN = "periodic-reassign"  # a reassignment reaches the periodic evaluation
PERIODIC_FOLLOWS_YEAR = "periodic-follows-year"  # ... and so do the cycle's recounted working days and new officials


class AppraisalChildren(AppraisalBase):
    def _periodic_input(self) -> PeriodicInput | None:
        """The periodic evaluation to start now that the SKP is approved: the periods that end after now (a period
        that ended before the SKP was approved has nothing to evaluate); None when there are none."""
        s, policy, deadlines = self._s, self._input.policy, self._deadlines()
        zone = zone_of(deadlines.utc_offset_hours)
        now = workflow.now()

        planned = windows(s.period, policy.periods.kind, deadlines.period_ends or (), zone)
        ahead = [window for window in planned if window.end(zone) > now]
        if not ahead or s.skp is None:
            return None
        return PeriodicInput(
            appraisal_workflow_id=s.workflow_id,
            cycle_id=s.cycle_id,
            instansi_code=s.instansi_code,
            unit_code=s.unit_code,
            employee_nip=s.employee_nip,
            employee_name=s.employee_name,
            penilai_nip=s.penilai_nip,
            atasan_nip=s.atasan_nip,
            superiors=self._input.superiors,
            supervision_team=self._people(Role.PENGAWASAN),
            windows=ahead,
            indicator_ids=[indicator.id for rhk in s.skp.rhk for indicator in rhk.indicators],
            periods=policy.periods,
            escalation=policy.escalation,
            workdays=deadlines.workdays,
            utc_offset_hours=deadlines.utc_offset_hours,
        )

    async def _open_periodic(self) -> None:
        """Once the SKP is approved: start the periodic evaluation, if there are periods ahead (decided once)."""
        s = self._s
        if s.periodic_decided or s.step is not Step.SELF_ASSESSMENT:
            return
        s.periodic_decided = True
        found = self._periodic_input()
        if found is None or not workflow.patched(PERIODIC_EVALUATION):
            return
        try:
            await workflow.start_child_workflow(
                PERIODIC_WORKFLOW,
                found,
                id=periodic_workflow_id(s.cycle_id, s.employee_nip),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("periodic evaluation already started", extra={"cycle_id": s.cycle_id})
        s.periodic_started = True
        # What was sent, not what the state holds now: a reassignment during the start is then followed.
        s.periodic_reviewers = [found.penilai_nip, found.atasan_nip]
        # It starts on the working days and with the supervision team as they stand: nothing of before to tell it.
        s.periodic_calendar_version, s.periodic_team = s.calendar_version, list(found.supervision_team)

    async def _follow_reassignment(self) -> None:
        """The penilai or atasan was reassigned since the periodic evaluation last heard: tell it."""
        s = self._s
        reviewers = [s.penilai_nip, s.atasan_nip]
        if not s.periodic_started or s.step.closed or s.periodic_reviewers in (None, reviewers):
            return
        if not workflow.patched(PERIODIC_REASSIGN):
            return
        s.periodic_reviewers = reviewers
        handle = workflow.get_external_workflow_handle(periodic_workflow_id(s.cycle_id, s.employee_nip))
        try:
            await handle.signal(REASSIGN, PeriodReviewers(penilai_nip=s.penilai_nip, atasan_nip=s.atasan_nip))
        except Exception as error:  # it ended already (its last period done): nothing to move
            workflow.logger.info("periodic evaluation not reassigned", extra={"error": type(error).__name__})

    async def _follow_skp_change(self) -> None:
        """A change of the SKP was approved since the periodic evaluation last heard: tell it every version's
        indicators (domain.skp_versions). Only runs that took a change send it: older ones replay as they ran."""
        s = self._s
        if not s.periodic_started or s.step.closed or s.periodic_skp_versions == len(s.skp_versions):
            return
        s.periodic_skp_versions = len(s.skp_versions)
        skp, _ = self._year_skp()
        indicators = PeriodIndicators(indicator_ids=[i.id for rhk in skp.rhk for i in rhk.indicators])
        handle = workflow.get_external_workflow_handle(periodic_workflow_id(s.cycle_id, s.employee_nip))
        try:
            await handle.signal(SKP_CHANGED, indicators)
        except Exception as error:  # it ended already (its last period done): nothing to tell
            workflow.logger.info("periodic SKP change not sent", extra={"error": type(error).__name__})

    async def _follow_year(self) -> None:
        """The appraisal took up its cycle's recounted working days or new officials since the periodic evaluation
        last heard (workflows.appraisal_changes): tell it, so its open period's deadline and escalations follow."""
        s = self._s
        team = self._people(Role.PENGAWASAN)
        recounted = s.periodic_calendar_version != s.calendar_version
        officials = team != (s.periodic_team if s.periodic_team is not None else self._input.supervision_team)
        if not s.periodic_started or s.step.closed or not (recounted or officials):
            return
        # One id per state of the year told: a change a run took before this code replays as it ran (nothing sent),
        # and the next change, under its own id, tells the evaluation everything it has not heard yet.
        if not workflow.patched(f"{PERIODIC_FOLLOWS_YEAR}-{s.calendar_version}-{s.officials_version}"):
            return
        s.periodic_calendar_version, s.periodic_team = s.calendar_version, team
        change = PeriodYear(
            recounted=recounted,
            workdays=self._deadlines().workdays if recounted else None,
            supervision_team=team if officials else None,
        )
        handle = workflow.get_external_workflow_handle(periodic_workflow_id(s.cycle_id, s.employee_nip))
        try:
            await handle.signal(YEAR_CHANGED, change)
        except Exception as error:  # it ended already (its last period done): nothing to tell
            workflow.logger.info("periodic year change not sent", extra={"error": type(error).__name__})

    async def _stop_periodic(self) -> None:
        """The appraisal closed (withdrawn, or final): its periodic evaluation evaluates no further period."""
        s = self._s
        if not s.periodic_started or not s.step.closed:
            return
        handle = workflow.get_external_workflow_handle(periodic_workflow_id(s.cycle_id, s.employee_nip))
        try:
            await handle.signal(STOP, f"penilaian {s.step.label.lower()}")
        except Exception as error:  # it ended already (its last period done): nothing to stop
            workflow.logger.info("periodic evaluation not stopped", extra={"error": type(error).__name__})

    async def _open_development_plan(self) -> None:
        """Start the employee's development plan if the final predicate calls for one; the plan outlives the
        appraisal: the year's result is final without it. Once per appraisal."""
        s, policy, deadlines = self._s, self._input.policy, self._deadlines()
        if s.step is not Step.FINAL or s.predicate not in policy.follow_up.predicates:
            return
        if not workflow.patched(DEVELOPMENT_PLAN):
            return
        assert s.predicate is not None
        try:
            await workflow.start_child_workflow(
                PLAN_WORKFLOW,
                DevelopmentPlanInput(
                    appraisal_workflow_id=s.workflow_id,
                    cycle_id=s.cycle_id,
                    instansi_code=s.instansi_code,
                    period=s.period,
                    unit_code=s.unit_code,
                    employee_nip=s.employee_nip,
                    employee_name=s.employee_name,
                    penilai_nip=s.penilai_nip,
                    atasan_nip=s.atasan_nip,
                    superiors=self._input.superiors,
                    supervision_team=self._people(Role.PENGAWASAN),
                    predicate=s.predicate,
                    follow_up=policy.follow_up,
                    escalation=policy.escalation,
                    workdays=deadlines.workdays,
                    utc_offset_hours=deadlines.utc_offset_hours,
                ),
                id=plan_workflow_id(s.cycle_id, s.employee_nip),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("development plan already started", extra={"cycle_id": s.cycle_id})
