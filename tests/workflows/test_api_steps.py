"""Human steps through the HTTP API on the dev server: the actor is the signed-in person, whoever they claim to be.

One appraisal of the scenario's office runs on a real worker; the API app runs in-process over the same database and
Temporal client. People sign in with personal access tokens made for them (the sign-in itself is tested in
tests/identity).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.access import ALL_SCOPES, Grant, Scope
from domain.organisation import Employee, Instansi, Unit
from domain.stages import Role, Step
from identity.sessions import create_token
from persistence.ports import CycleRecord, SkpRecord
from settings import Settings, TemporalSettings
from tests.workflows import scenario
from tests.workflows.conftest import Office, Starter
from web.app import create_app
from workflows.contracts import first_work_item

OTHER_INSTANSI = "DINSOS-KOTA"
OUTSIDER = "198707072012011008"  # an employee of another instansi


def _token(office: Office, nip: str, scopes: frozenset[Scope] = ALL_SCOPES) -> dict[str, str]:
    secret, _ = create_token(
        office.uow_factory, Settings().auth, nip=nip, name="uji", scopes=scopes, days=None, now=datetime.now(UTC)
    )
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def api(
    dev_env: WorkflowEnvironment, dev_start: Starter, office: Office, cycle_id: str
) -> AsyncIterator[httpx.AsyncClient]:
    await dev_start()
    with office.uow_factory() as uow:
        uow.cycles.register(
            CycleRecord(
                cycle_id=cycle_id,
                instansi_code=scenario.INSTANSI,
                period=scenario.PERIOD,
                deadlines=scenario.appraisal_input(cycle_id, datetime.now(UTC)).deadlines,
                policy_version="uji",
            )
        )
        uow.skp.save(SkpRecord(skp=scenario.skp(), status="draft", policy_version="uji"))
        uow.identity.add_grant(
            scenario.PENGAWAS, Grant(role=Role.PENGAWASAN, instansi_code=scenario.INSTANSI), "system", datetime.now(UTC)
        )
        uow.instansi.add(Instansi(code=OTHER_INSTANSI, name="Dinas Sosial"))
        uow.units.add(Unit(code="SOS", name="Dinas Sosial"), OTHER_INSTANSI)
        uow.employees.add(Employee(nip=OUTSIDER, name="Orang Lain", jabatan="Staf", unit_code="SOS"), OTHER_INSTANSI)
        uow.identity.add_grant(
            OUTSIDER, Grant(role=Role.PENGAWASAN, instansi_code=OTHER_INSTANSI), "system", datetime.now(UTC)
        )
        uow.commit()
    settings = Settings(temporal=TemporalSettings(task_queue="unused"))
    app = create_app(settings, uow_factory=office.uow_factory, client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as client:
            yield client


def _step(cycle_id: str, name: str, nip: str = scenario.STAFF) -> str:
    return f"/api/v1/cycles/{cycle_id}/appraisals/{nip}/steps/{name}"


def _audit(office: Office, action: str) -> int:
    with office.uow_factory() as uow:
        return len(uow.audit.list(action=action))


async def test_the_actor_is_the_signed_in_person_and_a_retry_with_its_key_is_recorded_once(
    api: httpx.AsyncClient, office: Office, cycle_id: str
) -> None:
    sri, kasi = _token(office, scenario.STAFF), _token(office, scenario.KASI)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await api.post(_step(cycle_id, "skp-submit"), json={}, headers={**sri, **key})
    assert first.status_code == 200, first.text
    assert first.json()["step"] == Step.SKP_APPROVAL.value
    again = await api.post(_step(cycle_id, "skp-submit"), json={}, headers={**sri, **key})
    assert again.status_code == 200 and again.json()["timeline"] == first.json()["timeline"]
    assert _audit(office, "submit_skp") == 1  # the same Update, answered with the first result
    with office.uow_factory() as uow:
        [entry] = uow.audit.list(action="submit_skp")
    assert (entry.actor, entry.actor_role) == (scenario.STAFF, Role.PEGAWAI)

    # The employee cannot approve their own SKP; the penilai can, and is the one recorded.
    own = await api.post(_step(cycle_id, "skp-approve"), json={}, headers=sri)
    assert own.status_code == 403 and own.json()["field"] == "peran"
    approved = await api.post(_step(cycle_id, "skp-approve"), json={"catatan": "sesuai IKU"}, headers=kasi)
    assert approved.status_code == 200, approved.text
    with office.uow_factory() as uow:
        [entry] = uow.audit.list(action="approve_skp")
    assert (entry.actor, entry.actor_role) == (scenario.KASI, Role.PENILAI)

    # Sri's list now holds her self-assessment, with her name from the roster; the penilai's holds nothing of hers.
    mine = (await api.get("/api/v1/me/tasks", headers=sri)).json()
    assert [(t["step"], t["employee_name"]) for t in mine["tugas"]] == [(Step.SELF_ASSESSMENT.value, "Sri Wahyuni")]
    assert (await api.get("/api/v1/me/tasks", headers=kasi)).json() == {"tugas": [], "jumlah": 0}


async def test_someone_with_no_part_in_it_is_told_it_does_not_exist_and_nothing_is_written(
    api: httpx.AsyncClient, office: Office, cycle_id: str, dev_env: WorkflowEnvironment
) -> None:
    handle = dev_env.client.get_workflow_handle(f"appraisal-{cycle_id}-{scenario.STAFF}")
    await handle.query("state")  # the first workflow task is done: the history is what the test measures against
    events = len((await handle.fetch_history()).events)
    colleague, outsider = _token(office, scenario.KASI_BARU), _token(office, OUTSIDER)
    for who in (colleague, outsider, {}):
        read = await api.get(f"/api/v1/cycles/{cycle_id}/appraisals/{scenario.STAFF}", headers=who)
        submit = await api.post(_step(cycle_id, "skp-submit"), json={"alasan": "x" * 20}, headers=who)
        expected = 401 if not who else 404
        assert read.status_code == submit.status_code == expected, (read.text, submit.text)
    # A supervision team member of the instansi sees it, and may take the employee's step over only with a reason.
    pengawas = _token(office, scenario.PENGAWAS)
    assert (await api.get(f"/api/v1/cycles/{cycle_id}/appraisals/{scenario.STAFF}", headers=pengawas)).is_success
    bare = await api.post(_step(cycle_id, "skp-submit"), json={}, headers=pengawas)
    assert bare.status_code == 422 and bare.json()["field"] == "alasan"
    assert len((await handle.fetch_history()).events) == events
    assert _audit(office, "submit_skp") == 0


async def test_bounds_and_scopes_are_checked_before_anything_is_sent(
    api: httpx.AsyncClient, office: Office, cycle_id: str
) -> None:
    sri = _token(office, scenario.STAFF)
    reader = _token(office, scenario.STAFF, frozenset({Scope.READ}))
    assert (await api.post(_step(cycle_id, "skp-submit"), json={}, headers=reader)).status_code == 403
    huge = await api.post(_step(cycle_id, "skp-submit"), json={"alasan": "x" * 1_000_000}, headers=sri)
    assert huge.status_code == 422 and huge.json()["field"] == "alasan"
    nul = await api.post(_step(cycle_id, "skp-submit"), json={"alasan": "ada\x00nul"}, headers=sri)
    assert nul.status_code == 422 and "karakter kendali" in nul.json()["detail"]
    actor = await api.post(_step(cycle_id, "skp-submit"), json={"oleh": scenario.KASI}, headers=sri)
    assert actor.status_code == 422 and actor.json()["field"] == "oleh"  # no endpoint accepts an actor
    assert _audit(office, "submit_skp") == 0


async def test_an_unreachable_temporal_is_reported_as_an_outage_not_a_refusal(office: Office, cycle_id: str) -> None:
    with office.uow_factory() as uow:
        uow.worklist.put(first_work_item(scenario.appraisal_input(cycle_id, datetime.now(UTC))))
        uow.cycles.register(
            CycleRecord(
                cycle_id=cycle_id,
                instansi_code=scenario.INSTANSI,
                period=scenario.PERIOD,
                deadlines=scenario.appraisal_input(cycle_id, datetime.now(UTC)).deadlines,
                policy_version="uji",
            )
        )
        uow.commit()
    settings = Settings(temporal=TemporalSettings(address="127.0.0.1:1"))
    app = create_app(settings, uow_factory=office.uow_factory)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post(_step(cycle_id, "skp-approve"), json={}, headers=_token(office, scenario.KASI))
        ready = await client.get("/readyz")
    assert answer.status_code == 503 and "Temporal tidak dapat dihubungi" in answer.json()["detail"]
    assert ready.status_code == 503 and ready.json()["temporal"] == "tidak menjawab"
