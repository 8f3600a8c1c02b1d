"""What changes for an appraisal during the year without its people acting, sent by its cycle (a base of
workflows/appraisal.py, on workflows/appraisal_children.py):

- the cycle's officials (domain.officials): the `apply_officials` Update has the appraisal take up the supervision team
  and pengelola kinerja the admin kepegawaian recorded (services.officials_record);
- the cycle's deadlines, counted again when the instansi's working days changed (issue 20, domain.calendar.recount):
  the `apply_calendar` Update has it take up the deadlines recorded (services.calendar_record). Later steps are due
  by the new deadlines; the current step's deadline moves with them unless an extension set it, or it has passed
  (recount keeps a deadline reached); its reminders already due count as sent, and whoever must act is told.

Each reads the change from the database (a local activity), whoever sent the Update, so a forged one can only apply
what the admin kepegawaian recorded; each is recorded as a step (the audit entry and the worklist entry with it). Both
are Updates only the cycle sends, so runs that never received one replay as they ran.

Workflow code: imported through the sandbox's passthrough; no I/O, wall clock or randomness here. No `from __future__
import annotations`: workflow.defn reads the Updates' type hints for every appraisal the sandbox creates, and objects
are read where strings would be evaluated each time (see workflows/appraisal.py).
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

from activities.appraisal import AppraisalActivities
from domain.errors import DomainError
from domain.stages import Role, Step
from workflows.appraisal_base import ACTIVITY_TIMEOUT, CHANGE_CALENDAR, RECORD_RETRY, update_failed
from workflows.appraisal_children import AppraisalChildren
from workflows.calendar_contracts import ApplyCalendar, CycleCalendarRequest, RecordedCalendar
from workflows.changes import Change
from workflows.contracts import ApplyOfficials, AppraisalSummary, CycleOfficials, RecordedOfficials
from workflows.rejections import rejection

CHANGE_OFFICIALS = "change_officials"
R = TypeVar("R")
T = TypeVar("T")
# Windows counted from an event, in calendar days (PP 30/2019 Pasal 59): no working day moves them.
_WINDOWS = frozenset({Step.OBJECTION_WINDOW, Step.OBJECTION_REVIEW})


class AppraisalChanges(AppraisalChildren):
    # --- the cycle's officials, changed during the year (domain.officials) -----------------------------------------

    @workflow.update
    async def apply_officials(self, cmd: ApplyOfficials) -> AppraisalSummary:
        recorded = await self._recorded_officials()
        async with self._lock:
            s = self._s
            self._refuse_when_closed("pejabatnya")  # again: it may have ended since the validator ran
            new = recorded.officials
            if recorded.version <= s.officials_version:
                return self._reply()  # taken up already (a retried push), or a later change was
            if (new.supervision_team, new.pengelola_kinerja) == (
                self._people(Role.PENGAWASAN),
                self._people(Role.PENGELOLA_KINERJA),
            ):
                # Only the pimpinan changed, or the appraisal started with these lists: nothing it checks changes.
                s.officials, s.officials_version = new, recorded.version
                return self._reply()
            await self._record(self._officials_change(recorded))
        return self._reply()

    @apply_officials.validator
    def _check_apply_officials(self, cmd: ApplyOfficials) -> None:
        self._refuse_when_closed("pejabatnya")

    async def _recorded_officials(self) -> RecordedOfficials:
        """The cycle's officials as the database holds them (services.officials_record): whoever sent the Update,
        only what the admin kepegawaian recorded is taken up."""
        request = CycleOfficials(cycle_id=self._s.cycle_id)
        return await self._read(AppraisalActivities.cycle_officials, request, "pejabat siklus")

    def _officials_change(self, recorded: RecordedOfficials) -> Change:
        """The step that has this appraisal take up the cycle's new officials: recorded with who changed them and why,
        and the worklist entry as they leave it (the pengelola kinerja wait on calibration); nobody is told."""
        s, new = self._s, recorded.officials

        def apply() -> None:
            s.officials, s.officials_version = new, recorded.version
            s.assignees = self._assignees_for(s.step)
            self._sync_search_attributes()

        return Change(
            action=CHANGE_OFFICIALS,
            to=s.step,
            actor=recorded.changed_by,
            role=Role.ADMIN_KEPEGAWAIAN,
            reason=recorded.reason,
            after={
                "version": recorded.version,
                "supervision_team": list(new.supervision_team),
                "pengelola_kinerja": list(new.pengelola_kinerja),
            },
            apply=apply,
            notify=[],
            officials=new,
        )

    # --- the cycle's deadlines, counted again on new working days (domain.calendar.recount) ----------------------

    @workflow.update
    async def apply_calendar(self, cmd: ApplyCalendar) -> AppraisalSummary:
        recorded = await self._recorded_calendar()
        async with self._lock:
            self._refuse_when_closed("batas waktunya")  # again: it may have ended since the validator ran
            if recorded.version <= self._s.calendar_version or recorded.deadlines == self._deadlines():
                return self._reply()  # taken up already (a retried push), or a later change was
            await self._record(self._calendar_change(recorded, workflow.now()))
        return self._reply()

    @apply_calendar.validator
    def _check_apply_calendar(self, cmd: ApplyCalendar) -> None:
        self._refuse_when_closed("batas waktunya")

    async def _recorded_calendar(self) -> RecordedCalendar:
        """The cycle's deadlines as the database holds them (services.calendar_record), as for the officials."""
        request = CycleCalendarRequest(cycle_id=self._s.cycle_id)
        return await self._read(AppraisalActivities.cycle_calendar, request, "kalender siklus")

    # --- shared ----------------------------------------------------------------------------------------------------

    def _refuse_when_closed(self, what: str) -> None:
        if self._s.step.closed:
            raise rejection(DomainError(f"penilaian sudah selesai; {what} tidak diubah lagi", field="tahap"))

    async def _read(self, read: Callable[[AppraisalActivities, R], Awaitable[T]], request: R, what: str) -> T:
        """What the cycle recorded, read from the database (a local activity); the Update fails when it cannot be."""
        try:
            return await workflow.execute_local_activity_method(
                read, request, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RECORD_RETRY
            )
        except ActivityError as error:
            raise update_failed(f"{what} tidak dapat dibaca", error) from None

    def _calendar_change(self, recorded: RecordedCalendar, now: datetime) -> Change:
        """The step that has this appraisal take up the cycle's new deadlines: its current deadline too where it came
        from the calendar and has not passed; recorded with who had them counted again and why."""
        s, new = self._s, recorded.deadlines
        current = s.deadline
        moved_to = None
        if current is not None and current > now and s.step not in _WINDOWS and not s.deadline_extended:
            calendar_before = self._deadline_for(s.step, s.step_entered_at, s.skp_returns)
            calendar_after = self._deadline_for(s.step, s.step_entered_at, s.skp_returns, new)
            # (An extension recorded before the flag existed is told apart by its instant.)
            if current == calendar_before and calendar_after is not None and calendar_after != current:
                moved_to = calendar_after if calendar_after > now else None

        def apply() -> None:
            s.deadlines, s.calendar_version = new, recorded.version
            if moved_to is not None:
                s.deadline = moved_to
                self._sync_search_attributes()
            if s.deadline is not None and s.deadline_set_at is not None and s.step is not Step.OBJECTION_WINDOW:
                # The reminders are planned on the new working days (and deadline): those due by now count as sent,
                # so nobody gets one twice and the plan's count points at the right one.
                s.checkpoints_done = len([point for point in self._checkpoints() if point.at <= now])
            self._wake += 1

        after: dict[str, object] = {"version": recorded.version, "moved": [m.field for m in recorded.moved]}
        if moved_to is not None and current is not None:
            after |= {"deadline_before": current.isoformat(), "deadline": moved_to.isoformat()}
        return Change(
            action=CHANGE_CALENDAR,
            to=s.step,
            actor=recorded.changed_by,
            role=Role.ADMIN_KEPEGAWAIAN,
            reason=recorded.reason,
            after=after,
            apply=apply,
            notify=list(s.assignees) if moved_to is not None else [],
            notice_deadline=moved_to,
        )
