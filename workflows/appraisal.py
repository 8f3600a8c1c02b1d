"""The appraisal of one employee for one period, from target setting to a final, signed predicate.

Every human step is an Update whose validator checks the actor, the stage (domain.stages.transition) and the payload
before anything enters history; the handler records the step through an activity and returns the new state. Reads
are the `state` query. The calibration result arrives through the `apply_calibration` Update, from the cycle's locked
decision or a pengelola kinerja, and is kept until the appraisal waits for it if it comes early (see
workflows/calibration.py, also for why the `calibration_decided` signal no longer sets anything).

The cycle's officials (supervision team, pengelola kinerja) and deadlines are the input's until the admin kepegawaian
changes them during the year: the `apply_officials` and `apply_calendar` Updates, sent by the cycle, have the appraisal
take up what was recorded for it (workflows/appraisal_changes.py). Target setting (the SKP submitted, approved,
returned, and changed during the year) is workflows/appraisal_skp.py; what the supervision team and the pengelola
kinerja do beside the people's steps (extend, reassign, withdraw) is workflows/appraisal_management.py. What every
step goes through (recording it, who holds which role, the worklist entry, the search attributes, the timeline) is
the base class, workflows/appraisal_base.py.

Deadlines: each step's deadline comes from the cycle's resolved calendar. The main loop sleeps until the next
checkpoint (reminders before the deadline, escalation at it and one level further up after every grace period),
waking early when the step or the deadline changes; an extension simply replans the checkpoints.

Changing this workflow while appraisals are running: a change that alters the commands a replay produces (a new
activity, timer or upsert, or one taken away) must be guarded, e.g.

    if workflow.patched("skp-review-notice"):
        await self._new_behaviour()

then, once no run started before the change is open, `workflow.deprecate_patch("skp-review-notice")`, and finally
removal. `tests/workflows/test_replay.py` replays the histories saved in `tests/workflows/histories/` with the current
code and fails on any unguarded change. After a release, keep the old histories (rename them, e.g. `every_stage.json` →
`every_stage-0.1.json`: they prove runs started on the old code still replay) and record the new ones with
`KINERJA_RECORD_HISTORIES=1 pytest tests/workflows/test_appraisal.py`.
"""

# No `from __future__ import annotations` here: the sandbox executes this module again for every appraisal it
# creates or brings back into the cache, and workflow.defn then resolves every handler's type hints. As strings they
# are compiled and evaluated each time (a tenth of the worker's CPU in the benchmark's Update phase); as the objects
# Python 3.11 builds at definition they are only read.
import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.appraisal import AppraisalActivities
    from domain.achievement import skp_achievements
    from domain.assessment import decide_hasil_kerja, predicate_result, suggest_hasil_kerja
    from domain.errors import DomainError
    from domain.escalation import (
        Checkpoint,
        CheckpointKind,
        escalation_recipients,
        last_due,
        superiors_of,
    )
    from domain.stages import Action, Role, Step, transition
    from workflows import calibration, search_attributes
    from workflows.admission import admit
    from workflows.appraisal_base import (
        ACTIVITY_TIMEOUT,
        NOTICE_RETRY,
        RECORD_RETRY,
        predicate_value,
        required_text,
        update_failed,
    )
    from workflows.appraisal_management import AppraisalManagement
    from workflows.changes import Change
    from workflows.contracts import (
        SYSTEM,
        Acknowledge,
        ApplyCalibration,
        AppraisalInput,
        AppraisalState,
        AppraisalSummary,
        CalibrationDecision,
        DecideObjection,
        FileObjection,
        LockedCalibration,
        NoticeKind,
        Objection,
        ReviewChange,
        ReviewOutcome,
        SendNotice,
        Sign,
        SubmitReview,
        SubmitSelfAssessment,
        summary_of,
    )
    from workflows.rejections import rejection

WORKFLOW_NAME = "Appraisal"  # the workflow type in Temporal: never rename while appraisals run


@workflow.defn(name=WORKFLOW_NAME)
class AppraisalWorkflow(AppraisalManagement):
    @workflow.init
    def __init__(self, input: AppraisalInput) -> None:
        self._input = input
        self._lock = asyncio.Lock()  # one step at a time: handlers and timers interleave at every await
        self._wake = 0  # bumped whenever the step, the deadline or a buffered signal changes
        # KinerjaPenilai (added in 0.3) is kept up to date only by runs started with it, so a run started before it
        # existed replays with the same upserts; continue-as-new carries the attributes, and with them this choice.
        attributes = workflow.info().typed_search_attributes
        self._keeps_penilai = attributes.get(search_attributes.PENILAI) is not None
        # Runs started before the worklist table (0.4) kept their step, assignee and deadline in search attributes
        # and still do, so they replay with the same upserts; newer runs keep them in the worklist only (written with
        # each step), which spares every step an upsert. The attributes a run starts with say which it is.
        self._keeps_progress = attributes.get(search_attributes.STEP) is not None
        if input.carried is not None:
            self._s = input.carried.model_copy(update={"runs": input.carried.runs + 1})
        else:
            now = workflow.now()
            self._s = AppraisalState(
                workflow_id=workflow.info().workflow_id,
                cycle_id=input.cycle_id,
                instansi_code=input.instansi_code,
                period=input.period,
                employee_nip=input.employee_nip,
                employee_name=input.employee_name,
                unit_code=input.unit_code,
                penilai_nip=input.penilai_nip,
                atasan_nip=input.atasan_nip,
                step_entered_at=now,
            )
            self._enter(Step.SKP_DRAFTING, now, sync=False)  # run() upserts once it starts

    # --- main loop -------------------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: AppraisalInput) -> AppraisalSummary:
        self._sync_search_attributes()
        while True:
            if self._s.step is Step.AWAITING_CALIBRATION and self._s.pending_calibration is not None:
                await self._apply_calibration()
                continue
            if self._finished():
                break
            if self._s.step is Step.SELF_ASSESSMENT and not self._s.periodic_decided:
                await self._open_periodic()
            if self._s.periodic_started:
                await self._follow_reassignment()
                await self._follow_skp_change()
                await self._follow_year()
            if self._history_too_long():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._lock.locked())
                if not self._finished():
                    workflow.continue_as_new(self._input.model_copy(update={"carried": self._s}))
                continue
            due_at = self._next_checkpoint_at()
            now = workflow.now()
            if due_at is not None and due_at <= now:
                await self._on_checkpoint(now)
            elif not await self._wait_for_change(None if due_at is None else due_at - now):
                assert due_at is not None  # only a timeout ends the wait without a change
                await self._on_checkpoint(due_at)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._open_development_plan()
        await self._stop_periodic()
        # Kept in history like an Update's answer: where the appraisal ended and its last step, not the whole state
        # (its SKP, realisations and review were 6.8 KB of every_stage.json's). The `state` query has it all.
        return summary_of(self._s)

    def _finished(self) -> bool:
        return self._s.step.closed

    async def _wait_for_change(self, timeout: timedelta | None) -> bool:
        """Sleep until the step, the deadline or a buffered signal changes (True) or `timeout` passes (False)."""
        seen = self._wake
        try:
            await workflow.wait_condition(lambda: self._wake != seen, timeout=timeout)
        except TimeoutError:
            return False
        return True

    def _history_too_long(self) -> bool:
        info = workflow.info()
        limit = self._input.history_limit
        return info.is_continue_as_new_suggested() or (limit is not None and info.get_current_history_length() >= limit)

    def _next_checkpoint_at(self) -> datetime | None:
        s = self._s
        if s.deadline is None:
            return None
        if s.step is Step.OBJECTION_WINDOW:
            return s.deadline
        points = self._checkpoints()
        return points[s.checkpoints_done].at if s.checkpoints_done < len(points) else None

    async def _on_checkpoint(self, not_before: datetime) -> None:
        """Send the reminder or escalation that is due, or close the objection window.

        Under the lock, and checked again once it is held: an update may have moved the step on meanwhile, and a
        person who just acted must not be reminded of what they did.
        """
        async with self._lock:
            now = max(workflow.now(), not_before)
            if self._s.step is Step.OBJECTION_WINDOW:
                if self._s.deadline is not None and self._s.deadline <= now:
                    await self._system_step(self._close_objection_window())
                return
            if self._s.deadline is None:
                return
            points = self._checkpoints()
            index = last_due(points, self._s.checkpoints_done, now)
            if index is not None:
                await self._system_step(self._send_notice(points[index], index, now))

    async def _send_notice(self, point: Checkpoint, index: int, now: datetime) -> None:
        s = self._s
        s.checkpoints_done = index + 1
        assert s.deadline is not None
        if point.kind is CheckpointKind.REMINDER:
            kind, recipients = NoticeKind.REMINDER, list(s.assignees)
        else:
            s.overdue, s.escalation_level = True, point.level
            self._sync_search_attributes()
            ladder = superiors_of(s.step.responsible, s.penilai_nip, s.atasan_nip, self._input.superiors)
            if s.step.responsible is Role.SYSTEM:
                ladder = self._people(Role.PENGELOLA_KINERJA)
            kind = NoticeKind.ESCALATION
            recipients = escalation_recipients(point.level, self._people(Role.PENGAWASAN), ladder)
            if point.level == 1:
                # The pengelola kinerja may draft a missing SKP for the employee (PermenPANRB 8/2021 annex), so they
                # hear of that step being late.
                fallback = self._people(Role.PENGELOLA_KINERJA) if s.step is Step.SKP_DRAFTING else []
                recipients = list(dict.fromkeys([*s.assignees, *recipients, *fallback]))
        s.notice_seq += 1
        # With the run: a run reset to an earlier point numbers its notices again, and must not find the abandoned
        # branch's records under the same keys (it would skip writing its own).
        key = f"{s.workflow_id}/{workflow.info().run_id}/notice-{s.notice_seq}-{kind.value}"
        step, deadline = s.step, s.deadline
        note = f"tingkat {point.level}: {', '.join(recipients)}"
        self._log(SYSTEM, Role.SYSTEM, f"notice.{kind.value}", step, step, note=note)
        workflow.logger.info(
            "appraisal %s sent", kind.value, extra={"step": step.value, "level": point.level, "recipients": recipients}
        )
        await workflow.execute_activity_method(
            AppraisalActivities.send_notice,
            SendNotice(
                workflow_id=s.workflow_id,
                idempotency_key=key,
                kind=kind,
                employee_nip=s.employee_nip,
                employee_name=s.employee_name,
                step=step,
                deadline=deadline,
                level=point.level,
                recipients=recipients,
                occurred_at=now,
                work=self._work_item() if kind is NoticeKind.ESCALATION else None,
                utc_offset_hours=self._deadlines().utc_offset_hours,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=NOTICE_RETRY,
        )

    @staticmethod
    async def _system_step(step: Awaitable[None]) -> None:
        """Run a step nobody waits on. Infrastructure errors retry without end; a business error here is a bug, so
        it fails the workflow task (retried after a fix is deployed) instead of failing the appraisal."""
        try:
            await step
        except ActivityError as error:
            raise RuntimeError(f"system step could not be recorded: {error.cause or error}") from error

    async def _apply_calibration(self) -> None:
        """Apply the decision kept while the appraisal was not yet waiting for it (a system step nobody waits on)."""
        async with self._lock:
            decision = self._s.pending_calibration
            if self._s.step is not Step.AWAITING_CALIBRATION or decision is None:
                return
            try:
                await self._commit(calibration.applying(self._s, decision), retry=NOTICE_RETRY)
            except ActivityError as error:
                # Only a business error gets here (infrastructure errors retry without end): drop the decision so
                # the next one is tried, instead of failing the whole appraisal.
                self._s.pending_calibration = None
                workflow.logger.error(
                    "calibration decision could not be recorded",
                    extra={"calibration_id": decision.calibration_id, "error": str(error.cause or error)},
                )

    async def _close_objection_window(self) -> None:
        to = transition(self._s.step, Action.CLOSE_OBJECTION_WINDOW, Role.SYSTEM)
        await self._commit(
            Change(
                action=Action.CLOSE_OBJECTION_WINDOW.value,
                to=to,
                actor=SYSTEM,
                role=Role.SYSTEM,
                reason="masa keberatan berakhir tanpa keberatan (PP 30/2019 Pasal 59)",
                after={"predicate": predicate_value(self._s.predicate)},
            ),
            retry=NOTICE_RETRY,
        )

    # --- reads and signals -----------------------------------------------------------------------------------------

    @workflow.query
    def state(self) -> AppraisalState:
        return self._s

    @workflow.signal
    def calibration_decided(self, decision: CalibrationDecision) -> None:
        """Retired: a signal has no validator, so anyone reaching Temporal could set any predicate with it. Histories
        recorded before CALIBRATION_BY_UPDATE replay it as it ran; anywhere else it is logged and changes nothing."""
        if workflow.patched(calibration.CALIBRATION_BY_UPDATE):
            workflow.logger.warning(
                "calibration_decided signal ignored: the result comes only through the apply_calibration update",
                extra={
                    "calibration_id": decision.calibration_id,
                    "decided_by": decision.decided_by,
                    "predicate": decision.predicate.value,
                    "step": self._s.step.value,
                },
            )
            return
        late = self._s.step.closed or self._s.step in (Step.SIGN_OFF, Step.OBJECTION_WINDOW, Step.OBJECTION_REVIEW)
        if late:
            # A signal cannot be refused; a decision after penetapan would silently rewrite a signed result.
            workflow.logger.warning(
                "calibration decision ignored: result already set",
                extra={"calibration_id": decision.calibration_id, "step": self._s.step.value},
            )
            return
        self._s.pending_calibration = decision  # the latest decision wins if calibration is redone
        self._wake += 1

    # --- updates: calibration --------------------------------------------------------------------------------------

    @workflow.update
    async def apply_calibration(self, cmd: ApplyCalibration) -> AppraisalSummary:
        if cmd.actor is None:
            decision = await self._locked_calibration()
        else:
            reason = required_text(cmd.reason, "alasan", "alasan penerapan hasil kalibrasi")
            decision = calibration.by_pengelola(cmd, self._s.cycle_id, reason)
        async with self._lock:
            try:
                calibration.check_open(self._s.step)  # again: the appraisal may have moved on since the validator
            except DomainError as error:
                raise rejection(error) from None
            if self._s.step is Step.AWAITING_CALIBRATION:
                await self._record(calibration.applying(self._s, decision))
            else:  # early: kept until the appraisal waits for calibration (the main loop applies it then)
                self._s.pending_calibration = decision  # the latest decision wins if calibration is redone
                self._wake += 1
                workflow.logger.info(
                    "calibration decision kept until the review is done",
                    extra={"calibration_id": decision.calibration_id, "step": self._s.step.value},
                )
        return self._reply()

    @apply_calibration.validator
    def _check_apply_calibration(self, cmd: ApplyCalibration) -> None:
        try:
            admit(cmd, self._years())
            calibration.check_open(self._s.step)
            calibration.check_source(cmd)
            if cmd.actor is not None:
                self._check_identity(cmd.actor)
                required_text(cmd.reason, "alasan", "alasan penerapan hasil kalibrasi")
        except (DomainError, ValidationError) as error:
            raise rejection(error) from None

    async def _locked_calibration(self) -> CalibrationDecision:
        """This employee's result in the cycle's locked decision, as the database holds it; the Update fails with
        the reason (nothing locked yet, or the employee is not in it) and the appraisal stays where it was."""
        s = self._s
        try:
            return await workflow.execute_local_activity_method(
                AppraisalActivities.locked_calibration,
                LockedCalibration(
                    cycle_id=s.cycle_id, instansi_code=s.instansi_code, period=s.period, employee_nip=s.employee_nip
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
        except ActivityError as error:
            raise update_failed("hasil kalibrasi tidak dapat dibaca", error) from None

    # --- updates: self-assessment and review -----------------------------------------------------------------------

    @workflow.update
    async def submit_self_assessment(self, cmd: SubmitSelfAssessment) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_self_assessment(cmd))

    @submit_self_assessment.validator
    def _check_self_assessment(self, cmd: SubmitSelfAssessment) -> None:
        self._check(lambda: self._plan_self_assessment(cmd), cmd)

    def _plan_self_assessment(self, cmd: SubmitSelfAssessment) -> Change:
        change = self._authorise(cmd.actor, Action.SUBMIT_SELF_ASSESSMENT, cmd.reason)
        (skp, weights), policy = self._year_skp(), self._input.policy
        achievements = skp_achievements(skp, cmd.realisations, policy)  # every version's indicators, once each
        suggestion = suggest_hasil_kerja(skp, achievements, policy, weights)
        realisations = list(cmd.realisations)

        def apply() -> None:
            s = self._s
            s.realisations, s.achievements, s.suggestion = realisations, achievements, suggestion

        change.after = {
            "achievements": {a.indicator_id: str(a.percent) for a in achievements},
            "suggestion": suggestion.rating.value,
        }
        change.apply = apply
        return change

    @workflow.update
    async def submit_review(self, cmd: SubmitReview) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_review(cmd))

    @submit_review.validator
    def _check_review(self, cmd: SubmitReview) -> None:
        self._check(lambda: self._plan_review(cmd), cmd)

    def _plan_review(self, cmd: SubmitReview) -> Change:
        change = self._authorise(cmd.actor, Action.SUBMIT_REVIEW, None)
        s, policy = self._s, self._input.policy
        if s.suggestion is None:
            raise DomainError("penilaian diri belum ada; saran rating hasil kerja belum dihitung", field="tahap")
        decision = decide_hasil_kerja(s.suggestion.rating, cmd.hasil_kerja, cmd.override_reason)
        result = predicate_result(decision.chosen, cmd.perilaku, policy)
        outcome = ReviewOutcome(
            reviewed_by=cmd.actor.nip,
            reviewed_at=workflow.now(),
            perilaku=cmd.perilaku,
            hasil_kerja=decision,
            result=result,
            feedback=cmd.feedback.strip(),
            achievements=s.achievements,
            suggestion=s.suggestion,
            final_predicate=result.predicate,
        )

        def apply() -> None:
            self._s.review, self._s.predicate = outcome, result.predicate

        change.reason = decision.reason
        change.after = {
            "hasil_kerja": decision.chosen.value,
            "suggested": decision.suggested.value,
            "perilaku": cmd.perilaku.value,
            "predicate": result.predicate.value,
        }
        change.apply, change.review = apply, outcome
        return change

    # --- updates: sign-off and objection ---------------------------------------------------------------------------

    @workflow.update
    async def sign(self, cmd: Sign) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_sign(cmd))

    @sign.validator
    def _check_sign(self, cmd: Sign) -> None:
        self._check(lambda: self._plan_sign(cmd), cmd)

    def _plan_sign(self, cmd: Sign) -> Change:
        change = self._authorise(cmd.actor, Action.SIGN, None)
        change.reason = cmd.note.strip() or None
        change.after = {"predicate": predicate_value(self._s.predicate)}

        def apply() -> None:
            self._s.signed_at = workflow.now()

        change.apply = apply
        return change

    @workflow.update
    async def acknowledge(self, cmd: Acknowledge) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_acknowledge(cmd))

    @acknowledge.validator
    def _check_acknowledge(self, cmd: Acknowledge) -> None:
        self._check(lambda: self._plan_acknowledge(cmd), cmd)

    def _plan_acknowledge(self, cmd: Acknowledge) -> Change:
        change = self._authorise(cmd.actor, Action.ACKNOWLEDGE, cmd.reason)
        change.after = {"predicate": predicate_value(self._s.predicate)}
        return change

    @workflow.update
    async def file_objection(self, cmd: FileObjection) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_file_objection(cmd))

    @file_objection.validator
    def _check_file_objection(self, cmd: FileObjection) -> None:
        self._check(lambda: self._plan_file_objection(cmd), cmd)

    def _plan_file_objection(self, cmd: FileObjection) -> Change:
        change = self._authorise(cmd.actor, Action.FILE_OBJECTION, None)
        reason = required_text(cmd.reason, "alasan", "alasan keberatan")
        if self._s.atasan_nip is None:
            raise DomainError(
                "pegawai ini belum memiliki atasan pejabat penilai yang memutus keberatan; minta Tim Pengawasan"
                " menetapkannya lebih dulu",
                field="atasan_nip",
                rule="keberatan diajukan kepada atasan pejabat penilai kinerja (PP 30/2019 Pasal 59)",
            )
        current = self._current_predicate()
        objection = Objection(filed_by=cmd.actor.nip, filed_at=workflow.now(), reason=reason, predicate_before=current)

        def apply() -> None:
            self._s.objection = objection

        change.reason, change.apply = reason, apply
        change.after = {"predicate": current.value}
        return change

    @workflow.update
    async def decide_objection(self, cmd: DecideObjection) -> AppraisalSummary:
        return await self._handle(lambda: self._plan_decide_objection(cmd))

    @decide_objection.validator
    def _check_decide_objection(self, cmd: DecideObjection) -> None:
        self._check(lambda: self._plan_decide_objection(cmd), cmd)

    def _plan_decide_objection(self, cmd: DecideObjection) -> Change:
        change = self._authorise(cmd.actor, Action.DECIDE_OBJECTION, None)
        reason = required_text(cmd.reason, "alasan", "alasan keputusan keberatan")
        objection = self._s.objection
        if objection is None:
            raise DomainError("tidak ada keberatan yang diajukan", field="keberatan")
        after = cmd.predicate or objection.predicate_before
        decided = objection.model_copy(
            update={
                "decided_by": cmd.actor.nip,
                "decided_at": workflow.now(),
                "decision_reason": reason,
                "predicate_after": after,
            }
        )

        review = self._s.review.model_copy(update={"final_predicate": after}) if self._s.review else None

        def apply() -> None:
            self._s.objection, self._s.predicate, self._s.review = decided, after, review

        change.reason, change.apply = reason, apply
        change.review_change = ReviewChange(final_predicate=after) if review else None  # the review step stored it
        change.after = {"predicate_before": objection.predicate_before.value, "predicate": after.value}
        return change
