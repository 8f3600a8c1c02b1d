"""One employee's development plan after a final predicate that calls for one (tindak lanjut, domain.development).

Started by the appraisal as it ends (a child it abandons: the plan outlives the appraisal, and the year's result is
final without it). The penilai sends the plan through the `send_plan` Update, the employee agrees (`agree_plan`) or
asks for a change (`ask_plan_change`), and the supervision team may give it another penilai (`reassign_plan`: the one
it names left or cannot act); each Update's validator checks the actor and the step before anything enters
history, and the handler writes the step (the plan's row, the audit entry, a notice to whoever acts next) through an
activity once Temporal has accepted it, as the appraisal's steps are written. Each step has its deadline in the
cycle's working days (FollowUpPolicy), with the reminders and escalation of the instansi's EscalationPolicy: the main
loop sleeps until the next checkpoint, waking early when the step changes. It ends when the plan is agreed.

The history stays small: a plan sent twice, changed once and escalated twice is about a hundred events.
"""

# As in workflows/appraisal.py: no `from __future__ import annotations` in a workflow module.
import asyncio
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.development_plan import DevelopmentPlanActivities
    from domain.development import (
        PlanAction,
        PlanRecord,
        PlanStep,
        check_reviewers,
        checked_plan,
        checked_reason,
        transition,
    )
    from domain.errors import DomainError
    from domain.escalation import Checkpoint
    from domain.policy import EscalationPolicy
    from domain.stages import Role
    from domain.workdays import WorkdayTable, moved, zone_of
    from workflows.appraisal_base import ACTIVITY_TIMEOUT, NOTICE_RETRY

    # A step Temporal has accepted is written however long the database is away; only a refusal fails the Update.
    from workflows.appraisal_base import RECORD_ACCEPTED_RETRY as RECORD_RETRY
    from workflows.contracts import SYSTEM, Actor, NoticeKind
    from workflows.deadline_steps import DeadlineSteps, notice_of
    from workflows.plan_contracts import (
        WORKFLOW_NAME,
        AgreePlan,
        AskPlanChange,
        DevelopmentPlanInput,
        DevelopmentPlanState,
        PlanNotice,
        ReassignPlan,
        RecordPlanStep,
        SendPlan,
    )
    from workflows.rejections import rejection


@workflow.defn(name=WORKFLOW_NAME)
class DevelopmentPlanWorkflow(DeadlineSteps):
    @workflow.init
    def __init__(self, input: DevelopmentPlanInput) -> None:
        self._input = input
        self._lock = asyncio.Lock()
        self._wake = 0
        now = workflow.now()
        record = PlanRecord(
            workflow_id=workflow.info().workflow_id,
            cycle_id=input.cycle_id,
            instansi_code=input.instansi_code,
            period=input.period,
            unit_code=input.unit_code,
            employee_nip=input.employee_nip,
            employee_name=input.employee_name,
            penilai_nip=input.penilai_nip,
            atasan_nip=input.atasan_nip,
            predicate=input.predicate,
            assignee_nip=input.penilai_nip,
            deadline=self._due(now, input.follow_up.plan_working_days),
            opened_at=now,
        )
        self._s = DevelopmentPlanState(record=record, deadline_set_at=now)

    @workflow.run
    async def run(self, input: DevelopmentPlanInput) -> DevelopmentPlanState:
        async with self._lock:
            await self._write(
                RecordPlanStep(
                    idempotency_key=f"{self._key()}/opened",
                    record=self._s.record,
                    action="plan.opened",
                    step_from=PlanStep.DRAFTING,
                    actor=SYSTEM,
                    actor_role=Role.SYSTEM,
                    reason=f"predikat akhir {input.predicate.label}",
                    occurred_at=self._s.record.opened_at,
                    notify=[input.penilai_nip, input.employee_nip],
                    utc_offset_hours=input.utc_offset_hours,
                ),
                NOTICE_RETRY,
            )
        while self._s.record.step is not PlanStep.AGREED:
            await self._until_next_change()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._s

    # --- reads and Updates -----------------------------------------------------------------------------------------

    @workflow.query
    def state(self) -> DevelopmentPlanState:
        return self._s

    @workflow.update
    async def send_plan(self, cmd: SendPlan) -> DevelopmentPlanState:
        return await self._handle(lambda: self._plan_send(cmd))

    @send_plan.validator
    def _check_send(self, cmd: SendPlan) -> None:
        self._check(lambda: self._plan_send(cmd))

    @workflow.update
    async def agree_plan(self, cmd: AgreePlan) -> DevelopmentPlanState:
        return await self._handle(lambda: self._plan_agree(cmd))

    @agree_plan.validator
    def _check_agree(self, cmd: AgreePlan) -> None:
        self._check(lambda: self._plan_agree(cmd))

    @workflow.update
    async def ask_plan_change(self, cmd: AskPlanChange) -> DevelopmentPlanState:
        return await self._handle(lambda: self._plan_ask_change(cmd))

    @ask_plan_change.validator
    def _check_ask_change(self, cmd: AskPlanChange) -> None:
        self._check(lambda: self._plan_ask_change(cmd))

    @workflow.update
    async def reassign_plan(self, cmd: ReassignPlan) -> DevelopmentPlanState:
        return await self._handle(lambda: self._plan_reassign(cmd))

    @reassign_plan.validator
    def _check_reassign(self, cmd: ReassignPlan) -> None:
        self._check(lambda: self._plan_reassign(cmd))

    # --- the steps -------------------------------------------------------------------------------------------------

    def _plan_send(self, cmd: SendPlan) -> RecordPlanStep:
        record = self._s.record
        self._identity(cmd.actor)
        to = transition(record.step, PlanAction.SEND, cmd.actor.role)
        now = workflow.now()
        today = now.astimezone(zone_of(self._input.utc_offset_hours)).date()
        sent = cmd.plan
        plan = checked_plan(sent.coaching, sent.competency, sent.training, sent.target_date, today=today)
        after = record.model_copy(
            update={
                "step": to,
                "plan": plan,
                "assignee_nip": record.employee_nip,
                "deadline": self._due(now, self._input.follow_up.agreement_working_days),
                "overdue": False,
                "escalation_level": 0,
            }
        )
        return self._step(after, PlanAction.SEND, cmd.actor, None, now, notify=[record.employee_nip])

    def _plan_agree(self, cmd: AgreePlan) -> RecordPlanStep:
        record = self._s.record
        self._identity(cmd.actor)
        to = transition(record.step, PlanAction.AGREE, cmd.actor.role)
        now = workflow.now()
        after = record.model_copy(
            update={"step": to, "assignee_nip": None, "deadline": None, "overdue": False, "agreed_at": now}
        )
        return self._step(after, PlanAction.AGREE, cmd.actor, None, now, notify=[record.penilai_nip])

    def _plan_ask_change(self, cmd: AskPlanChange) -> RecordPlanStep:
        record = self._s.record
        self._identity(cmd.actor)
        to = transition(record.step, PlanAction.ASK_CHANGE, cmd.actor.role, change_requests=record.change_requests)
        reason = checked_reason(cmd.reason)
        now = workflow.now()
        after = record.model_copy(
            update={
                "step": to,
                "assignee_nip": record.penilai_nip,
                "deadline": self._due(now, self._input.follow_up.plan_working_days),
                "overdue": False,
                "escalation_level": 0,
                "change_requests": record.change_requests + 1,
                "change_reason": reason,
            }
        )
        return self._step(after, PlanAction.ASK_CHANGE, cmd.actor, reason, now, notify=[record.penilai_nip])

    def _plan_reassign(self, cmd: ReassignPlan) -> RecordPlanStep:
        """Another penilai (and atasan) for the plan: whoever must act next at the penilai's step is the new one, with
        the step's full time from now; the employee's step keeps its deadline."""
        record = self._s.record
        transition(record.step, PlanAction.REASSIGN, cmd.actor.role)  # the supervision team, before it is agreed
        if cmd.actor.nip not in self._input.supervision_team:
            raise DomainError(f"NIP {cmd.actor.nip} bukan tim pengawasan siklus ini", field="peran")
        atasan = cmd.atasan_nip or record.atasan_nip
        check_reviewers(record.employee_nip, cmd.penilai_nip, atasan)
        if (cmd.penilai_nip, atasan) == (record.penilai_nip, record.atasan_nip):
            raise DomainError("pejabat penilai dan atasannya sudah itu; tidak ada yang diubah", field="penilai_nip")
        reason = checked_reason(cmd.reason)
        now = workflow.now()
        update: dict[str, object] = {"penilai_nip": cmd.penilai_nip, "atasan_nip": atasan}
        if record.step is PlanStep.DRAFTING:
            update |= {
                "assignee_nip": cmd.penilai_nip,
                "deadline": self._due(now, self._input.follow_up.plan_working_days),
                "overdue": False,
                "escalation_level": 0,
            }
        after = record.model_copy(update=update)
        return self._step(after, PlanAction.REASSIGN, cmd.actor, reason, now, notify=[cmd.penilai_nip])

    def _identity(self, actor: Actor) -> None:
        """The actor holds the role they claim on this plan: the penilai, or the employee."""
        record = self._s.record
        holder = {Role.PENILAI: record.penilai_nip, Role.PEGAWAI: record.employee_nip}.get(actor.role)
        if holder != actor.nip:
            raise DomainError(f"NIP {actor.nip} bukan {actor.role.label} pada rencana pengembangan ini", field="peran")

    def _step(
        self, after: PlanRecord, action: PlanAction, actor: Actor, reason: str | None, now: datetime, notify: list[str]
    ) -> RecordPlanStep:
        update = workflow.current_update_info()
        key = f"{self._key()}/{update.id if update is not None else action.value}"
        return RecordPlanStep(
            idempotency_key=key,
            record=after,
            action=action.value,
            step_from=self._s.record.step,
            actor=actor.nip,
            actor_role=actor.role,
            reason=reason,
            occurred_at=now,
            notify=notify,
            utc_offset_hours=self._input.utc_offset_hours,
        )

    async def _handle(self, plan: Callable[[], RecordPlanStep]) -> DevelopmentPlanState:
        async with self._lock:
            try:
                step = plan()
            except (DomainError, ValidationError) as error:
                raise rejection(error) from None
            await self._write(step, RECORD_RETRY)
            changed = step.record.step is not self._s.record.step or step.action == PlanAction.SEND.value
            # A new penilai at their step starts with its full time: the checkpoints count from now.
            changed |= step.action == PlanAction.REASSIGN.value and step.record.deadline != self._s.record.deadline
            self._s = self._s.model_copy(
                update={
                    "record": step.record,
                    "deadline_set_at": step.occurred_at if changed else self._s.deadline_set_at,
                    "checkpoints_done": 0 if changed else self._s.checkpoints_done,
                }
            )
            self._wake += 1
        return self._s

    async def _write(self, step: RecordPlanStep, retry: RetryPolicy) -> None:
        await workflow.execute_activity_method(
            DevelopmentPlanActivities.record,
            step,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=retry,
        )

    # --- deadlines -------------------------------------------------------------------------------------------------

    def _due(self, now: datetime, working_days: int) -> datetime:
        return moved(self._input.workdays, now, working_days, zone_of(self._input.utc_offset_hours))

    def _deadline(self) -> tuple[datetime | None, datetime]:
        return self._s.record.deadline, self._s.deadline_set_at

    def _checkpoints_done(self) -> int:
        return self._s.checkpoints_done

    def _timing(self) -> tuple[EscalationPolicy, WorkdayTable | None, int | None]:
        return self._input.escalation, self._input.workdays, self._input.utc_offset_hours

    async def _notify(self, point: Checkpoint, index: int, now: datetime) -> None:
        record = self._s.record
        if record.step is PlanStep.AGREED:
            return
        kind, recipients = notice_of(
            point,
            assignee=record.assignee_nip,
            role=record.step.responsible,
            penilai=record.penilai_nip,
            atasan=record.atasan_nip,
            superiors=self._input.superiors,
            team=self._input.supervision_team,
        )
        after = record
        if kind is NoticeKind.ESCALATION:
            after = record.model_copy(update={"overdue": True, "escalation_level": point.level})
        seq = self._s.notice_seq + 1
        await workflow.execute_activity_method(
            DevelopmentPlanActivities.send_notice,
            PlanNotice(
                idempotency_key=f"{self._key()}/notice-{seq}-{kind.value}",
                record=after,
                kind=kind,
                level=point.level,
                recipients=recipients,
                occurred_at=now,
                utc_offset_hours=self._input.utc_offset_hours,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=NOTICE_RETRY,
        )
        self._s = self._s.model_copy(update={"record": after, "checkpoints_done": index + 1, "notice_seq": seq})

    def _key(self) -> str:
        # With the run: a run reset to an earlier point must not find the abandoned branch's records under its keys.
        return f"{self._s.record.workflow_id}/{workflow.info().run_id}"
