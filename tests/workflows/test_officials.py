"""Officials who change during the year, on the real time-skipping server with the real activities: the admin
kepegawaian replaces the supervision team, the pengelola kinerja and the pimpinan of a running cycle
(services.officials.change_officials); the change is audited, reaches every running appraisal, and from then on the
new supervision-team member may extend a deadline while the one removed is refused by the validator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.access import Grant
from domain.errors import DomainError, Forbidden, NotFound
from domain.officials import Officials
from domain.organisation import Employee
from domain.ratings import OrgPredicate
from domain.stages import Role, Step
from domain.worklist import WorklistQuery
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from services import officials_record, worklist
from services.officials import change_officials
from temporal_client import appraisal_handle
from tests.workflows import scenario
from tests.workflows.conftest import running_worker
from tests.workflows.test_cycle import (
    INSTANSI,
    KEPALA,
    SEKDA,
    Office,
    phase,
    seed,
    start_cycle,
)
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import Actor, ApplyOfficials, AppraisalSummary, ExtendDeadline
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import ChangeOfficials, CyclePhase, SetOrgPredicate

OLD_AUDITOR = scenario.PENGAWAS  # the tim pengawasan the cycle starts with
NEW_AUDITOR = "198304042008011012"  # an inspektorat auditor assigned in the course of the year
NEW_PENGELOLA = "198606062010012013"
NEW_SEKDA = "196905051991031002"  # a new Sekda: not on the dinas's roster, as the old one
ADMIN = "198101012006041014"  # admin kepegawaian of the instansi (a grant, not a roster entry)
REASON = "SK Wali Kota 800/45/2026 tentang penggantian tim pengawasan dan pengelola kinerja"
NEW = Officials(supervision_team=[NEW_AUDITOR], pengelola_kinerja=[NEW_PENGELOLA], pimpinan=[NEW_SEKDA])


@pytest.fixture
async def office(sqlite_database_url: str) -> AsyncIterator[Office]:
    engine = make_engine(sqlite_database_url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    staff, heads = seed(uow_factory)
    with uow_factory() as uow:
        for nip, name in ((NEW_AUDITOR, "Auditor Baru"), (NEW_PENGELOLA, "Analis SDM Baru")):
            uow.employees.add(
                Employee(nip=nip, name=name, jabatan="Auditor", unit_code="DINAS", superior_nip=KEPALA), INSTANSI
            )
        grant = Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=INSTANSI)
        uow.identity.add_grant(ADMIN, grant, by="operator", at=datetime.now(UTC))
        uow.commit()
    yield Office(engine=engine, uow_factory=uow_factory, staff=staff, heads=heads)
    engine.dispose()


@pytest.fixture
async def queue(time_skipping_env: WorkflowEnvironment, office: Office) -> AsyncIterator[str]:
    async for task_queue in running_worker(time_skipping_env.client, office.engine):
        yield task_queue


async def extend(handle: scenario.Handle, actor: Actor, until: datetime) -> AppraisalSummary:
    return await handle.execute_update(
        AppraisalWorkflow.extend_deadline,
        ExtendDeadline(actor=actor, new_deadline=until, reason="pegawai cuti sakit dua minggu, surat dokter"),
    )


async def test_new_officials_reach_the_running_appraisals_and_the_old_ones_lose_their_role(
    time_skipping_env: WorkflowEnvironment, queue: str, office: Office
) -> None:
    env, client = time_skipping_env, time_skipping_env.client
    cycle = await start_cycle(env, queue)
    cycle_id = cycle.id.removeprefix("cycle-")
    await phase(cycle, CyclePhase.RUNNING)  # every appraisal enrolled and running
    running = worklist.open_entries(office.uow_factory, WorklistQuery(cycle_id=cycle_id), None, 1000)
    employee = sorted(office.staff)[0]
    appraisal = appraisal_handle(client, cycle_id, employee)

    # Before any change, an apply_officials Update sent straight to an appraisal finds nothing recorded: refused.
    with pytest.raises(WorkflowUpdateFailedError) as forged:
        await appraisal.execute_update(AppraisalWorkflow.apply_officials, ApplyOfficials(version=7))
    assert isinstance(forged.value.cause, ApplicationError) and forged.value.cause.type == "NotFound"

    # Refused before anything is sent: someone who is no admin kepegawaian, a team member not on the roster.
    with pytest.raises(Forbidden):
        await change_officials(client, office.uow_factory, cycle_id, NEW, OLD_AUDITOR, reason=REASON)
    stranger = NEW.model_copy(update={"supervision_team": ["200001012025011001"]})
    with pytest.raises(DomainError) as unknown:
        await change_officials(client, office.uow_factory, cycle_id, stranger, ADMIN, reason=REASON)
    assert unknown.value.field == "supervision_team"
    with pytest.raises(NotFound):
        await change_officials(client, office.uow_factory, "UJI-tidak-ada", NEW, ADMIN, reason=REASON)
    assert officials_record.recorded(office.uow_factory, cycle_id) is None

    changed = await change_officials(client, office.uow_factory, cycle_id, NEW, ADMIN, reason=REASON)
    assert (changed.version, changed.officials, changed.appraisals) == (1, NEW, len(running))
    assert changed.changes["supervision_team"] == {"masuk": [NEW_AUDITOR], "keluar": [OLD_AUDITOR]}
    with office.uow_factory() as uow:
        (entry,) = uow.audit.list(workflow_id=cycle.id, action=officials_record.ACTION)
        taken_up = uow.audit.list(workflow_id=appraisal.id, action="change_officials")
    assert (entry.actor, entry.actor_role, entry.reason) == (ADMIN, Role.ADMIN_KEPEGAWAIAN, REASON)
    assert entry.before is not None and entry.before["supervision_team"] == [OLD_AUDITOR]
    assert entry.after is not None and entry.after["supervision_team"] == [NEW_AUDITOR]
    assert [(e.actor, e.actor_role, e.reason) for e in taken_up] == [(ADMIN, Role.ADMIN_KEPEGAWAIAN, REASON)]
    state = await appraisal.query(AppraisalWorkflow.state)
    assert (state.officials, state.officials_version, state.step) == (NEW, 1, Step.SKP_DRAFTING)

    # The new auditor may extend the deadline; the one removed is refused by the validator, and nothing is written.
    assert state.deadline is not None
    until = state.deadline + timedelta(hours=2)
    before = await appraisal.fetch_history()
    with pytest.raises(WorkflowUpdateFailedError) as removed:
        await extend(appraisal, Actor(nip=OLD_AUDITOR, role=Role.PENGAWASAN), until)
    assert isinstance(removed.value.cause, ApplicationError)
    assert removed.value.cause.details[0]["field"] == "pelaku" and NEW_AUDITOR in removed.value.cause.message
    after = await appraisal.fetch_history()
    assert scenario.without_task_bookkeeping(after) == scenario.without_task_bookkeeping(before)
    extended = await extend(appraisal, Actor(nip=NEW_AUDITOR, role=Role.PENGAWASAN), until)
    assert extended.deadline == until

    # The cycle's own checks use the new lists: the old Sekda is no pimpinan any more; the new one is, and is only
    # told that calibration comes after the review deadline.
    with pytest.raises(WorkflowUpdateFailedError) as old_sekda:
        await cycle.execute_update(
            CycleWorkflow.set_org_predicate, SetOrgPredicate(actor=SEKDA, org_predicate=OrgPredicate.BAIK)
        )
    assert isinstance(old_sekda.value.cause, ApplicationError) and "bukan pimpinan" in old_sekda.value.cause.message
    with pytest.raises(WorkflowUpdateFailedError) as new_sekda:
        await cycle.execute_update(
            CycleWorkflow.set_org_predicate, SetOrgPredicate(actor=NEW_SEKDA, org_predicate=OrgPredicate.BAIK)
        )
    assert isinstance(new_sekda.value.cause, ApplicationError) and new_sekda.value.cause.details[0]["field"] == "tahap"

    # The same lists again change nothing, and the workflow refuses anyone but an admin kepegawaian.
    with pytest.raises(WorkflowUpdateFailedError) as same:
        await change_officials(client, office.uow_factory, cycle_id, NEW, ADMIN, reason=REASON)
    assert isinstance(same.value.cause, ApplicationError) and "tidak ada yang diubah" in same.value.cause.message
    impostor = ChangeOfficials(actor=Actor(nip=ADMIN, role=Role.PENGAWASAN), officials=NEW, reason=REASON)
    with pytest.raises(WorkflowUpdateFailedError) as wrong_role:
        await cycle.execute_update(CycleWorkflow.change_officials, impostor)
    assert (
        isinstance(wrong_role.value.cause, ApplicationError) and wrong_role.value.cause.details[0]["field"] == "peran"
    )
    state_of_cycle = await cycle.query(CycleWorkflow.state)
    assert (state_of_cycle.officials, state_of_cycle.officials_version) == (NEW, 1)

    await scenario.replay_and_record(client, appraisal, "officials_changed")
    await scenario.replay_and_record(client, cycle, "cycle_officials")
