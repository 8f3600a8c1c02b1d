"""The cycle workflow's base (workflows/cycle.py): what its handlers share — the activities' timeouts and retries,
the officials and deadlines as they stand now, how a failed activity fails an Update — and what changes for a running
cycle during the year without its phases moving on:

- its officials (domain.officials): the admin kepegawaian's `change_officials` is recorded, pages enrolled from then on
  start with the new lists, and a heartbeating activity has every running appraisal take them up;
- its deadlines, counted again when the instansi's working days change (domain.calendar.recount): `change_calendar`
  is recorded the same way, every running appraisal takes them up (workflows/appraisal_changes.py), and the cycle's
  own timers follow them (`_deadlines`).

Workflow code: imported through the sandbox's passthrough; no I/O, wall clock or randomness here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from activities.cycle import CycleActivities
from domain.bounds import check_text
from domain.calendar import Deadlines
from domain.errors import DomainError
from domain.officials import CHANGED_BY, Officials, changes, check_change
from workflows.calendar_contracts import CalendarChanged, ChangeCalendar, PushCalendar, RecordCalendar
from workflows.cycle_contracts import (
    ChangeOfficials,
    CycleInput,
    CyclePhase,
    CycleRef,
    CycleState,
    OfficialsChanged,
    PushOfficials,
    RecordOfficials,
    cycle_workflow_id,
)
from workflows.rejections import rejection

SHORT = timedelta(minutes=5)
LONG = timedelta(hours=2)  # enrolment of one page, the push of a whole cycle: long, but heartbeating
HEARTBEAT = timedelta(minutes=1)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["DomainError", "NotFound", "ValidationError"],
)
# Nobody waits on a notice: keep trying until the database is back.
NOTICE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10))
# A person waits on an update: a few quick tries, then the update fails with the reason.
UPDATE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=5,
    non_retryable_error_types=["DomainError", "NotFound", "ValidationError", "ConcurrencyConflict"],
)


class CycleBase:
    """What the cycle's handlers share; CycleWorkflow sets these attributes in its constructor."""

    _input: CycleInput
    _s: CycleState
    _officials_lock: asyncio.Lock  # one change (of officials, of the calendar) at a time, recorded and pushed in order
    _page_in_flight: bool  # a page of enrolment is being planned with the current lists and deadlines
    _changing_officials: bool  # a change is being recorded: no page starts meanwhile

    def _officials(self) -> Officials:
        """Who holds the cycle's roles now: as last changed, else as the cycle started."""
        if self._s.officials is not None:
            return self._s.officials
        input = self._input
        return Officials(
            supervision_team=input.supervision_team, pengelola_kinerja=input.pengelola_kinerja, pimpinan=input.pimpinan
        )

    def _ref(self) -> CycleRef:
        return CycleRef(
            cycle_id=self._input.cycle_id, instansi_code=self._input.instansi_code, period=self._input.period
        )

    def _deadlines(self) -> Deadlines:
        """The cycle's deadlines: as last counted again on new working days, else as it started with them."""
        return self._s.deadlines if self._s.deadlines is not None else self._input.deadlines

    def _calendar_changed_since(self, seen: int) -> Callable[[], bool]:
        return lambda: self._s.calendar_version != seen

    # --- officials who change during the year (domain.officials) --------------------------------------------------

    @workflow.update
    async def change_officials(self, cmd: ChangeOfficials) -> OfficialsChanged:
        async with self._officials_lock:
            await workflow.wait_condition(lambda: not self._page_in_flight)
            before = self._officials()
            try:
                check_change(cmd.actor.role, before, cmd.officials)  # again: a change before this one was waited on
            except DomainError as error:
                raise rejection(error) from None
            version = self._s.officials_version + 1
            update = workflow.current_update_info()
            run = f"{cycle_workflow_id(self._input.cycle_id)}/{workflow.info().run_id}"
            key = f"{run}/{update.id if update else version}-officials"
            self._changing_officials = True
            try:
                await workflow.execute_activity_method(
                    CycleActivities.record_officials,
                    RecordOfficials(
                        **self._ref().model_dump(),
                        version=version,
                        officials=cmd.officials,
                        before=before,
                        actor=cmd.actor.nip,
                        reason=cmd.reason.strip() or None,
                        key=key,
                        occurred_at=workflow.now(),
                    ),
                    start_to_close_timeout=SHORT,
                    retry_policy=UPDATE_RETRY,
                )
                self._s.officials, self._s.officials_version = cmd.officials, version
            except ActivityError as error:
                raise failed(error, "perubahan pejabat siklus") from None
            finally:
                self._changing_officials = False
            # Every running appraisal takes the change up; nobody is told (the audit entry says who changed what).
            pushed = await workflow.execute_activity_method(
                CycleActivities.push_officials,
                PushOfficials(**self._ref().model_dump(), version=version),
                start_to_close_timeout=LONG,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=RETRY,
            )
        workflow.logger.info("officials changed", extra={"version": version, "appraisals": pushed})
        return OfficialsChanged(
            version=version, officials=cmd.officials, changes=changes(before, cmd.officials), appraisals=pushed
        )

    @change_officials.validator
    def _check_officials(self, cmd: ChangeOfficials) -> None:
        try:
            if self._s.phase is CyclePhase.CLOSED:
                raise DomainError("siklus sudah selesai; pejabatnya tidak diubah lagi", field="tahap")
            check_change(cmd.actor.role, self._officials(), cmd.officials)
            check_text(cmd.reason, "alasan")
        except (DomainError, ValidationError) as error:
            raise rejection(error) from None

    # --- the calendar, counted again on new working days (domain.calendar.recount) ----------------------------------

    @workflow.update
    async def change_calendar(self, cmd: ChangeCalendar) -> CalendarChanged:
        async with self._officials_lock:  # one change at a time, recorded and pushed in order
            await workflow.wait_condition(lambda: not self._page_in_flight)
            if self._s.phase is CyclePhase.CLOSED:  # again: it may have closed while this waited its turn
                raise rejection(DomainError("siklus sudah selesai; kalendernya tidak dihitung ulang", field="tahap"))
            before, version = self._deadlines(), self._s.calendar_version + 1
            update = workflow.current_update_info()
            run = f"{cycle_workflow_id(self._input.cycle_id)}/{workflow.info().run_id}"
            self._changing_officials = True  # no page starts appraisals with the deadlines being replaced
            try:
                recorded = await workflow.execute_activity_method(
                    CycleActivities.record_calendar_change,
                    RecordCalendar(
                        **self._ref().model_dump(),
                        version=version,
                        calendar=self._input.calendar,
                        before=before,
                        actor=cmd.actor.nip,
                        reason=cmd.reason.strip() or None,
                        key=f"{run}/{update.id if update else version}-calendar",
                        occurred_at=workflow.now(),
                    ),
                    start_to_close_timeout=SHORT,
                    retry_policy=UPDATE_RETRY,
                )
                self._s.deadlines, self._s.calendar_version = recorded.deadlines, version
                if self._s.phase is CyclePhase.CALIBRATING:
                    self._s.calibration_due = recorded.deadlines.calibration_due
            except ActivityError as error:
                raise failed(error, "penghitungan ulang kalender siklus") from None
            finally:
                self._changing_officials = False
            pushed = 0
            if recorded.deadlines != before:  # every running appraisal takes the new deadlines up
                pushed = await workflow.execute_activity_method(
                    CycleActivities.push_calendar,
                    PushCalendar(**self._ref().model_dump(), version=version),
                    start_to_close_timeout=LONG,
                    heartbeat_timeout=HEARTBEAT,
                    retry_policy=RETRY,
                )
        workflow.logger.info("calendar changed", extra={"version": version, "appraisals": pushed})
        return CalendarChanged(version=version, moved=recorded.moved, kept=recorded.kept, appraisals=pushed)

    @change_calendar.validator
    def _check_calendar(self, cmd: ChangeCalendar) -> None:
        try:
            if cmd.actor.role is not CHANGED_BY:
                raise DomainError(f"kalender siklus dihitung ulang oleh {CHANGED_BY.label}", field="peran")
            if self._s.phase is CyclePhase.CLOSED:
                raise DomainError("siklus sudah selesai; kalendernya tidak dihitung ulang", field="tahap")
            check_text(cmd.reason, "alasan")
        except (DomainError, ValidationError) as error:
            raise rejection(error) from None


def failed(error: ActivityError, what: str = "kalibrasi") -> ApplicationError:
    """The update fails with the activity's own reason (the calibration, or the officials, stay as they were)."""
    cause = error.cause if isinstance(error.cause, ApplicationError) else None
    if cause is None:  # a timeout or the like: not the person's fault, and worth another try
        return ApplicationError(
            f"{what} tidak dapat diproses sekarang (layanan sibuk atau tidak terjangkau); coba lagi sebentar",
            type="CalibrationUnavailable" if what == "kalibrasi" else "ServiceUnavailable",
            non_retryable=True,
        )
    return ApplicationError(cause.message, type=cause.type, non_retryable=True)
