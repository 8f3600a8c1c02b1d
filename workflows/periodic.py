"""An appraisal's periodic evaluation through the year (domain.periods): the periods before the annual one, each
evaluated once it has ended.

Started by the appraisal once its SKP is approved (a child it abandons: it lives through the appraisal's
continue-as-new), with the periods that end after that. For each: the workflow sleeps until the period's end, then
the employee records the realisation so far (`record_realisation`) and the pejabat penilai holds the dialog kinerja
(`hold_dialog`: feedback, and a rating where the policy asks). Each Update's validator checks the actor, the period
and its bounds before anything enters history; its handler writes the step (the period's row, an audit entry, a
notice to whoever acts next) once Temporal has accepted it. Each step has its deadline in the cycle's working days,
reminded and escalated (workflows.deadline_steps). A period not finished when the next one ends lapses, and the next
one opens. The appraisal's closing (withdrawn, or final) stops the evaluation (the `stop` signal; the open period
lapses), and a reassignment of its penilai or atasan moves the open and later periods to them (`reassign`,
recorded). What the appraisal takes up from its cycle during the year reaches it too: an approved change of SKP lets
a realisation name every version's indicators (`skp_changed`); recounted working days move the open period's
deadline unless it has passed, recorded, and a new supervision team hears of its escalations (`year_changed`). It
ends after the last period.

The history grows with the periods, not the days: three quarters on the happy path are under 150 events.
"""

# As in workflows/appraisal.py: no `from __future__ import annotations` in a workflow module.
import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.periodic import PeriodicActivities
    from domain.bounds import MAX_FEEDBACK_CHARS, check_text
    from domain.errors import DomainError
    from domain.escalation import Checkpoint, checkpoints
    from domain.periods import PERIOD_RULE, PeriodRecord, PeriodStep, PeriodWindow, check_indicators, check_turn
    from domain.policy import EscalationPolicy
    from domain.stages import Role
    from domain.workdays import WorkdayTable, moved, zone_of
    from workflows.admission import check_realisations
    from workflows.appraisal_base import ACTIVITY_TIMEOUT, NOTICE_RETRY

    # A step Temporal has accepted is written however long the database is away; only a refusal fails the Update.
    from workflows.appraisal_base import RECORD_ACCEPTED_RETRY as RECORD_RETRY
    from workflows.contracts import SYSTEM, Actor, NoticeKind
    from workflows.deadline_steps import DeadlineSteps, notice_of
    from workflows.period_contracts import (
        REASSIGN,
        SKP_CHANGED,
        STOP,
        WORKFLOW_NAME,
        YEAR_CHANGED,
        HoldDialog,
        PeriodicInput,
        PeriodicState,
        PeriodIndicators,
        PeriodNotice,
        PeriodReviewers,
        PeriodYear,
        RecordPeriodRealisation,
        RecordPeriodStep,
    )
    from workflows.rejections import rejection

MIN_FEEDBACK_CHARS = 3


@workflow.defn(name=WORKFLOW_NAME)
class PeriodicEvaluationWorkflow(DeadlineSteps):
    @workflow.init
    def __init__(self, input: PeriodicInput) -> None:
        self._input = input
        self._lock = asyncio.Lock()
        self._wake = 0
        self._s = PeriodicState()

    @workflow.run
    async def run(self, input: PeriodicInput) -> PeriodicState:
        ends = [self._end_of(window) for window in input.windows]
        for index, window in enumerate(input.windows):
            now = workflow.now()
            if now < ends[index]:
                with contextlib.suppress(TimeoutError):  # the period ended
                    await workflow.wait_condition(lambda: self._s.stopped, timeout=ends[index] - now)
            if self._s.stopped:
                break
            await self._open(window, max(ends[index], workflow.now()))
            following = ends[index + 1] if index + 1 < len(ends) else None
            while not self._s.stopped and self._current().step is not PeriodStep.DONE:
                if following is not None and workflow.now() >= following:
                    break
                await self._until_next_change(until=following)
            if self._current().step is not PeriodStep.DONE:
                await self._lapse("period.stopped" if self._s.stopped else "period.lapsed")
            self._s = self._s.model_copy(update={"done": [*self._s.done, self._current()], "current": None})
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._s

    # --- reads, Updates and the signal ---------------------------------------------------------------------------

    @workflow.query
    def state(self) -> PeriodicState:
        return self._s

    @workflow.signal(name=STOP)
    def stop(self, reason: str) -> None:
        """The appraisal was closed (withdrawn from the cycle, or ended): no further period is evaluated, and the one
        open lapses."""
        workflow.logger.info("periodic evaluation stopped", extra={"reason": reason[:200]})
        self._s = self._s.model_copy(update={"stopped": True})
        self._wake += 1

    @workflow.signal(name=REASSIGN)
    async def reassign(self, reviewers: PeriodReviewers) -> None:
        """The appraisal's penilai or atasan was reassigned: the open period and the later ones follow, recorded."""
        async with self._lock:
            if self._s.stopped:
                return
            self._s = self._s.model_copy(update={"reviewers": reviewers})
            record = self._s.current
            if record is None or record.step is PeriodStep.DONE:
                return
            assignee = reviewers.penilai_nip if record.step is PeriodStep.DIALOG else record.assignee_nip
            after = record.model_copy(update={"penilai_nip": reviewers.penilai_nip, "assignee_nip": assignee})
            self._s = self._s.model_copy(update={"current": after})
            await self._write_system_step(
                f"reassigned-{workflow.info().get_current_history_length()}",
                after,
                "period.reassigned",
                record.step,
                workflow.now(),
                notify=[reviewers.penilai_nip] if record.step is PeriodStep.DIALOG else [],
            )
            self._wake += 1

    @workflow.signal(name=YEAR_CHANGED)
    async def year_changed(self, change: PeriodYear) -> None:
        """The appraisal took up new working days (a recount of its cycle's calendar) or a new supervision team: the
        open period's deadline is counted again on the new working days unless it has passed, its reminders already
        due count as sent, and later notices reach the new team. Recorded when the deadline moves."""
        async with self._lock:
            if self._s.stopped:
                return
            update: dict[str, object] = {}
            if change.supervision_team is not None:
                update["supervision_team"] = list(change.supervision_team)
            if change.recounted:
                update |= {"recounted": True, "workdays": change.workdays}
            self._s = self._s.model_copy(update=update)
            record, set_at, now = self._s.current, self._s.deadline_set_at, workflow.now()
            if not change.recounted or record is None or record.deadline is None or set_at is None:
                return
            policy = self._input.periods
            realising = record.step is PeriodStep.REALISATION
            due = self._due(set_at, policy.realisation_working_days if realising else policy.dialog_working_days)
            # Reached already, counted into the past (it stays), or the same on the new working days: the deadline
            # stays; its reminders and levels are planned again on the new working days all the same.
            moves = now < record.deadline and now < due and due != record.deadline
            deadline = due if moves else record.deadline
            escalation, workdays, zone = self._timing()
            done = len([p for p in checkpoints(deadline, set_at, escalation, workdays, zone) if p.at <= now])
            after = record.model_copy(update={"deadline": deadline})
            self._s = self._s.model_copy(update={"current": after, "checkpoints_done": done})
            self._wake += 1
            if not moves:
                return
            await self._write_system_step(
                f"recounted-{workflow.info().get_current_history_length()}",
                after,
                "period.calendar_changed",
                record.step,
                now,
                notify=[record.assignee_nip] if record.assignee_nip else [],
                deadline_before=record.deadline,
            )

    @workflow.signal(name=SKP_CHANGED)
    def skp_changed(self, indicators: PeriodIndicators) -> None:
        """The appraisal's SKP changed (domain.skp_versions): a realisation may name every version's indicators."""
        if not self._s.stopped:
            self._s = self._s.model_copy(update={"indicator_ids": list(indicators.indicator_ids)})

    @workflow.update
    async def record_realisation(self, cmd: RecordPeriodRealisation) -> PeriodicState:
        return await self._handle(lambda: self._plan_realisation(cmd))

    @record_realisation.validator
    def _check_realisation(self, cmd: RecordPeriodRealisation) -> None:
        self._check(lambda: self._plan_realisation(cmd))

    @workflow.update
    async def hold_dialog(self, cmd: HoldDialog) -> PeriodicState:
        return await self._handle(lambda: self._plan_dialog(cmd))

    @hold_dialog.validator
    def _check_dialog(self, cmd: HoldDialog) -> None:
        self._check(lambda: self._plan_dialog(cmd))

    # --- the steps -------------------------------------------------------------------------------------------------

    def _plan_realisation(self, cmd: RecordPeriodRealisation) -> RecordPeriodStep:
        record = self._at(cmd.actor, cmd.number, PeriodStep.REALISATION)
        check_realisations(cmd.realisations)
        check_indicators(cmd.realisations, self._s.indicator_ids or self._input.indicator_ids)
        now = workflow.now()
        after = record.model_copy(
            update={
                "step": PeriodStep.DIALOG,
                "assignee_nip": record.penilai_nip,
                "deadline": self._due(now, self._input.periods.dialog_working_days),
                "overdue": False,
                "escalation_level": 0,
                "realisations": cmd.realisations,
                "realised_at": now,
            }
        )
        return self._step(after, "period.realisation", cmd.actor, now, notify=[record.penilai_nip])

    def _plan_dialog(self, cmd: HoldDialog) -> RecordPeriodStep:
        record = self._at(cmd.actor, cmd.number, PeriodStep.DIALOG)
        feedback = check_text(cmd.feedback, "umpan_balik", limit=MAX_FEEDBACK_CHARS).strip()
        if len(feedback) < MIN_FEEDBACK_CHARS:
            raise DomainError("umpan balik dialog kinerja diisi", field="umpan_balik", rule=PERIOD_RULE)
        if self._input.periods.rating and cmd.rating is None:
            raise DomainError("kebijakan instansi meminta rating periodik", field="rating", rule=PERIOD_RULE)
        now = workflow.now()
        after = record.model_copy(
            update={
                "step": PeriodStep.DONE,
                "assignee_nip": None,
                "deadline": None,
                "overdue": False,
                "feedback": feedback,
                "rating": cmd.rating,
                "dialog_at": now,
            }
        )
        return self._step(after, "period.dialog", cmd.actor, now, notify=[record.employee_nip])

    def _at(self, actor: Actor, number: int, wanted: PeriodStep) -> PeriodRecord:
        """The current period, if it is `number` and at `wanted`, and `actor` is who acts there."""
        record = self._s.current
        if self._s.stopped:
            raise DomainError("evaluasi periodik dihentikan: penilaian sudah ditutup", field="tahap", rule=PERIOD_RULE)
        if record is None or record.number != number:
            raise DomainError(f"periode {number} tidak sedang dievaluasi", field="periode", rule=PERIOD_RULE)
        check_turn(record.step, wanted, actor.role)
        holder = record.employee_nip if wanted is PeriodStep.REALISATION else record.penilai_nip
        if actor.nip != holder:
            raise DomainError(f"NIP {actor.nip} bukan {actor.role.label} pada evaluasi ini", field="peran")
        return record

    def _step(
        self, after: PeriodRecord, action: str, actor: Actor, now: datetime, notify: list[str]
    ) -> RecordPeriodStep:
        update = workflow.current_update_info()
        return RecordPeriodStep(
            idempotency_key=f"{self._key()}/{update.id if update is not None else action}",
            record=after,
            action=action,
            step_from=self._current().step,
            actor=actor.nip,
            actor_role=actor.role,
            occurred_at=now,
            notify=notify,
            utc_offset_hours=self._input.utc_offset_hours,
        )

    async def _handle(self, plan: Callable[[], RecordPeriodStep]) -> PeriodicState:
        async with self._lock:
            try:
                step = plan()
            except (DomainError, ValidationError) as error:
                raise rejection(error) from None
            await self._write(step, RECORD_RETRY)
            self._s = self._s.model_copy(
                update={"current": step.record, "deadline_set_at": step.occurred_at, "checkpoints_done": 0}
            )
            self._wake += 1
        return self._s

    async def _open(self, window: PeriodWindow, now: datetime) -> None:
        """The period has ended: the employee's realisation is due."""
        given = self._input
        record = PeriodRecord(
            workflow_id=workflow.info().workflow_id,
            cycle_id=given.cycle_id,
            instansi_code=given.instansi_code,
            unit_code=given.unit_code,
            employee_nip=given.employee_nip,
            employee_name=given.employee_name,
            penilai_nip=self._penilai(),
            number=window.number,
            label=window.label,
            last_day=window.last_day,
            step=PeriodStep.REALISATION,
            assignee_nip=given.employee_nip,
            deadline=self._due(now, given.periods.realisation_working_days),
        )
        async with self._lock:
            self._s = self._s.model_copy(update={"current": record, "deadline_set_at": now, "checkpoints_done": 0})
            await self._write_system_step(
                f"opened-{window.number}", record, "period.opened", PeriodStep.WAITING, now, notify=[given.employee_nip]
            )

    async def _lapse(self, action: str) -> None:
        """The open period was not finished in time (or the appraisal closed): recorded as such, waiting on nobody."""
        async with self._lock:
            record = self._current()
            after = record.model_copy(update={"step": PeriodStep.LAPSED, "assignee_nip": None, "deadline": None})
            self._s = self._s.model_copy(update={"current": after})
            await self._write_system_step(f"lapsed-{record.number}", after, action, record.step, workflow.now())

    async def _write_system_step(
        self,
        key: str,
        record: PeriodRecord,
        action: str,
        step_from: PeriodStep,
        at: datetime,
        *,
        notify: list[str] | None = None,
        deadline_before: datetime | None = None,
    ) -> None:
        """Record a step the evaluation took by itself (a period opened, lapsed, reassigned, its deadline recounted),
        under the key `key` of this evaluation; retried until written."""
        step = RecordPeriodStep(
            idempotency_key=f"{self._key()}/{key}",
            record=record,
            action=action,
            step_from=step_from,
            actor=SYSTEM,
            actor_role=Role.SYSTEM,
            occurred_at=at,
            notify=notify or [],
            utc_offset_hours=self._input.utc_offset_hours,
            deadline_before=deadline_before,
        )
        await self._write(step, NOTICE_RETRY)

    async def _write(self, step: RecordPeriodStep, retry: RetryPolicy) -> None:
        await workflow.execute_activity_method(
            PeriodicActivities.record, step, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=retry
        )

    # --- deadlines -------------------------------------------------------------------------------------------------

    def _end_of(self, window: PeriodWindow) -> datetime:
        """The instant the period ends: midnight after its last day, in the cycle's zone, unless the cycle's calendar
        set it."""
        return window.end(zone_of(self._input.utc_offset_hours))

    def _due(self, start: datetime, working_days: int) -> datetime:
        return moved(self._workdays(), start, working_days, zone_of(self._input.utc_offset_hours))

    def _workdays(self) -> WorkdayTable | None:
        """The working days the deadlines count in: the cycle's as last counted again, else as the evaluation began."""
        return self._s.workdays if self._s.recounted else self._input.workdays

    def _penilai(self) -> str:
        reviewers = self._s.reviewers
        return reviewers.penilai_nip if reviewers is not None else self._input.penilai_nip

    def _current(self) -> PeriodRecord:
        assert self._s.current is not None
        return self._s.current

    def _deadline(self) -> tuple[datetime | None, datetime]:
        current, set_at = self._s.current, self._s.deadline_set_at
        if current is None or set_at is None:
            return None, workflow.now()
        return current.deadline, set_at

    def _checkpoints_done(self) -> int:
        return self._s.checkpoints_done

    def _timing(self) -> tuple[EscalationPolicy, WorkdayTable | None, int | None]:
        return self._input.escalation, self._workdays(), self._input.utc_offset_hours

    async def _notify(self, point: Checkpoint, index: int, now: datetime) -> None:
        record = self._s.current
        if record is None or record.step is PeriodStep.DONE or self._s.stopped:
            return
        given = self._input
        kind, recipients = notice_of(
            point,
            assignee=record.assignee_nip,
            role=record.step.responsible,
            penilai=record.penilai_nip,
            atasan=self._s.reviewers.atasan_nip if self._s.reviewers is not None else given.atasan_nip,
            superiors=given.superiors,
            team=self._s.supervision_team if self._s.supervision_team is not None else given.supervision_team,
        )
        after = record
        if kind is NoticeKind.ESCALATION:
            after = record.model_copy(update={"overdue": True, "escalation_level": point.level})
        seq = self._s.notice_seq + 1
        await workflow.execute_activity_method(
            PeriodicActivities.send_notice,
            PeriodNotice(
                idempotency_key=f"{self._key()}/notice-{seq}-{kind.value}",
                record=after,
                kind=kind,
                level=point.level,
                recipients=recipients,
                occurred_at=now,
                utc_offset_hours=given.utc_offset_hours,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=NOTICE_RETRY,
        )
        self._s = self._s.model_copy(update={"current": after, "checkpoints_done": index + 1, "notice_seq": seq})

    def _key(self) -> str:
        return f"{workflow.info().workflow_id}/{workflow.info().run_id}"
