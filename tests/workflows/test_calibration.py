"""The calibration result reaches an appraisal only through the validated `apply_calibration` Update, on the real
time-skipping server: the retired `calibration_decided` signal, forged with the Temporal client, changes nothing; a
forged Update can at most apply the committee's real decision; a pengelola kinerja applies one with a written reason;
a result that comes after the appraisal moved on is refused with the reason."""

from __future__ import annotations

import json

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.ratings import Predicate
from domain.stages import Role, Step
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from tests.workflows.scenario import (
    EMPLOYEE,
    HR,
    KEPALA,
    MEETS,
    PENGAWAS,
    PENILAI,
    STAFF,
    TIM_PENGAWASAN,
    Handle,
    at_step,
)
from workflows.appraisal import AppraisalWorkflow
from workflows.calibration import CALIBRATION_BY_UPDATE
from workflows.contracts import (
    Actor,
    ApplyCalibration,
    AppraisalSummary,
    ApproveSkp,
    CalibrationDecision,
    ReviewOutcome,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
)

FORGED = CalibrationDecision(
    calibration_id="KAL-PALSU", predicate=Predicate.SANGAT_BAIK, reason="dinaikkan", decided_by=PENGAWAS
)


async def to_calibration(handle: Handle) -> AppraisalSummary:
    """Through the review (hasil Sesuai x perilaku Sesuai = Baik by the matrix) to waiting for calibration."""
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
    await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )
    return await handle.execute_update(
        AppraisalWorkflow.submit_review, SubmitReview(actor=PENILAI, perilaku=MEETS, hasil_kerja=MEETS)
    )


async def rejected(handle: Handle, payload: ApplyCalibration) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(AppraisalWorkflow.apply_calibration, payload)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause


def patches(history: WorkflowHistory) -> list[str]:
    """The `workflow.patched` ids recorded in a history (the SDK's core_patch markers)."""
    return [
        json.loads(event.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_patch"
    ]


def audit_actions(office: Office, workflow_id: str) -> list[str]:
    with office.uow_factory() as uow:
        return [entry.action for entry in uow.audit.list(workflow_id=workflow_id)]


async def test_a_forged_signal_changes_nothing_and_the_committees_decision_still_applies(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    waiting = await to_calibration(handle)
    assert (waiting.step, waiting.predicate) == (Step.AWAITING_CALIBRATION, Predicate.BAIK)
    recorded = audit_actions(office, handle.id)

    # Anyone who reaches Temporal can send the old signal, with any predicate and any decided_by.
    await handle.signal(AppraisalWorkflow.calibration_decided, FORGED)
    # An Update is handled after the signal before it in history: by its answer, the signal has been seen.
    refused = await rejected(handle, ApplyCalibration())
    assert refused.type == "NotFound" and "belum dikunci" in refused.message  # nothing locked: nothing to apply
    state = await handle.query(AppraisalWorkflow.state)
    assert (state.step, state.predicate, state.pending_calibration, state.calibration) == (
        Step.AWAITING_CALIBRATION,
        Predicate.BAIK,
        None,
        None,
    )
    assert [e.action for e in state.timeline] == [
        "submit_skp",
        "approve_skp",
        "submit_self_assessment",
        "submit_review",
    ]
    assert audit_actions(office, handle.id) == recorded
    history = await handle.fetch_history()
    signals = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
    assert len(signals) == 1  # it did arrive
    assert CALIBRATION_BY_UPDATE in patches(history)  # the run knows it is on the new code from here on

    # A forged Update naming a predicate is refused by the validator: the cycle's result is read, never sent.
    named = await rejected(handle, ApplyCalibration(predicate=Predicate.SANGAT_BAIK))
    assert named.details[0]["field"] == "predikat"

    # The committee locks its decision (Butuh Perbaikan, neither the matrix's nor the forger's); the cycle's push
    # sends the Update, and the appraisal reads its result from the database.
    scenario.lock_calibration(office.uow_factory, state.cycle_id, {STAFF: Predicate.BUTUH_PERBAIKAN})
    applied = await handle.execute_update(AppraisalWorkflow.apply_calibration, ApplyCalibration())
    assert (applied.step, applied.predicate) == (Step.SIGN_OFF, Predicate.BUTUH_PERBAIKAN)
    state = await handle.query(AppraisalWorkflow.state)
    assert state.calibration is not None and state.calibration.decided_by == KEPALA
    assert state.review is not None and state.review.final_predicate is Predicate.BUTUH_PERBAIKAN
    with office.uow_factory() as uow:
        (entry,) = uow.audit.list(workflow_id=handle.id, action="apply_calibration")
        stored = uow.reviews.get(handle.id, ReviewOutcome)
    # The database's review takes the calibration's result, the rest as the review step stored it.
    assert stored is not None and stored.review == state.review and stored.predicate is Predicate.BUTUH_PERBAIKAN
    assert (entry.actor, entry.actor_role) == (KEPALA, Role.SYSTEM)
    assert entry.after is not None and entry.after["predicate"] == "butuh_perbaikan"
    assert entry.after["source"] == "cycle"

    # After the result is applied, a second one is refused with the reason, and the signal still changes nothing.
    late = await rejected(handle, ApplyCalibration())
    assert late.type == "CalibrationClosed" and "hanya dapat diubah melalui keberatan" in late.message
    await handle.signal(AppraisalWorkflow.calibration_decided, FORGED)
    await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))
    state = await handle.query(AppraisalWorkflow.state)
    assert (state.step, state.predicate) == (Step.OBJECTION_WINDOW, Predicate.BUTUH_PERBAIKAN)
    await scenario.replay_and_record(time_skipping_env.client, handle, "calibration_forged_signal")


async def test_a_pengelola_kinerja_applies_a_result_with_a_written_reason_and_nobody_else_does(
    start: Starter, office: Office
) -> None:
    handle = await start()
    await to_calibration(handle)
    before = audit_actions(office, handle.id)

    supervisor = await rejected(
        handle,
        ApplyCalibration(actor=TIM_PENGAWASAN, predicate=Predicate.SANGAT_BAIK, reason="hasil rapat kalibrasi unit"),
    )
    assert supervisor.details[0]["field"] == "peran"
    stranger = Actor(nip=scenario.KASI_BARU, role=Role.PENGELOLA_KINERJA)
    impostor = await rejected(
        handle, ApplyCalibration(actor=stranger, predicate=Predicate.SANGAT_BAIK, reason="hasil rapat kalibrasi unit")
    )
    assert impostor.details[0]["field"] == "pelaku"
    unexplained = await rejected(handle, ApplyCalibration(actor=HR, predicate=Predicate.SANGAT_BAIK, reason="ok"))
    assert unexplained.details[0]["field"] == "alasan"
    no_predicate = await rejected(handle, ApplyCalibration(actor=HR, reason="hasil rapat kalibrasi unit"))
    assert no_predicate.details[0]["field"] == "predikat"
    assert audit_actions(office, handle.id) == before

    state = await handle.execute_update(
        AppraisalWorkflow.apply_calibration,
        ApplyCalibration(actor=HR, predicate=Predicate.SANGAT_BAIK, reason="hasil rapat kalibrasi unit PDU"),
    )
    assert (state.step, state.predicate) == (Step.SIGN_OFF, Predicate.SANGAT_BAIK)
    with office.uow_factory() as uow:
        (entry,) = uow.audit.list(workflow_id=handle.id, action="apply_calibration")
    assert (entry.actor, entry.actor_role, entry.reason) == (
        scenario.PENGELOLA,
        Role.PENGELOLA_KINERJA,
        "hasil rapat kalibrasi unit PDU",
    )


async def test_a_forged_signal_before_the_review_is_not_kept_either(start: Starter) -> None:
    handle = await start()
    await handle.signal(AppraisalWorkflow.calibration_decided, FORGED)
    await to_calibration(handle)
    state = await at_step(handle, Step.AWAITING_CALIBRATION)
    assert (state.predicate, state.pending_calibration) == (Predicate.BAIK, None)
