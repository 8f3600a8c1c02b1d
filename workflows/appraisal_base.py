"""The shared machinery of the appraisal workflow (workflows/appraisal.py), its base class: how a checked step is
recorded and applied, who holds which role on the appraisal, where the appraisal then stands (its deadline, the
worklist entry, the search attributes) and its timeline. The workflow itself keeps the main loop and the handlers.

Imported through the sandbox's passthrough, like the workflow's other helpers: the sandbox executes
workflows/appraisal.py afresh for every workflow instance it creates, and what lives here is loaded once per worker.
Nothing here may use I/O, the wall clock or randomness: it runs as workflow code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from activities.appraisal import AppraisalActivities
from domain.bounds import appraisal_years
from domain.calendar import Deadlines
from domain.errors import DomainError
from domain.escalation import Checkpoint, checkpoints
from domain.ratings import Predicate
from domain.skp import Skp
from domain.skp_versions import year_skp, year_weights
from domain.stages import TAKE_OVER_ROLES, Action, Role, Step, transition
from domain.workdays import moved, zone_of
from domain.worklist import WorkItem, listed_assignee
from workflows import search_attributes
from workflows.admission import admit
from workflows.changes import Change
from workflows.contracts import (
    MIN_REASON_CHARS,
    Actor,
    AppraisalInput,
    AppraisalState,
    AppraisalSummary,
    RecordStep,
    TimelineEvent,
    summary_of,
)
from workflows.rejections import rejection

RECORD_STEP_LOCALLY = "record-step-local-activity"  # workflow.patched id (added in 0.2, replaced in 0.6)
# workflow.patched id (0.6): a person's step is written once Temporal has accepted its Update (_record_person_step).
# A run that took a person's step on older code marks each later step with this id and the step's number instead.
RECORD_AFTER_ACCEPTANCE = "record-step-after-acceptance"
EXTEND_DEADLINE = "extend_deadline"
CHANGE_CALENDAR = "change_calendar"  # workflows.appraisal_changes
REASSIGN = "reassign"
MANAGER_ROLES = TAKE_OVER_ROLES  # the supervision team and pengelola kinerja manage deadlines and reviewers

REFUSALS = ["DomainError", "NotFound", "IllegalTransition", "ValidationError", "UnstorableData"]
# A person's step on the code before 0.6 (a local activity, before the Update was accepted): retry infrastructure
# errors briefly, then fail the update so they can retry. Also the mark of a person's step in _commit.
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=20),
    maximum_attempts=8,
    non_retryable_error_types=REFUSALS[:3],
)
# A person's step once its Update is accepted: the step is taken, so it is written however long the database is
# away (every attempt writes under the same key, so a step is written once); only a refusal fails the Update.
RECORD_ACCEPTED_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    non_retryable_error_types=REFUSALS,
)
# A worker that dies while writing a step is noticed this soon (the activity heartbeats while a write is slow), so
# the step is written by another worker, or by the same one restarted, within seconds instead of ACTIVITY_TIMEOUT.
RECORD_HEARTBEAT = timedelta(seconds=10)
# Nobody waits on a reminder: keep trying until the database is back.
NOTICE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10))
ACTIVITY_TIMEOUT = timedelta(seconds=30)
# The deadlines an extension moves when the policy says so: those before the review, never past the review deadline,
# when the cycle takes every appraisal's predicate for calibration. The review, the calibration and the sign-off keep
# the cycle's dates; the objection windows run from their own step.
SHIFTED_BY_EXTENSIONS = frozenset({Step.SKP_DRAFTING, Step.SKP_APPROVAL, Step.SELF_ASSESSMENT})


class AppraisalBase:
    """What every step of an appraisal goes through; AppraisalWorkflow sets these attributes in its constructor."""

    _input: AppraisalInput
    _s: AppraisalState
    _lock: asyncio.Lock  # one step at a time: handlers and timers interleave at every await
    _wake: int  # bumped whenever the step, the deadline or a buffered decision changes
    _keeps_penilai: bool  # the run keeps KinerjaPenilai up to date (started with it, 0.3)
    _keeps_progress: bool  # the run keeps its step, assignee and deadline in search attributes (before 0.4)

    def _deadlines(self) -> Deadlines:
        """The cycle's deadlines: as last counted again on a change of working days (workflows.appraisal_changes),
        else as the appraisal started with them."""
        return self._s.deadlines if self._s.deadlines is not None else self._input.deadlines

    def _check(self, plan: Callable[[], Change], command: object) -> None:
        """The validator of every update: refuse before the update is accepted, so nothing enters history. The bounds
        on what was sent (workflows.admission) are checked here only, never by the handler's plan: see there why."""
        try:
            admit(command, self._years(), self._deadlines().utc_offset_hours)
            plan()
        except (DomainError, ValidationError) as error:
            raise rejection(error) from None

    def _years(self) -> tuple[int, int]:
        """The first and last year a date sent to this appraisal may fall in (domain.bounds.appraisal_years)."""
        deadlines = self._deadlines()
        return appraisal_years(self._s.period, deadlines.start.year, deadlines.sign_off_due.year)

    async def _handle(self, plan: Callable[[], Change]) -> AppraisalSummary:
        async with self._lock:
            try:
                # Checked again: another update may have moved the appraisal on since the validator ran.
                change = plan()
            except (DomainError, ValidationError) as error:
                raise rejection(error) from None
            await self._record(change)
        return self._reply()

    async def _record(self, change: Change) -> None:
        """A person's step (an Update, under the lock): recorded and applied, or the Update fails with the reason."""
        try:
            await self._commit(change)
        except ActivityError as error:
            # The database refused the step (a business rule, data it cannot store; or, on the code before 0.6, it
            # stayed unreachable through every retry): the update fails with the reason, nothing was written and the
            # appraisal stays where it was.
            raise update_failed("langkah tidak tercatat", error) from None

    def _reply(self) -> AppraisalSummary:
        # Every Update's answer is stored in history: where the appraisal stands and the step just recorded, not the
        # whole state (its SKP, realisations and review in each answer were half of a year's history; the whole
        # timeline would grow it with the square of the steps). The `state` query has it all.
        return summary_of(self._s)

    def _authorise(self, actor: Actor, action: Action, reason: str | None) -> Change:
        """Who may do `action` now: the right person in the right role at the right step, or DomainError."""
        on_behalf = actor.role in TAKE_OVER_ROLES
        self._check_identity(actor)
        to = transition(self._s.step, action, actor.role, on_behalf=on_behalf)
        change = Change(action=action.value, to=to, actor=actor.nip, role=actor.role)
        if on_behalf:
            change.on_behalf_of = self._s.employee_nip
            change.reason = required_text(reason, "alasan", f"alasan pengambilalihan '{action.label}'")
        return change

    def _manage(self, actor: Actor, action: str, reason: str) -> Change:
        if actor.role not in MANAGER_ROLES:
            raise DomainError(
                f"hanya {Role.PENGAWASAN.label} atau {Role.PENGELOLA_KINERJA.label} yang dapat"
                f" {'memperpanjang batas waktu' if action == EXTEND_DEADLINE else 'mengalihkan pejabat penilai'},"
                f" bukan {actor.role.label}",
                field="peran",
            )
        self._check_identity(actor)
        text = required_text(reason, "alasan", "alasan")
        return Change(action=action, to=self._s.step, actor=actor.nip, role=actor.role, reason=text)

    def _check_identity(self, actor: Actor) -> None:
        people = self._people(actor.role)
        if actor.nip not in people:
            who = ", ".join(people) if people else "belum ditetapkan"
            raise DomainError(
                f"NIP {actor.nip} bukan {actor.role.label} pada penilaian kinerja pegawai {self._s.employee_nip}"
                f" periode {self._s.period} ({actor.role.label}: {who})",
                field="pelaku",
            )

    def _people(self, role: Role) -> list[str]:
        s = self._s
        if role is Role.PEGAWAI:
            return [s.employee_nip]
        if role is Role.PENILAI:
            return [s.penilai_nip]
        if role is Role.ATASAN_PENILAI:
            return [s.atasan_nip] if s.atasan_nip else []
        officials = s.officials  # as the cycle last changed them, else as the appraisal started
        if role is Role.PENGAWASAN:
            return list(officials.supervision_team if officials else self._input.supervision_team)
        if role is Role.PENGELOLA_KINERJA:
            return list(officials.pengelola_kinerja if officials else self._input.pengelola_kinerja)
        return []  # the system acts through timers and signals, never through an update

    def _skp(self) -> Skp:
        if self._s.skp is None:
            raise DomainError("SKP belum diajukan", field="skp")
        return self._s.skp

    def _year_skp(self) -> tuple[Skp, dict[str, int] | None]:
        """What the self-assessment realises and the suggestion weighs: every version's RHKs, with each RHK's days
        in force when the SKP changed during the year (None: a single version, nothing weighed)."""
        s = self._s
        current = self._skp()
        weights = year_weights(s.period, current, s.skp_from, s.skp_versions)
        return year_skp(current, s.skp_versions), weights or None

    def _current_predicate(self) -> Predicate:
        if self._s.predicate is None:
            raise DomainError("predikat kinerja belum ditetapkan", field="predikat")
        return self._s.predicate

    async def _commit(self, change: Change, retry: RetryPolicy = RECORD_RETRY) -> None:
        """Record the change through the activity, then apply it; a failed recording leaves the state untouched."""
        s = self._s
        now = workflow.now()
        seq = s.step_seq + 1
        moves = change.to is not s.step
        returns = s.skp_returns + (1 if change.action == Action.RETURN_SKP.value else 0)
        notify = change.notify
        if notify is None:
            notify = self._notify_on_entering(change.to) if moves else []
        entered = self._deadline_for(change.to, now, returns) if moves else None
        deadline = change.notice_deadline or change.entered_deadline or entered
        # A failed attempt still uses up its number: a later attempt of another step never meets this key.
        s.step_seq = seq
        # The Update's id when a person acts: every attempt of the write carries it, so a retried write (the worker
        # died after it wrote, before Temporal heard) finds the step written; so did an Update redelivered after the
        # worker died before accepting it, on the code before 0.6 (_record_person_step). With the run,
        # as the notices' keys: a run reset to an earlier point (which may apply the same Updates again, and numbers
        # its system steps again) must not find the abandoned branch's records and skip writing its own.
        update = workflow.current_update_info()
        key = f"{s.workflow_id}/{workflow.info().run_id}/{update.id if update else seq}-{change.action}"
        step = RecordStep(
            workflow_id=s.workflow_id,
            idempotency_key=key,
            instansi_code=s.instansi_code,
            period=s.period,
            employee_nip=s.employee_nip,
            employee_name=s.employee_name,
            actor=change.actor,
            actor_role=change.role,
            on_behalf_of=change.on_behalf_of,
            action=change.action,
            reason=change.reason,
            step_from=s.step,
            step_to=change.to,
            occurred_at=now,
            before={"step": s.step.value, "predicate": predicate_value(s.predicate)},
            after={"step": change.to.value, **change.after},
            skp=change.skp,
            skp_status=change.skp_status,
            closed_skp=change.closed_skp,
            policy_version=self._input.policy.version,
            review=change.review,
            review_change=change.review_change,
            notify=notify,
            next_deadline=deadline,
            work=self._work_after(change, now, returns),
            utc_offset_hours=self._deadlines().utc_offset_hours,
        )
        if retry is RECORD_RETRY:
            await self._record_person_step(step, seq)
        else:  # a system step (calibration, the window closing): nobody waits, the retries may last hours
            await workflow.execute_activity_method(
                AppraisalActivities.record_step, step, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=retry
            )
        self._wake += 1  # the main loop looks again: a new deadline, or a history long enough to continue as new
        step_from = s.step
        change.apply()
        self._log(change.actor, change.role, change.action, step_from, change.to, change.on_behalf_of, change.reason)
        if moves:
            self._enter(change.to, now, deadline=change.entered_deadline)
        if change.to is Step.FINAL:
            s.finished_at = now

    async def _record_person_step(self, step: RecordStep, seq: int) -> None:
        """Write a person's step (an Update's) to the database: only once Temporal has accepted the Update.

        The handler runs in the workflow task that accepts the Update, and the acceptance is durable only when that
        task completes. A local activity wrote the step inside it (0.2 to 0.5): when the task was lost (the worker
        killed right after the write, the server killed, a task that failed), the Update was never accepted, the
        database kept a step the workflow never took, and the person's retry wrote it a second time. A regular
        activity is scheduled by the task that accepts the Update, so it runs only once the acceptance is in history;
        from then on the step is taken, and every attempt writes under the same key until one is acknowledged.
        """
        if workflow.patched(RECORD_AFTER_ACCEPTANCE) or workflow.patched(f"{RECORD_AFTER_ACCEPTANCE}-{seq}"):
            # The first id marks a run whose first person's step is on this code (patched() answers once per run);
            # a run that took one on older code replays those as they ran and marks each step from here with its own.
            await workflow.execute_activity_method(
                AppraisalActivities.record_step,
                step,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                heartbeat_timeout=RECORD_HEARTBEAT,
                retry_policy=RECORD_ACCEPTED_RETRY,
            )
        elif workflow.patched(RECORD_STEP_LOCALLY):  # steps taken on 0.2 to 0.5 replay as they ran
            await workflow.execute_local_activity_method(
                AppraisalActivities.record_step,
                step,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
        else:  # and steps taken before 0.2
            await workflow.execute_activity_method(
                AppraisalActivities.record_step,
                step,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )

    def _notify_on_entering(self, step: Step) -> list[str]:
        if step is Step.FINAL:
            return list(dict.fromkeys([self._s.employee_nip, self._s.penilai_nip]))
        return self._assignees_for(step)

    def _checkpoints(self) -> list[Checkpoint]:
        """The reminders and escalations of the current step's deadline (domain.escalation)."""
        s = self._s
        assert s.deadline is not None and s.deadline_set_at is not None
        deadlines = self._deadlines()
        return checkpoints(
            s.deadline, s.deadline_set_at, self._input.policy.escalation, deadlines.workdays, deadlines.utc_offset_hours
        )

    def _deadline_for(
        self, step: Step, now: datetime, returns: int, deadlines: Deadlines | None = None
    ) -> datetime | None:
        """When `step`, entered at `now`, is due on the cycle's calendar (`deadlines`: another than the current one),
        with the later deadlines an extension moved."""
        deadlines = deadlines or self._deadlines()
        if step is Step.SKP_CHANGE_APPROVAL:  # counted from the proposal (CalendarPolicy.skp_change_approval_days)
            days = self._input.policy.calendar.skp_change_approval_days
            return moved(deadlines.workdays, now, days, zone_of(deadlines.utc_offset_hours))
        found = deadlines.for_step(step, now, redraft=returns > 0)
        if found is None or not self._s.deadline_shift or step not in SHIFTED_BY_EXTENSIONS:
            return found
        later = moved(deadlines.workdays, found, self._s.deadline_shift, zone_of(deadlines.utc_offset_hours))
        return min(later, max(found, deadlines.review_due))

    def _enter(self, step: Step, now: datetime, *, sync: bool = True, deadline: datetime | None = None) -> None:
        """Enter `step`: due by the calendar, or by `deadline` where the step's plan set another (the self-assessment
        resumed after a change of SKP keeps its own: workflows.appraisal_skp)."""
        s = self._s
        s.step, s.stage, s.step_entered_at = step, step.stage, now
        s.assignees = self._assignees_for(step)
        calendar = self._deadline_for(step, now, s.skp_returns)
        self._set_deadline(deadline or calendar, now, sync=sync)
        # The calendar's deadline, which a recount may move; or one the plan set, which a recount leaves.
        s.deadline_extended = deadline is not None and deadline != calendar

    def _set_deadline(self, deadline: datetime | None, now: datetime, *, sync: bool = True) -> None:
        s = self._s
        s.deadline, s.deadline_set_at = deadline, now if deadline else None
        s.checkpoints_done, s.overdue, s.escalation_level = 0, False, 0
        self._wake += 1
        if sync:
            self._sync_search_attributes()

    def _assignees_for(self, step: Step, reassigned: Change | None = None) -> list[str]:
        """Who must act at `step`: as the appraisal stands, or as `reassigned` (a reassignment or a change of the
        cycle's officials) will leave it."""
        role = step.responsible
        if role is Role.SYSTEM:
            if step is not Step.AWAITING_CALIBRATION:
                return []
            if reassigned is not None and reassigned.officials is not None:
                return list(reassigned.officials.pengelola_kinerja)
            return self._people(Role.PENGELOLA_KINERJA)
        if reassigned is not None and role is Role.PENILAI and reassigned.penilai_nip:
            return [reassigned.penilai_nip]
        if reassigned is not None and role is Role.ATASAN_PENILAI and reassigned.atasan_nip:
            return [reassigned.atasan_nip]
        return self._people(role)

    def _work_item(self) -> WorkItem:
        """Where the appraisal stands now, for the worklist."""
        s = self._s
        return self._entry(
            s.step, s.penilai_nip, s.assignees, s.deadline, s.overdue, s.escalation_level, workflow.now()
        )

    def _work_after(self, change: Change, now: datetime, returns: int) -> WorkItem:
        """Where the appraisal will stand once `change` is applied (as `_enter`, `_set_deadline` and the reassignment
        leave it), so the step and the worklist are written in one transaction before the change is applied."""
        s = self._s
        if change.to is not s.step:  # entering a step: its deadline, nothing overdue yet
            deadline, overdue, level = change.entered_deadline or self._deadline_for(change.to, now, returns), False, 0
        elif change.action == EXTEND_DEADLINE:  # a new deadline for the same step
            deadline, overdue, level = change.notice_deadline, False, 0
        elif change.action == CHANGE_CALENDAR and change.notice_deadline is not None:  # moved, not yet reached
            deadline, overdue, level = change.notice_deadline, s.overdue, s.escalation_level
        else:
            deadline, overdue, level = s.deadline, s.overdue, s.escalation_level
        penilai, assignees = change.penilai_nip or s.penilai_nip, self._assignees_for(change.to, change)
        entry = self._entry(change.to, penilai, assignees, deadline, overdue, level, now)
        return entry.model_copy(update={"atasan_nip": change.atasan_nip or s.atasan_nip})

    def _entry(
        self,
        step: Step,
        penilai_nip: str,
        assignees: list[str],
        deadline: datetime | None,
        overdue: bool,
        escalation_level: int,
        at: datetime,
    ) -> WorkItem:
        s = self._s
        return WorkItem(
            workflow_id=s.workflow_id,
            cycle_id=s.cycle_id,
            instansi_code=s.instansi_code,
            unit_code=s.unit_code,
            employee_nip=s.employee_nip,
            penilai_nip=penilai_nip,
            step=step,
            assignee=listed_assignee(step, assignees),
            deadline=deadline,
            overdue=overdue,
            escalation_level=escalation_level,
            recorded_at=at,
            atasan_nip=s.atasan_nip,
        )

    def _sync_search_attributes(self) -> None:
        s = self._s
        values = search_attributes.desired(
            cycle_id=s.cycle_id,
            instansi_code=s.instansi_code,
            unit_code=s.unit_code,
            employee_nip=s.employee_nip,
            stage=s.stage.value,
            step=s.step.value,
            assignee=listed_assignee(s.step, s.assignees),
            penilai=s.penilai_nip if self._keeps_penilai else None,
            overdue=s.overdue,
            escalation_level=s.escalation_level,
            deadline=s.deadline,
            progress=self._keeps_progress,
        )
        updates = search_attributes.changes(values, workflow.info().typed_search_attributes)
        if updates:
            workflow.upsert_search_attributes(updates)

    def _log(
        self,
        actor: str,
        role: Role,
        action: str,
        step_from: Step,
        step_to: Step,
        on_behalf_of: str | None = None,
        reason: str | None = None,
        note: str | None = None,
    ) -> None:
        self._s.timeline.append(
            TimelineEvent(
                at=workflow.now(),
                actor=actor,
                role=role,
                action=action,
                step_from=step_from,
                step_to=step_to,
                on_behalf_of=on_behalf_of,
                reason=reason,
                note=note,
            )
        )


def required_text(text: str | None, field: str, what: str) -> str:
    cleaned = (text or "").strip()
    if len("".join(cleaned.split())) < MIN_REASON_CHARS:
        raise DomainError(f"{what} wajib diisi, paling sedikit {MIN_REASON_CHARS} karakter selain spasi", field=field)
    return cleaned


def predicate_value(predicate: Predicate | None) -> str | None:
    return predicate.value if predicate else None


def update_failed(what: str, error: ActivityError) -> ApplicationError:
    """An Update's failure with the activity's own reason (its type, for programs), e.g. 'langkah tidak tercatat'."""
    cause = error.cause if isinstance(error.cause, ApplicationError) else None
    return ApplicationError(
        f"{what}: {cause.message if cause else error}",
        type=cause.type if cause and cause.type else "RecordStepFailed",
        non_retryable=True,
    )
