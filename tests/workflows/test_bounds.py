"""What only the validators check (workflows.admission), on the real time-skipping server: a 1 MB note and a deadline in
the year 9999 passed the validators before, were recorded, and then failed the workflow task; now the validator
refuses them and nothing is recorded, in history or in the database. Nor may a manager make themself the penilai."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.stages import Step
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from tests.workflows.scenario import EMPLOYEE, KASI_BARU, PENGAWAS, PENILAI, TIM_PENGAWASAN, Handle
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import ApproveSkp, ExtendDeadline, Reassign, SubmitSkp


async def rejected(handle: Handle, update: object, payload: object) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)  # type: ignore[call-overload]
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause


def audit_actions(office: Office, workflow_id: str) -> list[str]:
    with office.uow_factory() as uow:
        return [entry.action for entry in uow.audit.list(workflow_id=workflow_id)]


async def test_a_megabyte_note_and_a_deadline_in_9999_are_refused_before_anything_is_recorded(
    time_skipping_env: WorkflowEnvironment, start: Starter, office: Office
) -> None:
    handle = await start()
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    before = await handle.fetch_history()

    note = await rejected(handle, AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI, note="x" * 1_000_000))
    assert note.type == "DomainError"
    assert note.details[0] == {"field": "catatan", "rule": "batas panjang teks"}
    assert "paling panjang 2.000 karakter, yang dikirim 1.000.000" in note.message

    far = await rejected(
        handle,
        AppraisalWorkflow.extend_deadline,
        ExtendDeadline(
            actor=TIM_PENGAWASAN,
            new_deadline=datetime(9999, 12, 31, tzinfo=UTC),
            reason="pegawai cuti sakit selama dua bulan",
        ),
    )
    assert far.details[0] == {"field": "new_deadline", "rule": "tanggal dalam tahun penilaian"}
    assert "9999-12-31 di luar tahun penilaian dan tahun berikutnya" in far.message

    after = await handle.fetch_history()
    # The time-skipping server keeps a rejected Update's speculative workflow task (three bookkeeping events each);
    # nothing else was added: no Update accepted, no activity, no timer (test_appraisal.py explains).
    assert len(after.events) == len(before.events) + 3 * 2
    assert scenario.without_task_bookkeeping(after) == scenario.without_task_bookkeeping(before)
    assert audit_actions(office, handle.id) == ["submit_skp"]
    # And the appraisal still works: the same step with a sensible note is taken.
    state = await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI, note="Sesuai IKU"))
    assert state.step is Step.SELF_ASSESSMENT
    assert audit_actions(office, handle.id) == ["submit_skp", "approve_skp"]


async def test_a_manager_cannot_make_themself_the_penilai(start: Starter, office: Office) -> None:
    handle = await start()
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    before = await handle.fetch_history()
    myself = await rejected(
        handle,
        AppraisalWorkflow.reassign,
        Reassign(actor=TIM_PENGAWASAN, penilai_nip=PENGAWAS, reason="penilai lama mutasi ke dinas lain"),
    )
    assert myself.details[0] == {"field": "penilai_nip", "rule": "pengalih bukan penerima pengalihan"}
    after = await handle.fetch_history()
    assert scenario.without_task_bookkeeping(after) == scenario.without_task_bookkeeping(before)
    assert audit_actions(office, handle.id) == ["submit_skp"]
    state = await handle.execute_update(
        AppraisalWorkflow.reassign,
        Reassign(actor=TIM_PENGAWASAN, penilai_nip=KASI_BARU, reason="penilai lama mutasi ke dinas lain"),
    )
    assert state.penilai_nip == KASI_BARU
