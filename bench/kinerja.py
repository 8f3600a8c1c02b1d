"""Kinerja's phases after enrolment: the first two human steps as Updates, and whole appraisals on the happy path."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.client import Client, WorkflowHandle

import temporal_client
from bench import office
from bench.histories import HistoryStats, stats
from bench.measure import UpdatePhase, timed, update_phase
from domain.ratings import Expectation, Predicate
from domain.stages import Role, Step
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Acknowledge,
    Actor,
    ApplyCalibration,
    AppraisalInput,
    AppraisalSummary,
    ApproveSkp,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
)

STEP_TIMEOUT = 60.0  # seconds for the workflow to reach a step it is waiting on (the calibration signal)


def _employee(input: AppraisalInput) -> Actor:
    return Actor(nip=input.employee_nip, role=Role.PEGAWAI)


def _penilai(input: AppraisalInput) -> Actor:
    return Actor(nip=input.penilai_nip, role=Role.PENILAI)


async def submit_and_approve(client: Client, inputs: Sequence[AppraisalInput], concurrency: int) -> UpdatePhase:
    """The employee submits the SKP and the penilai approves it: two Updates per appraisal, each timed."""

    async def steps(input: AppraisalInput, samples: list[float]) -> None:
        handle = temporal_client.appraisal_handle(client, input.cycle_id, input.employee_nip)
        submit = SubmitSkp(actor=_employee(input), skp=office.skp(input.employee_nip, input.period))
        await timed(samples, handle.execute_update(AppraisalWorkflow.submit_skp, submit))
        await timed(samples, handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=_penilai(input))))

    return await update_phase(inputs, concurrency, steps)


@dataclass(frozen=True)
class HappyRun:
    workflow_id: str
    acknowledged: bool  # False: the objection window closed on its timer
    seconds: float
    history: HistoryStats


async def happy_path(client: Client, input: AppraisalInput, *, acknowledge: bool) -> HappyRun:
    """One appraisal from the SKP to final, as tests/workflows/test_appraisal.py walks it."""
    began = time.perf_counter()
    handle = temporal_client.appraisal_handle(client, input.cycle_id, input.employee_nip)
    employee, penilai = _employee(input), _penilai(input)
    skp = office.skp(input.employee_nip, input.period)
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=employee, skp=skp))
    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=penilai))
    await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=employee, realisations=office.realisations()),
    )
    await handle.execute_update(
        AppraisalWorkflow.submit_review,
        SubmitReview(actor=penilai, perilaku=Expectation.MEETS, hasil_kerja=Expectation.MEETS),
    )
    # The pengelola kinerja sets the result by hand (the apply_calibration Update): the benchmark has no cycle whose
    # locked decision the workflow could read. The pengelola is the appraisal's own.
    pengelola = Actor(nip=input.pengelola_kinerja[0], role=Role.PENGELOLA_KINERJA)
    await handle.execute_update(
        AppraisalWorkflow.apply_calibration,
        ApplyCalibration(actor=pengelola, predicate=Predicate.BAIK, reason="hasil kalibrasi komite (tolok ukur)"),
    )
    await _reach(handle, Step.SIGN_OFF)
    await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=penilai))
    if acknowledge:
        await handle.execute_update(AppraisalWorkflow.acknowledge, Acknowledge(actor=employee))
    final = await handle.result()
    if (final.step, final.predicate) != (Step.FINAL, Predicate.BAIK):
        raise RuntimeError(f"{handle.id} ended at {final.step.value} with {final.predicate}, not final/baik")
    seconds = time.perf_counter() - began
    return HappyRun(handle.id, acknowledge, seconds, stats(await handle.fetch_history()))


async def _reach(handle: WorkflowHandle[AppraisalWorkflow, AppraisalSummary], step: Step) -> None:
    """Poll the state query until the workflow is at `step` (a signal's effect is not returned to the sender)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_TIMEOUT
    while (await handle.query(AppraisalWorkflow.state)).step is not step:
        if loop.time() > deadline:
            raise RuntimeError(f"{handle.id} did not reach {step.value} within {STEP_TIMEOUT:.0f}s")
        await asyncio.sleep(0.05)
