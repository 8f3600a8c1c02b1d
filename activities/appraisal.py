"""Activities of the appraisal workflow: record a step, send a reminder or an escalation, read the cycle's locked
calibration result for one employee or the cycle's officials as last changed.

Each one opens a unit of work, writes, commits and returns a DTO. The idempotency key comes from the workflow
(its run and the Update's id, or the step's number for a system step), so a retried activity finds its step recorded
and writes nothing twice. A person's step is written only once Temporal has accepted its Update
(workflows.appraisal_base._record_person_step), so the database never holds a step the workflow did not take.
Business failures (a DomainError, data the database cannot store) become non-retryable ApplicationErrors; everything
else (a locked database, a dropped connection) is retried by Temporal with backoff.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable

from temporalio import activity

from activities.errors import business_errors, storable
from domain.audit import AuditEntry
from domain.errors import NotFound
from domain.stages import Step
from persistence.ports import AbstractUnitOfWork, ReviewRecord
from services import calendar_record, calibration_store, notices, officials_record
from workflows.calendar_contracts import CycleCalendarRequest, RecordedCalendar
from workflows.contracts import (
    CalibrationDecision,
    CycleOfficials,
    LockedCalibration,
    NoticeKind,
    RecordedOfficials,
    RecordStep,
    RecordStepResult,
    ReviewChange,
    ReviewOutcome,
    SendNotice,
    parse_appraisal_workflow_id,
)
from workflows.cycle_contracts import CycleRef

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
LOCKED_KEPT = 8  # cycles whose locked calibration a worker keeps in memory
HEARTBEAT_EVERY = 2.0  # seconds: a step's write that lasts longer says so this often (RECORD_HEARTBEAT is 10 s)


class AppraisalActivities:
    """Built once by the worker with its unit-of-work factory; the methods are the activities."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory
        # A locked decision never changes (services.calibration_store.locked_results), and every appraisal of the cycle
        # reads it when its result arrives: read once per worker, not once per employee (a province's is 100,000 rows).
        self._locked: OrderedDict[tuple[str, int, str], calibration_store.LockedResults] = OrderedDict()
        self._locked_guard = threading.Lock()  # activities read in threads

    @property
    def uow_factory(self) -> UnitOfWorkFactory:
        """The worker's unit-of-work factory: the other activity classes are built on the same."""
        return self._uow_factory

    @activity.defn(name="appraisal.record_step")
    async def record_step(self, step: RecordStep) -> RecordStepResult:
        # The database driver blocks; a thread keeps the worker's event loop (and heartbeats) free.
        writing = asyncio.ensure_future(asyncio.to_thread(self.record_step_sync, step))
        if activity.info().heartbeat_timeout is None:  # a local activity, or a system step: nobody watches
            return await writing
        # A person's step after its Update was accepted (workflows.appraisal_base.RECORD_HEARTBEAT): a write that
        # takes a while says it is alive, so that only a worker that died is given up on before ACTIVITY_TIMEOUT.
        while True:
            done, _ = await asyncio.wait({writing}, timeout=HEARTBEAT_EVERY)
            if done:
                return writing.result()
            activity.heartbeat()

    @activity.defn(name="appraisal.send_notice")
    async def send_notice(self, notice: SendNotice) -> RecordStepResult:
        return await asyncio.to_thread(self.send_notice_sync, notice)

    @activity.defn(name="appraisal.locked_calibration")
    async def locked_calibration(self, request: LockedCalibration) -> CalibrationDecision:
        """This employee's result in the locked calibration decision of their cycle: the database is the source of
        truth for the `apply_calibration` Update sent by the cycle (NotFound while nothing is locked)."""
        return await asyncio.to_thread(self.locked_calibration_sync, request)

    def locked_calibration_sync(self, request: LockedCalibration) -> CalibrationDecision:
        key = (request.instansi_code, request.period, request.cycle_id)
        with self._locked_guard:
            results = self._locked.get(key)
        with business_errors():
            if results is None:
                ref = CycleRef(cycle_id=request.cycle_id, instansi_code=request.instansi_code, period=request.period)
                results = calibration_store.locked_results(self._uow_factory, ref)
                with self._locked_guard:
                    self._locked[key] = results
                    while len(self._locked) > LOCKED_KEPT:
                        self._locked.popitem(last=False)
            return calibration_store.calibration_result(results, request.cycle_id, request.employee_nip)

    @activity.defn(name="appraisal.cycle_officials")
    async def cycle_officials(self, request: CycleOfficials) -> RecordedOfficials:
        """The cycle's officials as the admin kepegawaian last recorded them: the database is the source of truth for
        the `apply_officials` Update (NotFound while they have never changed)."""
        return await asyncio.to_thread(self.cycle_officials_sync, request)

    def cycle_officials_sync(self, request: CycleOfficials) -> RecordedOfficials:
        with business_errors():
            found = officials_record.recorded(self._uow_factory, request.cycle_id)
            if found is None:
                raise NotFound(f"pejabat siklus {request.cycle_id} belum pernah diubah", field="pejabat")
            return found

    @activity.defn(name="appraisal.cycle_calendar")
    async def cycle_calendar(self, request: CycleCalendarRequest) -> RecordedCalendar:
        """The cycle's deadlines as the admin kepegawaian last had them counted again: the database is the source of
        truth for the `apply_calendar` Update (NotFound while they have never changed)."""
        return await asyncio.to_thread(self.cycle_calendar_sync, request)

    def cycle_calendar_sync(self, request: CycleCalendarRequest) -> RecordedCalendar:
        with business_errors():
            found = calendar_record.recorded(self._uow_factory, request.cycle_id)
            if found is None:
                raise NotFound(f"kalender siklus {request.cycle_id} belum pernah dihitung ulang", field="kalender")
            return found

    def record_step_sync(self, step: RecordStep) -> RecordStepResult:
        with business_errors(), storable(f"langkah '{step.action}'"), self._uow_factory() as uow:
            earlier = notices.recorded(uow, step.idempotency_key)
            if earlier is not None:
                return earlier
            uow.audit.append(
                AuditEntry(
                    occurred_at=step.occurred_at,
                    actor=step.actor,
                    actor_role=step.actor_role,
                    on_behalf_of=step.on_behalf_of,
                    action=step.action,
                    subject=step.employee_nip,
                    reason=step.reason,
                    before=step.before,
                    after=step.after,
                    workflow_id=step.workflow_id,
                    idempotency_key=step.idempotency_key,
                )
            )
            writes_content = step.skp is not None or step.review is not None or step.review_change is not None
            # One read for both: that the employee is on the roster, and the addresses of the people told.
            emails = uow.employees.emails([*step.notify, step.employee_nip] if writes_content else step.notify)
            if writes_content and step.employee_nip not in emails:
                raise NotFound(
                    f"pegawai {step.employee_nip} tidak terdaftar;"
                    " impor data pegawai sebelum mencatat SKP atau penilaian",
                    field="nip",
                )
            if step.skp is not None:
                # The step replaces the SKP whatever it holds: nothing to read first.
                uow.skp.replace(
                    step.skp, status=step.skp_status or step.step_to.value, policy_version=step.policy_version
                )
            if step.closed_skp is not None:
                kept, at = step.closed_skp, step.occurred_at
                uow.skp.keep_version(step.workflow_id, step.employee_nip, step.period, kept, by=step.actor, at=at)
            if step.review is not None:
                _save_review(uow, step, step.review)
            elif step.review_change is not None:
                _save_review(uow, step, _changed_review(uow, step, step.review_change))
            if step.work is not None:
                uow.worklist.put(step.work)
            outbox_ids = notices.enqueue(
                uow,
                step.idempotency_key,
                step.workflow_id,
                step.notify,
                subject=f"Penilaian kinerja {step.employee_name}: {step.step_to.label}",
                body=_task_body(step),
                emails=emails,
            )
            result = RecordStepResult(idempotency_key=step.idempotency_key, newly_recorded=True, outbox_ids=outbox_ids)
            recorded = notices.commit_once(uow, step.idempotency_key, step.workflow_id, step.action, result)
        activity.logger.info(
            "appraisal step recorded",
            extra={
                "action": step.action,
                "step_from": step.step_from.value,
                "step_to": step.step_to.value,
                "actor": step.actor,
                "on_behalf_of": step.on_behalf_of,
                "notified": step.notify,
                "newly_recorded": recorded.newly_recorded,
            },
        )
        return recorded

    def send_notice_sync(self, notice: SendNotice) -> RecordStepResult:
        subject, body = _notice_text(notice)
        with business_errors(), self._uow_factory() as uow:
            result = notices.send(
                uow,
                notices.Notice(
                    key=notice.idempotency_key,
                    workflow_id=notice.workflow_id,
                    kind=notice.kind,
                    about=notice.employee_nip,
                    step=notice.step.value,
                    deadline=notice.deadline,
                    level=notice.level,
                    recipients=notice.recipients,
                    occurred_at=notice.occurred_at,
                    subject=subject,
                    body=body,
                    recorded_as=notice.kind.value,
                    work=notice.work,
                ),
            )
        if result.newly_recorded:
            activity.logger.info(
                "appraisal notice queued",
                extra={"kind": notice.kind.value, "workflow_id": notice.workflow_id, "recipients": notice.recipients},
            )
        return result


def _changed_review(uow: AbstractUnitOfWork, step: RecordStep, change: ReviewChange) -> ReviewOutcome:
    """The stored review with what a later step (calibration, an objection's decision) changes in it."""
    stored = uow.reviews.get(step.workflow_id, ReviewOutcome)
    if stored is None:
        what = f"penilaian pegawai {step.employee_nip} belum tercatat"
        raise NotFound(f"{what}; langkah '{step.action}' tidak dapat mengubahnya", field="penilaian")
    update: dict[str, object] = {"final_predicate": change.final_predicate}
    if change.calibration is not None:
        update["calibration"] = change.calibration
    return stored.review.model_copy(update=update)


def _save_review(uow: AbstractUnitOfWork, step: RecordStep, review: ReviewOutcome) -> None:
    current = uow.reviews.version(step.workflow_id)
    parsed = parse_appraisal_workflow_id(step.workflow_id)
    if step.work is not None:
        unit: str | None = step.work.unit_code
    else:  # a step recorded before the worklist: the roster's unit
        person = uow.employees.get(step.employee_nip)
        unit = person.unit_code if person is not None else None
    uow.reviews.save(
        ReviewRecord[ReviewOutcome](
            workflow_id=step.workflow_id,
            employee_nip=step.employee_nip,
            period=step.period,
            review=review,
            version=current,
            cycle_id=parsed[0] if parsed is not None else None,
            unit_code=unit,
            predicate=review.standing,
        ),
        at=step.occurred_at,
    )


def _task_body(step: RecordStep) -> str:
    lines = [
        f"Pegawai: {step.employee_name} (NIP {step.employee_nip}), periode {step.period}.",
        f"Langkah sebelumnya: {step.step_from.label} ({step.action}) oleh {step.actor}.",
        f"Langkah sekarang: {step.step_to.label}.",
    ]
    if step.reason:
        lines.append(f"Alasan/catatan: {step.reason}")
    if step.next_deadline is not None and step.step_to is not Step.FINAL:
        lines.append(f"Batas waktu: {notices.when(step.next_deadline, step.utc_offset_hours)}.")
    return "\n".join(lines)


def _notice_text(notice: SendNotice) -> tuple[str, str]:
    who = f"{notice.employee_name} (NIP {notice.employee_nip})"
    due = notices.when(notice.deadline, notice.utc_offset_hours)
    if notice.kind is NoticeKind.REMINDER:
        subject = f"Pengingat: {notice.step.label} untuk {notice.employee_name}"
        body = f"Langkah '{notice.step.label}' penilaian kinerja {who} jatuh tempo {due}."
    else:
        subject = f"Eskalasi tingkat {notice.level}: {notice.step.label} untuk {notice.employee_name} terlambat"
        body = (
            f"Langkah '{notice.step.label}' penilaian kinerja {who} melewati batas waktu {due}"
            f" dan dieskalasi ke tingkat {notice.level}. Tim pengawasan dapat memperpanjang batas waktu,"
            " mengalihkan pejabat penilai, atau mengambil alih langkah pegawai dengan alasan tertulis."
        )
    return subject, body
