"""Activities of the cycle workflow: enrol a page of employees, compute the survey index, summarise and calibrate,
remind the pimpinan of the calibration deadline and escalate it, push the calibration to every appraisal, and build
the closing report; record a change of the cycle's officials and push it to every running appraisal.

Messages to many appraisals (starting them, the calibration result) go out from here in bounded concurrent batches
with heartbeats — never as thousands of commands in the cycle's history. A retried push resumes from the last
heartbeat; starting an appraisal or sending it its calibration Update twice is harmless (the workflow id is cycle +
NIP, and the Update's id is the cycle's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from temporalio import activity
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.errors import business_errors
from domain.audit_chain import AuditAnchor
from domain.calibration import FinalPredicate
from domain.worklist import WorklistQuery
from persistence.ports import AbstractUnitOfWork
from services import audit_chain, calendar_record, calibration_store, cycles, officials_record, worklist, worklist_sync
from services.appraisals import CycleRequest, PlanPage, nip_of_planned, plan_page, record_calendar
from workflows.appraisal import AppraisalWorkflow
from workflows.calendar_contracts import ApplyCalendar, PushCalendar, RecordCalendar, RecordedCalendar
from workflows.calibration import CalibrationClosed
from workflows.contracts import (
    ApplyCalibration,
    ApplyOfficials,
    AppraisalInput,
    RecordStepResult,
    appraisal_workflow_id,
)
from workflows.cycle_contracts import (
    ANCHOR_ACTIVITY,
    SKIPPED_SHOWN,
    AnchorRequest,
    CalibrationNotice,
    CalibrationOutcome,
    CalibrationView,
    CycleInput,
    CycleRef,
    CycleReport,
    DecideRequest,
    EnrolBatch,
    EnrolBatchResult,
    PrepareCycle,
    ProposeRequest,
    PushOfficials,
    PushRequest,
    RecordOfficials,
    ReportRequest,
    Skipped,
    SurveyRequest,
    UnitIkm,
    UnitPredicates,
    UpkeepRun,
    WorklistUpkept,
)

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
# temporal_client.start_appraisal, injected by worker.py: start one appraisal, or find it running.
StartAppraisal = Callable[..., Awaitable[object]]
T = TypeVar("T")
CONCURRENCY = 50  # starts in flight at once from one enrolment page
# Updates in flight at once from one push (calibration, officials, calendar). A push shares the worker with people's
# steps, and its Updates queue with theirs: at 50 in flight, a person's step during the calibration push of the
# 1,000-employee year (issue 21) waited 4.85 times its p99 in a quiet phase. The worker's CPU bounds the push, not
# the calls in flight: with 10, the next run's push took 69 s for 999 appraisals, and people's steps during it had
# a p99 below the review's at the same load (docs/benchmarks.md; 10 and 50 not yet measured apart on one machine).
PUSH_CONCURRENCY = 10
REPORT_SYNC_BUDGET = 120.0  # seconds the report spends checking open entries (its activity has five minutes)
RESEND_PAUSE = 1.0  # seconds before an Update whose answer outwaited its call is sent again
HEARTBEAT_EVERY = 10.0  # seconds between heartbeats while a page is planned or pushed (the workflow allows a minute)


class CycleActivities:
    """Built once by the worker with the unit-of-work factory, the Temporal client and how to start an appraisal."""

    def __init__(self, uow_factory: UnitOfWorkFactory, client: Client, start_appraisal: StartAppraisal) -> None:
        self._uow_factory = uow_factory
        self._client = client
        self._start_appraisal = start_appraisal

    @activity.defn(name="cycle.enrol_batch")
    async def enrol_batch(self, batch: EnrolBatch) -> EnrolBatchResult:
        """Plan and start one page of the cycle: the active employees after the previous page's last NIP. Nothing is
        kept between pages, so a worker's memory does not grow with the instansi and any worker can take the next."""
        with business_errors():
            page = await _heartbeating(asyncio.to_thread(self._plan_page, batch))
        inputs = page.plan.inputs
        started: list[AppraisalInput] = []
        closed = 0

        async def start(index: int) -> None:
            nonlocal closed
            try:
                await self._start_appraisal(self._client, inputs[index], task_queue=batch.task_queue)
                started.append(inputs[index])
            except WorkflowAlreadyStartedError:  # closed already: not started again, not listed again
                closed += 1

        await _in_batches(len(inputs), start)
        # The first worklist entries of those running (a retried page writes the rest); an entry a step or an
        # escalation of theirs wrote meanwhile is kept.
        await _thread(lambda: worklist.enrol(self._uow_factory, started))
        next_offset = batch.offset + page.read
        # A full page may have more after it, whatever the count says now (people leave while a cycle enrols); a short
        # one was the last.
        total = max(page.in_scope, next_offset + 1) if page.read == batch.limit else next_offset
        skipped = page.plan.skipped
        return EnrolBatchResult(
            total=total,
            next_offset=next_offset,
            last_nip=page.last_nip,
            paged=True,
            started=len(started),
            already_closed=closed,
            skipped=[Skipped(nip=s.nip, name=s.name, reason=s.reason) for s in skipped[:SKIPPED_SHOWN]],
            skipped_count=len(skipped),
        )

    def _plan_page(self, batch: EnrolBatch) -> PlanPage:
        request = CycleRequest(
            cycle_id=batch.cycle_id,
            instansi_code=batch.instansi_code,
            period=batch.period,
            deadlines=batch.deadlines,
            supervision_team=batch.supervision_team,
            pengelola_kinerja=batch.pengelola_kinerja,
        )
        after = batch.after_nip
        if after is None and batch.offset > 0:
            # The cycle began enrolling before pages had a cursor: its offset counts the planned employees only.
            after = nip_of_planned(self._uow_factory, request, batch.offset)
        page = plan_page(self._uow_factory, request, after=after, limit=batch.limit)
        if batch.offset == 0:  # the cycle's first page records its calendar (services.appraisals.record_calendar)
            record_calendar(self._uow_factory, request, page.plan.deadlines, page.plan.policy)
        return page

    @activity.defn(name="cycle.prepare")
    async def prepare(self, request: PrepareCycle) -> CycleInput:
        """The input of the cycle a schedule starts: the period's deadlines under the instansi's policy now."""
        return await _thread(lambda: cycles.prepare(self._uow_factory, request))

    @activity.defn(name=ANCHOR_ACTIVITY)
    async def anchor_audit(self, request: AnchorRequest) -> AuditAnchor:
        """The audit chains' heads now: returned into the cycle's history, where the database's owner cannot reach."""
        return await _thread(lambda: audit_chain.anchor_now(self._uow_factory, request.label))

    @activity.defn(name="cycle.survey")
    async def survey(self, request: SurveyRequest) -> list[UnitIkm]:
        return await _thread(lambda: cycles.survey_by_unit(self._uow_factory, request, request.populations))

    @activity.defn(name="cycle.predicates")
    async def predicates(self, ref: CycleRef) -> list[UnitPredicates]:
        return await _thread(lambda: cycles.predicates_by_unit(self._uow_factory, ref))

    @activity.defn(name="cycle.propose")
    async def propose(self, request: ProposeRequest) -> CalibrationView:
        return await _thread(lambda: calibration_store.propose(self._uow_factory, request, request.request))

    @activity.defn(name="cycle.decide")
    async def decide(self, request: DecideRequest) -> CalibrationOutcome:
        return await _thread(
            lambda: calibration_store.decide(self._uow_factory, request, request.decision, request.key)
        )

    @activity.defn(name="cycle.send_notice")
    async def send_notice(self, notice: CalibrationNotice) -> RecordStepResult:
        """A calibration reminder or escalation into the audit log and the outbox; a retry writes nothing twice."""
        return await _thread(lambda: calibration_store.send_calibration_notice(self._uow_factory, notice))

    @activity.defn(name="cycle.push_calibration")
    async def push_calibration(self, request: PushRequest) -> int:
        """Have every employee of the locked decision take up their result: the `apply_calibration` Update, which
        reads the predicate from the database (workflows/calibration.py). Resumes after the last heartbeat when
        retried; the Update's id is the cycle's, so an appraisal that has it already answers with its first result."""
        decision = await _thread(lambda: calibration_store.locked_decision(self._uow_factory, request))
        finals = decision.predicates
        details = activity.info().heartbeat_details
        done = int(details[0]) if details else 0
        already = int(details[1]) if len(details) > 1 else done
        pushed = already
        while done < len(finals):
            page = finals[done : done + request.batch_size]

            async def send(index: int, page: Sequence[FinalPredicate] = page) -> None:
                nonlocal pushed
                if await self._apply_calibration(request.cycle_id, page[index].employee_id):
                    pushed += 1

            await _in_batches(len(page), send, done, pushed, limit=PUSH_CONCURRENCY)
            done += len(page)
            activity.heartbeat(done, pushed)
        return pushed

    async def _apply_calibration(self, cycle_id: str, employee_nip: str) -> bool:
        """Send one appraisal its calibration Update: True once applied or kept, False where it no longer applies
        (the appraisal has ended, or its result was applied already, e.g. by a pengelola kinerja: logged)."""
        handle = self._client.get_workflow_handle_for(
            AppraisalWorkflow.run, appraisal_workflow_id(cycle_id, employee_nip)
        )
        try:
            await _answered(
                lambda: handle.execute_update(
                    AppraisalWorkflow.apply_calibration, ApplyCalibration(), id=f"calibration-{cycle_id}"
                )
            )
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            activity.logger.warning("appraisal closed before calibration", extra={"nip": employee_nip})
            return False
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
            if isinstance(cause, ApplicationError) and cause.type == CalibrationClosed.__name__:
                activity.logger.warning("calibration not applied", extra={"nip": employee_nip, "reason": reason})
            else:  # one appraisal's refusal must not hold up the cycle's others: logged for the operator
                activity.logger.error("calibration refused", extra={"nip": employee_nip, "reason": reason})
            return False
        return True

    @activity.defn(name="cycle.record_officials")
    async def record_officials(self, request: RecordOfficials) -> bool:
        """The audit entry of a change of officials, after checking the actor's grant and the roster."""
        return await _thread(lambda: officials_record.record(self._uow_factory, request))

    @activity.defn(name="cycle.push_officials")
    async def push_officials(self, request: PushOfficials) -> int:
        """Have every running appraisal of the cycle take up the officials last recorded: the `apply_officials`
        Update, which reads them from the database. Returns how many appraisals took it up."""
        update = ApplyOfficials(version=request.version)
        return await self._push(
            request.cycle_id,
            request.batch_size,
            lambda handle: handle.execute_update(
                AppraisalWorkflow.apply_officials, update, id=f"officials-{request.version}"
            ),
            "officials",
        )

    @activity.defn(name="cycle.record_calendar")
    async def record_calendar_change(self, request: RecordCalendar) -> RecordedCalendar:
        """The cycle's deadlines counted again on the instansi's working days now, recorded (an audit entry)."""
        return await _thread(lambda: calendar_record.record(self._uow_factory, request))

    @activity.defn(name="cycle.push_calendar")
    async def push_calendar(self, request: PushCalendar) -> int:
        """Have every running appraisal of the cycle take up the deadlines last recorded: the `apply_calendar`
        Update, which reads them from the database. Returns how many appraisals took it up."""
        update = ApplyCalendar(version=request.version)
        return await self._push(
            request.cycle_id,
            request.batch_size,
            lambda handle: handle.execute_update(
                AppraisalWorkflow.apply_calendar, update, id=f"calendar-{request.version}"
            ),
            "calendar",
        )

    async def _push(
        self,
        cycle_id: str,
        batch_size: int,
        send: Callable[[WorkflowHandle[Any, Any]], Awaitable[object]],
        what: str,
    ) -> int:
        """Send every running appraisal of the cycle (an open worklist entry) one Update, page by page in workflow id
        order, resuming after the last heartbeat's page when retried; the Update's id names the change, so a retry is
        answered with the first result. Returns how many appraisals took it."""
        details = activity.info().heartbeat_details
        after = str(details[0]) if details and details[0] is not None else None
        pushed = int(details[1]) if len(details) > 1 else 0
        query = WorklistQuery(cycle_id=cycle_id)
        while True:
            entries = await _thread(partial(worklist.open_entries, self._uow_factory, query, after, batch_size))
            if not entries:
                return pushed

            async def one(index: int, entries: Sequence[tuple[str, object]] = entries) -> None:
                nonlocal pushed
                if await self._taken_up(entries[index][0], send, what):
                    pushed += 1

            await _in_batches(len(entries), one, after, pushed, limit=PUSH_CONCURRENCY)
            after = entries[-1][0]
            activity.heartbeat(after, pushed)

    async def _taken_up(
        self, workflow_id: str, send: Callable[[WorkflowHandle[Any, Any]], Awaitable[object]], what: str
    ) -> bool:
        """Send one appraisal the change: False where it no longer applies (the appraisal has ended: logged)."""
        handle = self._client.get_workflow_handle_for(AppraisalWorkflow.run, workflow_id)
        try:
            await _answered(lambda: send(handle))
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            activity.logger.warning(
                "appraisal closed before the change", extra={"workflow_id": workflow_id, "what": what}
            )
            return False
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
            # One appraisal's refusal (it ended meanwhile) must not hold up the others: logged for the operator.
            activity.logger.warning(
                "change not applied", extra={"workflow_id": workflow_id, "what": what, "reason": reason}
            )
            return False
        return True

    @activity.defn(name="cycle.report")
    async def report(self, request: ReportRequest) -> CycleReport:
        predicates = await self.predicates(request)
        survey = request.survey
        if survey is None:  # a run started before the report was given the IKM of the close: compute, keep as it was
            survey = await _thread(
                lambda: cycles.survey_by_unit(self._uow_factory, request, request.populations, record=False)
            )
        counts = await _thread(lambda: cycles.notice_counts(self._uow_factory, request))
        calibration = await _thread(lambda: calibration_store.calibration_notice_counts(self._uow_factory, request))
        final = await _thread(lambda: cycles.finished_count(self._uow_factory, request))
        withdrawn = await _thread(lambda: cycles.withdrawn_by_cause(self._uow_factory, request))
        await self._synchronise(request.cycle_id)
        in_cycle = WorklistQuery(cycle_id=request.cycle_id)
        open_steps, overdue = await _thread(lambda: worklist.open_and_overdue(self._uow_factory, in_cycle))
        return CycleReport(
            generated_at=datetime.now(UTC),
            enrolled=request.enrolled,
            final=final,
            open_steps=open_steps,
            predicates=predicates,
            survey=survey,
            reminders=counts[0],
            escalations=counts[1],
            objections=counts[2],
            calibration_reminders=calibration[0],
            calibration_escalations=calibration[1],
            overdue_now=overdue,
            withdrawn=sum(withdrawn.values()),
            withdrawn_by_cause=withdrawn,
            audit_seal=await _thread(lambda: audit_chain.anchor_now(self._uow_factory, "laporan penutupan")),
        )

    @activity.defn(name="worklist.upkeep")
    async def upkeep_worklist(self, request: UpkeepRun) -> WorklistUpkept:
        """One night's `kinerja sinkron-worklist` over every cycle: the entries of appraisals an operator ended leave
        the lists (services.worklist_sync.drop_ended), from where the last night stopped, within the budget. Running
        appraisals from before 0.4 are not looked for: that is the one `kinerja sinkron-worklist` after upgrading.
        The heartbeats carry the last page done, so a retried attempt goes on from there."""
        details = activity.info().heartbeat_details
        cursor = [str(details[0]) if details and details[0] is not None else request.after]

        def done(after: str) -> None:
            cursor[0] = after
            activity.heartbeat(after)

        with business_errors():
            dropped = await _heartbeating(
                worklist_sync.drop_ended(
                    self._client,
                    self._uow_factory,
                    budget=request.upkeep.budget_minutes * 60.0,
                    after=cursor[0],
                    progress=done,
                ),
                details=lambda: cursor,
            )
        if dropped.unchecked or not dropped.complete:
            activity.logger.warning(
                "worklist not fully checked; the next run goes on",
                extra={"unchecked": dropped.unchecked, "resume_after": dropped.resume_after},
            )
        return WorklistUpkept(
            removed=dropped.removed,
            unchecked=dropped.unchecked,
            complete=dropped.complete,
            began_after=request.after,
            resume_after=dropped.resume_after,
        )

    async def _synchronise(self, cycle_id: str) -> None:
        """Before counting: appraisals an operator ended keep open entries nothing will close, and running ones from
        before 0.4 that took no step since have none (services.worklist_sync). Best effort within a budget: the
        report must not wait on a cleanup `kinerja sinkron-worklist` can finish."""
        dropped = await worklist_sync.drop_ended(self._client, self._uow_factory, cycle_id, budget=REPORT_SYNC_BUDGET)
        if dropped.unchecked or not dropped.complete:
            activity.logger.warning(
                "worklist not fully checked before the report; run kinerja sinkron-worklist",
                extra={"cycle_id": cycle_id, "unchecked": dropped.unchecked, "complete": dropped.complete},
            )
        try:
            await worklist_sync.fill_from_visibility(self._client, self._uow_factory, cycle_id)
        except RPCError as error:
            if error.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server has no visibility
                raise


async def _in_batches(
    count: int, one: Callable[[int], Awaitable[None]], *details: object, limit: int = CONCURRENCY
) -> None:
    """Run `one(i)` for every index with at most `limit` in flight, heartbeating (with `details`) as they end
    and every HEARTBEAT_EVERY meanwhile: with the worker busy (a year's escalations falling due during a push of
    1,000 appraisals), no Update of a page may answer within the workflow's heartbeat timeout, and the page must not
    be taken for a dead worker and sent again from its start."""
    gate = asyncio.Semaphore(limit)

    async def guarded(index: int) -> None:
        async with gate:
            await one(index)
            activity.heartbeat(*details)

    await _heartbeating(asyncio.gather(*(guarded(i) for i in range(count))), lambda: details)


async def _answered(send: Callable[[], Awaitable[T]]) -> T:
    """An Update sent until it is answered: one whose answer did not come within the call's wait is sent again with
    the same id, which Temporal answers with the first result (or goes on waiting for). A busy worker slows a push;
    before this, one slow answer failed the whole activity, which started the page again after a retry's back-off
    (a push of 1,000 appraisals in bench/year.py stalled there for minutes). The activity cancelled (a heartbeat
    timeout, the worker stopping), the SDK raises the same error from the cancelled call: that ends the wait."""
    while True:
        try:
            return await send()
        except WorkflowUpdateRPCTimeoutOrCancelledError as error:
            task = asyncio.current_task()
            if isinstance(error.__cause__, asyncio.CancelledError) or (task is not None and task.cancelling()):
                raise
        await asyncio.sleep(RESEND_PAUSE)  # the page's heartbeat (_in_batches) says meanwhile it is alive


async def _heartbeating(work: Awaitable[T], details: Callable[[], Sequence[object]] = tuple) -> T:
    """Await `work`, heartbeating (with `details()`) while it runs: planning the page of a cycle that began enrolling
    before pages had a cursor reads every page before it, which may outlast the heartbeat timeout; the worklist upkeep
    runs for minutes. Cancelled (a timeout, the worker stopping), it cancels `work` too; what `work` has handed to a
    thread finishes there (every such step here is idempotent), and nothing after it runs."""
    task = asyncio.ensure_future(work)
    try:
        while not (await asyncio.wait({task}, timeout=HEARTBEAT_EVERY))[0]:
            activity.heartbeat(*details())
    except asyncio.CancelledError:
        task.cancel()
        raise
    return task.result()


async def _thread(call: Callable[[], T]) -> T:
    def guarded() -> T:
        with business_errors():
            return call()

    return await asyncio.to_thread(guarded)
