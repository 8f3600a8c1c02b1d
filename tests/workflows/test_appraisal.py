"""The appraisal workflow on the real time-skipping server, with the real activities over a real SQLite database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.audit import AuditEntry
from domain.ratings import Expectation, Predicate
from domain.stages import Role, Stage, Step
from domain.withdrawal import WithdrawalCause
from domain.worklist import WorkItem, WorklistQuery
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from tests.workflows.scenario import (
    ATASAN,
    EMPLOYEE,
    HR,
    KABID,
    KASI,
    KASI_BARU,
    KEPALA,
    MEETS,
    PENGAWAS,
    PENGELOLA,
    PENILAI,
    PENILAI_BARU,
    STAFF,
    TIM_PENGAWASAN,
    Handle,
    at_step,
    eventually,
    final_state,
    history_length,
    replay_and_record,
    state_when,
)
from workflows import search_attributes
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Acknowledge,
    ApplyCalibration,
    AppraisalSummary,
    ApproveSkp,
    DecideObjection,
    ExtendDeadline,
    FileObjection,
    Reassign,
    ReturnSkp,
    ReviewOutcome,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    Withdraw,
)


async def _to_self_assessment(handle: Handle) -> AppraisalSummary:
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    return await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))


async def _to_review(handle: Handle) -> AppraisalSummary:
    await _to_self_assessment(handle)
    return await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )


async def _to_objection_window(handle: Handle, calibrated: Predicate = Predicate.BAIK) -> AppraisalSummary:
    await _to_review(handle)
    await handle.execute_update(
        AppraisalWorkflow.submit_review,
        SubmitReview(actor=PENILAI, perilaku=MEETS, hasil_kerja=MEETS, feedback="Pertahankan ketepatan waktu."),
    )
    state = await handle.execute_update(
        AppraisalWorkflow.apply_calibration,
        ApplyCalibration(actor=HR, predicate=calibrated, reason="kurva distribusi unit PDU (SE MenPAN-RB 3/2023)"),
    )
    assert state.step is Step.SIGN_OFF
    return await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))


def _audit_actions(office: Office, workflow_id: str) -> list[str]:
    with office.uow_factory() as uow:
        return [entry.action for entry in uow.audit.list(workflow_id=workflow_id)]


async def _notices(office: Office, workflow_id: str, count: int) -> list[AuditEntry]:
    """The reminders and escalations in the audit log, once there are `count` (the activity commits them just
    after the workflow state says they are due)."""

    async def probe() -> list[AuditEntry] | None:
        with office.uow_factory() as uow:
            found = [e for e in uow.audit.list(workflow_id=workflow_id) if e.action.startswith("notice.")]
        return found if len(found) >= count else None

    return await eventually(probe, what=f"{count} notices in the audit log")


async def _rejected(handle: Handle, update: object, payload: object) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)  # type: ignore[call-overload]
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause


async def test_an_appraisal_walks_through_every_stage_to_final(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    started = await handle.query(AppraisalWorkflow.state)
    assert (started.stage, started.step, started.assignees) == (Stage.TARGET_SETTING, Step.SKP_DRAFTING, [STAFF])

    state = await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    assert (state.step, state.assignees) == (Step.SKP_APPROVAL, [KASI])
    state = await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI, note="Sesuai IKU"))
    assert (state.stage, state.assignees) == (Stage.SELF_ASSESSMENT, [STAFF])
    state = await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )
    assert state.stage is Stage.SUPERVISOR_REVIEW
    assessed = await handle.query(AppraisalWorkflow.state)
    assert assessed.suggestion is not None and assessed.suggestion.rating is Expectation.MEETS
    assert {a.indicator_id: str(a.percent) for a in assessed.achievements} == {
        "I1": "102.50",
        "I2": "100.51",
        "I3": "100.00",
    }
    state = await handle.execute_update(
        AppraisalWorkflow.submit_review, SubmitReview(actor=PENILAI, perilaku=Expectation.ABOVE, hasil_kerja=MEETS)
    )
    # PermenPANRB 6/2022 matrix: hasil Sesuai x perilaku Di Atas = Baik.
    assert (state.stage, state.predicate, state.assignees) == (Stage.CALIBRATION, Predicate.BAIK, [PENGELOLA])

    # The committee locks the cycle's decision; the cycle's push has each appraisal read its result from it.
    scenario.lock_calibration(office.uow_factory, state.cycle_id, {STAFF: Predicate.BAIK})
    state = await handle.execute_update(AppraisalWorkflow.apply_calibration, ApplyCalibration())
    assert state.step is Step.SIGN_OFF and state.assignees == [KASI]
    calibrated = await handle.query(AppraisalWorkflow.state)
    assert calibrated.calibration is not None and calibrated.calibration.decided_by == KEPALA
    state = await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))
    assert (state.stage, state.assignees) == (Stage.OBJECTION_WINDOW, [STAFF])
    assert state.signed_at is not None
    state = await handle.execute_update(AppraisalWorkflow.acknowledge, Acknowledge(actor=EMPLOYEE))
    assert state.stage is Stage.FINAL

    ended = await handle.result()
    assert (ended.step, ended.predicate, ended.finished_at is not None) == (Step.FINAL, Predicate.BAIK, True)
    final = await final_state(time_skipping_env.client, handle)
    assert ended.timeline == final.timeline[-1:]
    assert [e.action for e in final.timeline] == [
        "submit_skp",
        "approve_skp",
        "submit_self_assessment",
        "submit_review",
        "apply_calibration",
        "sign",
        "acknowledge",
    ]
    assert _audit_actions(office, handle.id) == [e.action for e in final.timeline]
    with office.uow_factory() as uow:
        stored_skp = uow.skp.get(STAFF, scenario.PERIOD)
        assert stored_skp is not None and stored_skp.status == "approved"
        review = uow.reviews.get(handle.id, ReviewOutcome)
        assert review is not None and review.review.final_predicate is Predicate.BAIK
        messages = uow.outbox.pending()
    # Everyone who had to act next was told, through the outbox: e-mail where the roster has an address.
    told = {(m.recipient, m.channel) for m in messages if m.workflow_id == handle.id}
    assert ("sri.wahyuni@dukcapil.example.go.id", "email") in told
    assert (KASI, "log") in told and (PENGELOLA, "log") in told
    # (Search attributes at the end, once the deadline is unset, are checked on the dev server: the time-skipping
    # server keeps an unset datetime attribute as null, which describe() cannot decode.)
    await replay_and_record(time_skipping_env.client, handle, "every_stage")


async def test_a_returned_skp_is_redrafted_and_then_approved(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    state = await handle.execute_update(
        AppraisalWorkflow.return_skp,
        ReturnSkp(actor=PENILAI, comments="Indikator kualitas harus mengacu ke IKU kepuasan layanan"),
    )
    whole = await handle.query(AppraisalWorkflow.state)
    assert (state.step, whole.skp_returns, state.assignees) == (Step.SKP_DRAFTING, 1, [STAFF])
    assert whole.skp_return_comments == "Indikator kualitas harus mengacu ke IKU kepuasan layanan"
    # A redraft is due by the penetapan deadline, not the (earlier) first-draft deadline.
    assert state.deadline == whole.deadline
    with office.uow_factory() as uow:
        returned = uow.skp.get(STAFF, scenario.PERIOD)
    assert returned is not None and returned.status == "returned"

    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    state = await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
    assert state.step is Step.SELF_ASSESSMENT
    assert _audit_actions(office, handle.id) == ["submit_skp", "return_skp", "submit_skp", "approve_skp"]
    with office.uow_factory() as uow:
        approved = uow.skp.get(STAFF, scenario.PERIOD)
    assert approved is not None and approved.status == "approved"


async def test_an_overdue_self_assessment_is_reminded_escalated_extended_and_completed(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    due = (await _to_self_assessment(handle)).deadline
    assert due is not None

    # Reminders 30 and 10 minutes before the deadline (policy offsets), to the employee.
    await scenario.skip_time(time_skipping_env, due - await time_skipping_env.get_current_time() - timedelta(minutes=5))
    await state_when(handle, lambda s: s.notice_seq == 2, "two reminders")
    # Overdue at the deadline: escalated to the supervision team and the employee's superior (the penilai) ...
    await scenario.skip_time(time_skipping_env, timedelta(minutes=10))
    state = await state_when(handle, lambda s: s.escalation_level == 1, "escalation level 1")
    assert state.overdue
    # In the supervision team's queue once the escalation is written (the state says so a moment before).
    entry = await eventually(lambda: _overdue_entry(office, handle.id), what="the overdue worklist entry")
    assert (entry.step, entry.escalation_level, entry.deadline) == (Step.SELF_ASSESSMENT, 1, due)
    # ... and one level further up (the atasan) when nobody acts within the grace.
    await scenario.skip_time(time_skipping_env, timedelta(minutes=30))
    state = await state_when(handle, lambda s: s.escalation_level == 2, "escalation level 2")

    notices = await _notices(office, handle.id, 4)
    assert [(e.action, e.after["level"] if e.after else None) for e in notices] == [
        ("notice.reminder", 0),
        ("notice.reminder", 0),
        ("notice.escalation", 1),
        ("notice.escalation", 2),
    ]
    assert notices[0].after is not None and notices[0].after["recipients"] == [STAFF]
    assert notices[2].after is not None and notices[2].after["recipients"] == [STAFF, PENGAWAS, KASI]
    assert notices[3].after is not None and notices[3].after["recipients"] == [PENGAWAS, KABID]

    now = await time_skipping_env.get_current_time()
    answer = await handle.execute_update(
        AppraisalWorkflow.extend_deadline,
        ExtendDeadline(
            actor=TIM_PENGAWASAN, new_deadline=now + timedelta(hours=1), reason="pegawai sakit, surat dokter terlampir"
        ),
    )
    assert (answer.overdue, answer.escalation_level, answer.deadline) == (False, 0, now + timedelta(hours=1))
    with office.uow_factory() as uow:
        extended = uow.worklist.get(handle.id)
    assert extended is not None
    assert (extended.overdue, extended.escalation_level, extended.deadline) == (False, 0, answer.deadline)
    # The timers follow the new deadline: a reminder 30 minutes before it.
    await scenario.skip_time(time_skipping_env, timedelta(minutes=35))
    await state_when(handle, lambda s: s.notice_seq == 5, "reminder before the extended deadline")

    answer = await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )
    assert (answer.step, answer.overdue) == (Step.SUPERVISOR_REVIEW, False)
    with office.uow_factory() as uow:
        extension = uow.audit.list(workflow_id=handle.id, action="extend_deadline")
    assert len(extension) == 1
    assert (extension[0].actor, extension[0].actor_role) == (PENGAWAS, Role.PENGAWASAN)
    assert extension[0].reason == "pegawai sakit, surat dokter terlampir"
    await replay_and_record(time_skipping_env.client, handle, "overdue_extended")


async def _overdue_entry(office: Office, workflow_id: str) -> WorkItem | None:
    with office.uow_factory() as uow:
        entry = uow.worklist.get(workflow_id)
    return entry if entry is not None and entry.overdue else None


async def test_a_reassigned_reviewer_takes_over_and_the_old_one_is_refused(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    await _to_review(handle)
    state = await handle.execute_update(
        AppraisalWorkflow.reassign,
        Reassign(actor=HR, penilai_nip=KASI_BARU, reason="reorganisasi: Seksi Identitas digabung (SK 12/2026)"),
    )
    assert (state.penilai_nip, state.atasan_nip, state.assignees) == (KASI_BARU, KABID, [KASI_BARU])
    with office.uow_factory() as uow:
        entry = uow.worklist.get(handle.id)
    assert entry is not None and (entry.assignee, entry.penilai_nip) == (KASI_BARU, KASI_BARU)
    assert (await handle.describe()).typed_search_attributes.get(search_attributes.PENILAI) == KASI_BARU

    review = SubmitReview(actor=PENILAI, perilaku=MEETS, hasil_kerja=MEETS)
    refused = await _rejected(handle, AppraisalWorkflow.submit_review, review)
    assert KASI in refused.message and "bukan Pejabat Penilai Kinerja" in refused.message
    await handle.execute_update(
        AppraisalWorkflow.submit_review, SubmitReview(actor=PENILAI_BARU, perilaku=MEETS, hasil_kerja=MEETS)
    )
    reviewed = await handle.query(AppraisalWorkflow.state)
    assert reviewed.review is not None and reviewed.review.reviewed_by == KASI_BARU
    with office.uow_factory() as uow:
        reassigned = uow.audit.list(workflow_id=handle.id, action="reassign")
    assert reassigned[0].reason == "reorganisasi: Seksi Identitas digabung (SK 12/2026)"
    assert reassigned[0].after is not None and reassigned[0].after["before"]["penilai_nip"] == KASI


async def test_hr_withdraws_an_employee_who_moved_and_the_appraisal_ends(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    await _to_review(handle)
    before = await handle.fetch_history()
    moved = Withdraw(
        actor=HR,
        cause=WithdrawalCause.MUTASI,
        reason="SK Gubernur 821/45/2026: pindah ke Pemprov Papua Selatan",
        effective_on=date(2026, 7, 1),
    )
    for actor, field in (
        (TIM_PENGAWASAN, "peran"),
        (PENILAI, "peran"),
        (HR.model_copy(update={"nip": KASI}), "pelaku"),
    ):
        refused = await _rejected(handle, AppraisalWorkflow.withdraw, moved.model_copy(update={"actor": actor}))
        assert refused.details[0]["field"] == field, refused.message
    vague = await _rejected(handle, AppraisalWorkflow.withdraw, moved.model_copy(update={"reason": "pindah"}))
    assert vague.details[0]["field"] == "alasan" and "alasan penarikan wajib diisi" in vague.message
    typo_in_tmt = moved.model_copy(update={"effective_on": date(2062, 7, 1)})
    typo = await _rejected(handle, AppraisalWorkflow.withdraw, typo_in_tmt)
    assert typo.details[0]["field"] == "tmt"
    assert scenario.without_task_bookkeeping(await handle.fetch_history()) == scenario.without_task_bookkeeping(before)

    state = await handle.execute_update(AppraisalWorkflow.withdraw, moved)
    assert (state.step, state.stage, state.assignees, state.deadline) == (Step.WITHDRAWN, Stage.WITHDRAWN, [], None)
    withdrawal = state.withdrawal
    assert withdrawal is not None and (withdrawal.withdrawn_by, withdrawal.from_step) == (
        PENGELOLA,
        Step.SUPERVISOR_REVIEW,
    )
    assert (await handle.result()).step is Step.WITHDRAWN  # the workflow ends: no more timers or escalations

    with office.uow_factory() as uow:
        entry = uow.worklist.get(handle.id)
        listed = uow.worklist.open(WorklistQuery(penilai_nip=KASI))
        recorded = uow.audit.list(workflow_id=handle.id, action="withdraw")
        messages = [m for m in uow.outbox.pending() if m.idempotency_key and "withdraw" in m.idempotency_key]
    assert entry is not None and (entry.step, entry.assignee, entry.deadline) == (Step.WITHDRAWN, None, None)
    assert handle.id not in [item.workflow_id for item in listed]  # off the penilai's list
    assert len(recorded) == 1 and recorded[0].actor == PENGELOLA
    assert (
        recorded[0].reason
        == "pindah ke instansi lain (mutasi): SK Gubernur 821/45/2026: pindah ke Pemprov Papua Selatan"
    )
    assert recorded[0].after == {
        "step": "withdrawn",
        "cause": "mutasi",
        "reason": "SK Gubernur 821/45/2026: pindah ke Pemprov Papua Selatan",
        "effective_on": "2026-07-01",
        "from_step": "supervisor_review",
    }
    assert {m.recipient for m in messages} == {scenario.STAFF_EMAIL, KASI}  # the employee, and the penilai (log)
    assert all("Ditarik dari siklus penilaian" in m.subject for m in messages)
    await replay_and_record(time_skipping_env.client, handle, "withdrawn")


async def test_an_objection_decided_by_the_atasan_changes_the_predicate(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    state = await _to_objection_window(handle, calibrated=Predicate.BUTUH_PERBAIKAN)
    assert state.predicate is Predicate.BUTUH_PERBAIKAN

    # Only the employee objects, and only with a reason.
    await _rejected(handle, AppraisalWorkflow.file_objection, FileObjection(actor=PENILAI, reason="x" * 20))
    state = await handle.execute_update(
        AppraisalWorkflow.file_objection,
        FileObjection(actor=EMPLOYEE, reason="Realisasi I1 melampaui target; kalibrasi tidak mempertimbangkannya"),
    )
    assert (state.step, state.assignees) == (Step.OBJECTION_REVIEW, [KABID])
    state = await handle.execute_update(
        AppraisalWorkflow.decide_objection,
        DecideObjection(
            actor=ATASAN, predicate=Predicate.BAIK, reason="bukti capaian I1 sah; predikat dikembalikan ke Baik"
        ),
    )
    assert (state.step, state.predicate) == (Step.FINAL, Predicate.BAIK)
    decided_state = await handle.query(AppraisalWorkflow.state)
    assert decided_state.objection is not None and decided_state.objection.changed
    assert decided_state.objection.predicate_before is Predicate.BUTUH_PERBAIKAN
    final = await final_state(time_skipping_env.client, handle)
    assert final.review is not None and final.review.final_predicate is Predicate.BAIK
    with office.uow_factory() as uow:
        decided = uow.audit.list(workflow_id=handle.id, action="decide_objection")[0]
        stored = uow.reviews.get(handle.id, ReviewOutcome)
    assert stored is not None and stored.review == final.review and stored.predicate is Predicate.BAIK
    assert decided.after is not None
    assert (decided.after["predicate_before"], decided.after["predicate"]) == ("butuh_perbaikan", "baik")
    await replay_and_record(time_skipping_env.client, handle, "objection")


async def test_the_objection_window_closes_by_itself_after_14_days_worth(start: Starter) -> None:
    handle = await start()
    await _to_objection_window(handle)
    final = await handle.result()  # the time-skipping server skips the compressed 2-hour window
    assert (final.step, final.predicate) == (Step.FINAL, Predicate.BAIK)
    assert final.timeline[-1].action == "close_objection_window"


async def test_pengelola_kinerja_takes_over_the_employees_step_with_a_reason(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    # Without a reason the take-over is refused.
    refused = await _rejected(handle, AppraisalWorkflow.submit_skp, SubmitSkp(actor=HR, skp=scenario.skp()))
    assert "alasan" in refused.message and refused.details[0]["field"] == "alasan"

    reason = "pegawai cuti melahirkan; SKP disusun pengelola kinerja (PermenPANRB 8/2021)"
    state = await handle.execute_update(
        AppraisalWorkflow.submit_skp, SubmitSkp(actor=HR, skp=scenario.skp(), reason=reason)
    )
    assert state.step is Step.SKP_APPROVAL
    assert state.timeline[-1].on_behalf_of == STAFF
    # A rating is never taken over: reviewer steps are reassigned instead.
    await _rejected(handle, AppraisalWorkflow.approve_skp, ApproveSkp(actor=TIM_PENGAWASAN))
    with office.uow_factory() as uow:
        entry = uow.audit.list(workflow_id=handle.id, action="submit_skp")[0]
    assert (entry.actor, entry.actor_role, entry.on_behalf_of, entry.reason) == (
        PENGELOLA,
        Role.PENGELOLA_KINERJA,
        STAFF,
        reason,
    )


async def test_rejected_updates_leave_the_history_unchanged(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    before = await handle.fetch_history()

    wrong_actor = await _rejected(handle, AppraisalWorkflow.approve_skp, ApproveSkp(actor=ATASAN))
    assert "hanya dapat dilakukan oleh Pejabat Penilai Kinerja" in wrong_actor.message
    assert wrong_actor.type == "IllegalTransition" and wrong_actor.details[0]["field"] == "peran"
    impostor = await _rejected(
        handle, AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI.model_copy(update={"nip": KASI_BARU}))
    )
    assert impostor.details[0]["field"] == "pelaku"
    wrong_stage = await _rejected(handle, AppraisalWorkflow.sign, Sign(actor=PENILAI))
    assert "tidak dapat dilakukan pada tahap 'Penyusunan SKP'" in wrong_stage.message
    short_comment = await _rejected(handle, AppraisalWorkflow.return_skp, ReturnSkp(actor=PENILAI, comments="ok"))
    assert short_comment.details[0]["field"] == "catatan"
    past = (await time_skipping_env.get_current_time()) - timedelta(days=1)
    extension = await _rejected(
        handle,
        AppraisalWorkflow.extend_deadline,
        ExtendDeadline(actor=TIM_PENGAWASAN, new_deadline=past, reason="perpanjangan untuk semua pegawai"),
    )
    assert extension.details[0]["field"] == "new_deadline"
    not_a_manager = await _rejected(
        handle,
        AppraisalWorkflow.reassign,
        Reassign(actor=EMPLOYEE, penilai_nip=KASI_BARU, reason="saya ingin penilai lain"),
    )
    assert not_a_manager.details[0]["field"] == "peran"

    after = await handle.fetch_history()
    # A real server drops the speculative workflow task of a rejected update, so the history is exactly the same
    # (asserted on the dev server, test_dev_server.py). The time-skipping server keeps that task's three bookkeeping
    # events; beyond them nothing was added: no update accepted, no activity, no attribute, no timer.
    assert len(after.events) == len(before.events) + 3 * 6
    assert scenario.without_task_bookkeeping(after) == scenario.without_task_bookkeeping(before)
    assert _audit_actions(office, handle.id) == ["submit_skp"]


async def test_a_long_history_continues_as_new_and_keeps_the_appraisal(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start(history_limit=50)
    # A returned and redrafted SKP: a history long enough to continue as new on the way (the calibration result, an
    # Update with a local activity since 0.5, adds fewer events than the signal and its activity did).
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    await handle.execute_update(
        AppraisalWorkflow.return_skp, ReturnSkp(actor=PENILAI, comments="indikator kualitas belum dapat diukur")
    )
    await _to_objection_window(handle)
    await handle.execute_update(AppraisalWorkflow.acknowledge, Acknowledge(actor=EMPLOYEE))
    ended = await handle.result()
    assert (ended.step, ended.predicate) == (Step.FINAL, Predicate.BAIK)
    final = await final_state(time_skipping_env.client, handle)
    assert final.runs > 1
    assert (final.step, final.predicate) == (Step.FINAL, Predicate.BAIK)
    assert [e.action for e in final.timeline][-2:] == ["sign", "acknowledge"]
    # The step numbers continue across runs, so no idempotency key repeats and nothing was recorded twice.
    assert _audit_actions(office, handle.id) == [e.action for e in final.timeline]
    assert await history_length(handle) < 50 + 20
    await replay_and_record(time_skipping_env.client, handle, "continued_as_new")


async def test_starting_the_same_appraisal_again_returns_the_running_one(
    time_skipping_env: WorkflowEnvironment, start: Starter
) -> None:
    first = await start()
    again = await start()
    assert (again.id, again.result_run_id) == (first.id, first.result_run_id)


async def test_a_calibration_decided_before_the_review_waits_for_it(start: Starter) -> None:
    handle = await start()
    await _to_self_assessment(handle)
    state = await handle.execute_update(
        AppraisalWorkflow.apply_calibration,
        ApplyCalibration(actor=HR, predicate=Predicate.SANGAT_BAIK, reason="ditetapkan rapat kalibrasi lebih awal"),
    )
    early = await handle.query(AppraisalWorkflow.state)
    assert state.step is Step.SELF_ASSESSMENT and early.pending_calibration is not None
    await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )
    await handle.execute_update(
        AppraisalWorkflow.submit_review, SubmitReview(actor=PENILAI, perilaku=MEETS, hasil_kerja=MEETS)
    )
    signing = await at_step(handle, Step.SIGN_OFF)
    assert (signing.predicate, signing.pending_calibration) == (Predicate.SANGAT_BAIK, None)
    assert signing.review is not None and signing.review.result.predicate is Predicate.BAIK  # the matrix, kept
