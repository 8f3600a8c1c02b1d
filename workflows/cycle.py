"""One appraisal cycle of an instansi and period, started by HR: enrolment, the citizen-feedback window, calibration,
sign-off and the closing report. Each employee's appraisal is its own workflow (workflows/appraisal.py).

Scale: the cycle never holds per-employee data and never sends per-employee commands. Enrolment goes page by page
through an activity that starts the appraisals (at most `batch_size` per activity, a handful of events per page),
and the calibration result goes out from one heartbeating activity. The history therefore grows with the number of
pages, not of employees — about 6 events per page, i.e. ~1,200 events for 100,000 employees at the default page of
500 — and the cycle continues as new whenever the server suggests it (or above `history_limit`), carrying its state.

Phases, on the cycle's calendar (timers):
    enrolling → running (survey opens/closes: IKM per unit at close) → at review_due: predicates per unit →
    calibrating (Update `set_org_predicate` by the leader; Update `decide_calibration` by the leader or committee:
    locked and pushed to every appraisal) → signing_off (until sign-off and the objection windows end) → closed.

While calibrating, the calibration deadline (`calibration_due`) works like an appraisal step's deadline: the pimpinan
is reminded at the policy's offsets before it, and at it and after every grace it escalates to the supervision team
and the pengelola kinerja (domain.escalation), until the decision is locked; a late decision is still taken. Runs
that reached calibration on the code before this replay without it (CALIBRATION_REMINDERS, a `workflow.patched` id;
the rule for changing running workflows is in workflows/appraisal.py).

The officials (supervision team, pengelola kinerja, pimpinan: domain.officials) are the input's until the admin
kepegawaian changes them (Update `change_officials`): the change is recorded in the audit log, pages enrolled from then
on start with the new lists, and a heartbeating activity has every running appraisal take them up (its Update
`apply_officials` reads them from that record). The calibration checks and notices use the current lists. The
deadlines are the input's until the admin kepegawaian has them counted again on new working days (Update
`change_calendar`), recorded and pushed the same way; the phases' timers and the calibration's reminders follow.
Both Updates, and what the handlers share, are the base class, workflows/cycle_base.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.cycle import CycleActivities
    from domain.assessment import MIN_OVERRIDE_REASON_CHARS
    from domain.calendar import Deadlines
    from domain.calibration import JUSTIFICATION_RULE
    from domain.errors import DomainError
    from domain.escalation import Checkpoint, CheckpointKind, calibration_recipients, checkpoints, last_due
    from domain.policy import DEFAULT_POLICY, EscalationPolicy
    from workflows.contracts import NoticeKind
    from workflows.cycle_base import (
        HEARTBEAT,
        LONG,
        NOTICE_RETRY,
        RETRY,
        SHORT,
        UPDATE_RETRY,
        CycleBase,
        failed,
    )
    from workflows.cycle_contracts import (
        SKIPPED_SHOWN,
        AnchorRequest,
        CalibrationNotice,
        CalibrationState,
        CycleInput,
        CyclePhase,
        CycleState,
        DecideCalibration,
        DecideRequest,
        EnrolBatch,
        ProposeRequest,
        PushRequest,
        ReportRequest,
        SetOrgPredicate,
        SurveyRequest,
        cycle_workflow_id,
    )
    from workflows.rejections import rejection

CYCLE_WORKFLOW_NAME = "AppraisalCycle"
CALIBRATION_REMINDERS = "calibration-reminders"  # workflow.patched id (added after 0.2)
AUDIT_ANCHORS = "audit-anchor"  # workflow.patched id prefix, one per phase (added after 0.6)
CALENDAR_CHANGES = "calendar-changes"  # deprecated patch id: the phases' timers follow a change of the calendar


@workflow.defn(name=CYCLE_WORKFLOW_NAME)
class CycleWorkflow(CycleBase):
    @workflow.init
    def __init__(self, input: CycleInput) -> None:
        self._input = input
        if input.carried is not None:
            self._s = input.carried.model_copy(update={"runs": input.carried.runs + 1})
        else:
            self._s = CycleState(cycle_id=input.cycle_id, instansi_code=input.instansi_code, period=input.period)
        self._busy = False  # one calibration update at a time
        self._officials_lock = asyncio.Lock()  # one change at a time (officials, calendar), in order
        # A page of enrolment and a change never overlap: a page is planned with the current lists and deadlines.
        self._page_in_flight = False
        self._changing_officials = False

    @workflow.run
    async def run(self, input: CycleInput) -> CycleState:
        s = self._s
        if s.phase is CyclePhase.ENROLLING:
            await self._enrol()
            s.phase = CyclePhase.RUNNING
            await self._anchor_audit("pendaftaran selesai")
        if s.phase is CyclePhase.RUNNING:
            await self._sleep_until(lambda: self._deadlines().survey_closes)
            s.survey = await workflow.execute_activity_method(
                CycleActivities.survey,
                SurveyRequest(**self._ref().model_dump(), populations=input.populations),
                start_to_close_timeout=SHORT,
                retry_policy=RETRY,
            )
            s.phase = CyclePhase.SURVEY_CLOSED
            await self._anchor_audit("survei ditutup")
        if s.phase is CyclePhase.SURVEY_CLOSED:
            await self._sleep_until(lambda: self._deadlines().review_due)
            s.predicates = await workflow.execute_activity_method(
                CycleActivities.predicates, self._ref(), start_to_close_timeout=SHORT, retry_policy=RETRY
            )
            s.phase = CyclePhase.CALIBRATING
            await self._anchor_audit("penilaian selesai")
        if s.phase is CyclePhase.CALIBRATING:
            s.calibration_due = self._deadlines().calibration_due
            if workflow.patched(CALIBRATION_REMINDERS):
                await self._remind_until_decided()
            await workflow.wait_condition(self._decided)
            assert s.outcome is not None
            pushed = await workflow.execute_activity_method(
                CycleActivities.push_calibration,
                PushRequest(**self._ref().model_dump(), decided_by=s.outcome.decided_by),
                start_to_close_timeout=LONG,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=RETRY,
            )
            s.outcome = s.outcome.model_copy(update={"pushed": pushed})
            s.phase = CyclePhase.SIGNING_OFF
            await self._anchor_audit("kalibrasi dikunci")
        if s.phase is CyclePhase.SIGNING_OFF:
            # Sign-off, then the 14-day objection window and the atasan's decision on a late objection.
            await self._sleep_until(lambda: _closing(self._deadlines()))
            s.report = await workflow.execute_activity_method(
                CycleActivities.report,
                ReportRequest(
                    **self._ref().model_dump(), populations=input.populations, enrolled=s.enrolled, survey=s.survey
                ),
                start_to_close_timeout=SHORT,
                retry_policy=RETRY,
            )
            s.phase = CyclePhase.CLOSED
            await self._anchor_audit("siklus ditutup")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return s

    async def _anchor_audit(self, label: str) -> None:
        """Keep the audit chains' heads in this history (domain.audit_chain): rewriting the audit log after this
        point, even every hash of a chain, no longer matches. One patch id per phase, so that a run that reached
        an earlier phase on the code before this anchors from its next phase on (see CALIBRATION_REMINDERS)."""
        if not workflow.patched(f"{AUDIT_ANCHORS}-{label.replace(' ', '-')}"):
            return
        anchor = await workflow.execute_activity_method(
            CycleActivities.anchor_audit,
            AnchorRequest(**self._ref().model_dump(), label=label),
            start_to_close_timeout=SHORT,
            retry_policy=RETRY,
        )
        self._s.anchors.append(anchor)

    async def _sleep_until(self, instant: Callable[[], datetime]) -> None:
        """Until `instant()`, following a change of the calendar meanwhile (`change_calendar`). Without a change the
        wait is the one timer the plain sleep before it started, so the runs started then replay as they ran and
        follow a change too; the patch marker of the few runs recorded with it is only deprecated."""
        workflow.deprecate_patch(CALENDAR_CHANGES)
        while (wait := instant() - workflow.now()) > timedelta():
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(self._calendar_changed_since(self._s.calendar_version), timeout=wait)

    async def _enrol(self) -> None:
        s, input = self._s, self._input
        while s.total is None or s.offset < s.total:
            if self._history_too_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(input.model_copy(update={"carried": s}))
            if self._changing_officials:  # (no command: runs without a change replay as they ran)
                await workflow.wait_condition(lambda: not self._changing_officials)
            officials = self._officials()
            self._page_in_flight = True
            try:
                page = await workflow.execute_activity_method(
                    CycleActivities.enrol_batch,
                    EnrolBatch(
                        cycle_id=input.cycle_id,
                        instansi_code=input.instansi_code,
                        period=input.period,
                        deadlines=self._deadlines(),
                        supervision_team=officials.supervision_team,
                        pengelola_kinerja=officials.pengelola_kinerja,
                        offset=s.offset,
                        limit=input.batch_size,
                        task_queue=workflow.info().task_queue,
                        after_nip=s.cursor,
                    ),
                    start_to_close_timeout=LONG,
                    heartbeat_timeout=HEARTBEAT,
                    retry_policy=RETRY,
                )
            finally:
                self._page_in_flight = False
            s.total, s.offset = page.total, page.next_offset
            s.max_history = max(s.max_history, workflow.info().get_current_history_length())
            s.enrolled += page.started
            s.already_closed += page.already_closed
            if not page.paged:  # recorded before pages had a cursor: the first page told the whole cycle's skipped
                s.skipped_whole = True
                if page.skipped_count:
                    s.skipped_count = page.skipped_count
                    s.skipped = page.skipped[:SKIPPED_SHOWN]
                continue
            s.cursor = page.last_nip
            if not s.skipped_whole:  # else they are counted already
                s.skipped_count += page.skipped_count
                s.skipped = [*s.skipped, *page.skipped][:SKIPPED_SHOWN]

    def _history_too_long(self) -> bool:
        info = workflow.info()
        limit = self._input.history_limit
        return info.is_continue_as_new_suggested() or (limit is not None and info.get_current_history_length() >= limit)

    # --- the calibration deadline ----------------------------------------------------------------------------------

    def _decided(self) -> bool:
        return self._s.outcome is not None and not self._busy

    async def _remind_until_decided(self) -> None:
        """Send each reminder and escalation of `calibration_due` as it falls due, until the decision is locked.

        The checkpoints are planned on entering calibration, so reminders already past then are skipped; waking after
        several of them (a worker outage) sends one notice, at the level reached.
        """
        policy: EscalationPolicy = self._input.escalation or DEFAULT_POLICY.escalation
        planned_at, version = workflow.now(), self._s.calendar_version
        points, done = self._calibration_points(policy, planned_at), 0
        while done < len(points):
            due_at = points[done].at
            if await self._decided_before(due_at, version):
                return
            if version != self._s.calendar_version:
                # Counted again (change_calendar): planned anew on the new deadline, what is past by now as sent.
                version = self._s.calendar_version
                points = self._calibration_points(policy, planned_at)
                done = len([point for point in points if point.at <= workflow.now()])
                continue
            # A decision in flight finishes first: the pimpinan who has just decided is not reminded of it.
            await workflow.wait_condition(lambda: not self._busy)
            if self._s.outcome is not None:
                return
            now = max(workflow.now(), due_at)
            index = last_due(points, done, now)
            assert index is not None  # points[done] is due by now
            await self._send_calibration_notice(points[index], now)
            done = index + 1

    def _calibration_points(self, policy: EscalationPolicy, planned_at: datetime) -> list[Checkpoint]:
        deadlines = self._deadlines()
        return checkpoints(
            deadlines.calibration_due, planned_at, policy, deadlines.workdays, deadlines.utc_offset_hours
        )

    async def _decided_before(self, instant: datetime, version: int) -> bool:
        """Wait for the decision until `instant`: True once it is locked, False when `instant` comes first or the
        calendar is counted again (its version no longer `version`)."""
        wait = instant - workflow.now()
        if wait <= timedelta():
            return self._decided()
        changed = self._calendar_changed_since(version)
        try:
            await workflow.wait_condition(lambda: self._decided() or changed(), timeout=wait)
        except TimeoutError:
            return False
        return self._decided()

    async def _send_calibration_notice(self, point: Checkpoint, now: datetime) -> None:
        s, input = self._s, self._input
        reminder = point.kind is CheckpointKind.REMINDER
        kind = NoticeKind.REMINDER if reminder else NoticeKind.ESCALATION
        deadline = self._deadlines().calibration_due
        # The checkpoint by what it is (how long before the deadline, or the level), not by its place in the plan.
        checkpoint = f"{int((deadline - point.at).total_seconds())}s" if reminder else f"level-{point.level}"
        workflow_id = cycle_workflow_id(input.cycle_id)
        officials = self._officials()
        recipients = calibration_recipients(
            point, officials.pimpinan, officials.supervision_team, officials.pengelola_kinerja
        )
        notice = CalibrationNotice(
            **self._ref().model_dump(),
            workflow_id=workflow_id,
            idempotency_key=f"{workflow_id}/calibration-{kind.value}-{checkpoint}",
            kind=kind,
            level=point.level,
            deadline=deadline,
            recipients=recipients,
            pimpinan=list(officials.pimpinan),
            proposed=s.calibration is not None,
            occurred_at=now,
            utc_offset_hours=self._deadlines().utc_offset_hours,
        )
        try:
            await workflow.execute_activity_method(
                CycleActivities.send_notice, notice, start_to_close_timeout=SHORT, retry_policy=NOTICE_RETRY
            )
        except ActivityError as error:
            # Only a business error ends the retries, and that is a bug: logged, and the calibration is not held up
            # by a notice about it.
            workflow.logger.error(
                "calibration notice not recorded",
                extra={"key": notice.idempotency_key, "error": str(error.cause or error)},
            )
            return
        if reminder:
            s.calibration_reminders += 1
        else:
            s.calibration_escalations += 1
        workflow.logger.info("calibration %s sent", kind.value, extra={"level": point.level, "recipients": recipients})

    # --- reads -----------------------------------------------------------------------------------------------------

    @workflow.query
    def state(self) -> CycleState:
        return self._s

    @workflow.query
    def calibration_state(self) -> CalibrationState:
        s = self._s
        return CalibrationState(
            cycle_id=s.cycle_id,
            instansi_code=s.instansi_code,
            period=s.period,
            phase=s.phase,
            calibration_due=s.calibration_due,
            calibration=s.calibration,
            outcome=s.outcome,
            unreviewed={u.unit: u.missing for u in s.predicates or () if u.missing},
        )

    # --- calibration (SE MenPAN-RB 3/2023) -------------------------------------------------------------------------

    @workflow.update
    async def set_org_predicate(self, request: SetOrgPredicate) -> CycleState:
        self._busy = True
        try:
            self._s.calibration = await workflow.execute_activity_method(
                CycleActivities.propose,
                ProposeRequest(**self._ref().model_dump(), request=request),
                start_to_close_timeout=SHORT,
                retry_policy=UPDATE_RETRY,
            )
        except ActivityError as error:
            raise failed(error) from None
        finally:
            self._busy = False
        return self._s

    @set_org_predicate.validator
    def _check_org_predicate(self, request: SetOrgPredicate) -> None:
        self._check_calibrating(request.actor)

    @workflow.update
    async def decide_calibration(self, decision: DecideCalibration) -> CycleState:
        update = workflow.current_update_info()
        key = update.id if update else f"{workflow.info().run_id}/decide"
        self._busy = True
        try:
            outcome = await workflow.execute_activity_method(
                CycleActivities.decide,
                DecideRequest(**self._ref().model_dump(), decision=decision, key=key),
                start_to_close_timeout=SHORT,
                retry_policy=UPDATE_RETRY,
            )
            self._s.outcome = outcome  # locked: the main loop pushes it to every appraisal
        except ActivityError as error:
            raise failed(error) from None
        finally:
            self._busy = False
        return self._s

    @decide_calibration.validator
    def _check_decision(self, decision: DecideCalibration) -> None:
        self._check_calibrating(decision.actor)
        view = self._s.calibration
        if view is None:
            raise rejection(DomainError("predikat organisasi belum ditetapkan; belum ada usulan", field="kalibrasi"))
        if decision.proposal_id is not None and decision.proposal_id != view.proposal_id:
            raise rejection(
                DomainError(
                    "usulan kalibrasi sudah berubah sejak dilihat; periksa lagi `siklus status`", field="usulan"
                )
            )
        # The domain rule (decide_calibration), checked here too so a refusal leaves no trace in history: any
        # deviation from a feasible proposal needs a written justification.
        deviates = not decision.accept or bool(decision.overrides) or not view.feasible
        text = "".join((decision.justification or "").split())
        if deviates and len(text) < MIN_OVERRIDE_REASON_CHARS:
            raise rejection(
                DomainError(
                    f"tuliskan justifikasi (paling sedikit {MIN_OVERRIDE_REASON_CHARS} karakter selain spasi) karena"
                    " keputusan menyimpang dari usulan atau pola distribusi",
                    field="justification",
                    rule=JUSTIFICATION_RULE,
                )
            )

    def _check_calibrating(self, actor: str) -> None:
        try:
            pimpinan = self._officials().pimpinan
            if actor not in pimpinan:
                raise DomainError(
                    f"NIP {actor} bukan pimpinan yang menetapkan predikat organisasi siklus ini"
                    f" ({', '.join(pimpinan)})",
                    field="pelaku",
                    rule="predikat kinerja organisasi ditetapkan pimpinan satu tingkat di atasnya (PermenPANRB 6/2022)",
                )
            if self._s.phase is not CyclePhase.CALIBRATING:
                raise DomainError(
                    f"kalibrasi hanya setelah batas penilaian; tahap siklus sekarang: {self._s.phase.label}",
                    field="tahap",
                )
            if self._s.outcome is not None:
                raise DomainError("kalibrasi siklus ini sudah diputuskan dan dikunci", field="kalibrasi")
            if self._busy:
                raise DomainError("kalibrasi lain sedang diproses; coba lagi sebentar", field="kalibrasi")
        except (DomainError, ValidationError) as error:
            raise rejection(error) from None


def _closing(deadlines: Deadlines) -> datetime:
    """When the cycle closes: after sign-off, the 14-day objection window and the atasan's decision on a late one."""
    return deadlines.sign_off_due + deadlines.objection_window + deadlines.objection_decision_due
