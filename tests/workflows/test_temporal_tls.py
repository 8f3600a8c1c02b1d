"""A secured Temporal frontend: the worker and the command line connect through TLS with a client certificate
(mutual TLS), configured by TEMPORAL__TLS_* alone; a wrong certificate or server name is refused with a clear line.
The frontend is the dev server behind a TLS front (tests/tls.py) with certificates from a throwaway CA."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

import temporal_client
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from settings import OutboxSettings, Settings, TemporalSettings
from tests.integration.commands import kinerja
from tests.tls import SERVER_NAME, Certificates, TlsFront, make_certificates
from tests.workflows import scenario
from tests.workflows.scenario import EMPLOYEE
from worker import run_worker
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import SubmitSkp


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path)


@pytest.fixture
def front(dev_env: WorkflowEnvironment, certificates: Certificates) -> Iterator[str]:
    """The address of a mutual-TLS front for the session's dev server."""
    tls = TlsFront(dev_env.client.service_client.config.target_host, certificates)
    address = tls.start()
    yield address
    tls.stop()


def _secured(address: str, certificates: Certificates, **changes: object) -> TemporalSettings:
    settings = TemporalSettings(
        address=address,
        task_queue=f"kinerja-{uuid.uuid4().hex[:8]}",
        tls_ca_cert=certificates.ca,
        tls_client_cert=certificates.client.cert,
        tls_client_key=certificates.client.key,
        tls_server_name=SERVER_NAME,
    )
    return settings.model_copy(update=changes)


async def test_the_worker_and_a_client_work_through_a_frontend_that_requires_mutual_tls(
    dev_env: WorkflowEnvironment, front: str, certificates: Certificates, tmp_path: Path, cycle_id: str
) -> None:
    database_url = f"sqlite:///{tmp_path}/kinerja.db"
    settings = Settings(
        database_url=database_url,
        temporal=_secured(front, certificates),
        outbox=OutboxSettings(relay=False),
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop=stop, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=30)
        engine = make_engine(database_url)
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            scenario.seed(uow)
            uow.commit()
        engine.dispose()

        client = await temporal_client.connect(settings.temporal)  # as the command line connects
        start = await dev_env.get_current_time()
        handle = await temporal_client.start_appraisal(
            client, scenario.appraisal_input(cycle_id, start), task_queue=settings.temporal.task_queue
        )
        state = await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
        assert state.assignees == [scenario.KASI]  # recorded by the worker, which polls through the front too
        await handle.terminate("test finished")
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)


@pytest.mark.parametrize(
    "what",
    ["no client certificate", "a client certificate from another CA", "another server name", "no TLS"],
)
async def test_a_frontend_refuses_a_client_without_the_right_certificates(
    front: str, certificates: Certificates, what: str
) -> None:
    cases: dict[str, dict[str, Any]] = {
        "no client certificate": {"tls_client_cert": None, "tls_client_key": None},
        "a client certificate from another CA": {
            "tls_client_cert": certificates.stranger.cert,
            "tls_client_key": certificates.stranger.key,
        },
        "another server name": {"tls_server_name": "temporal.lain.test"},
        "no TLS": {"tls_ca_cert": None, "tls_client_cert": None, "tls_client_key": None, "tls_server_name": None},
    }
    wrong = cases[what]
    with pytest.raises((RuntimeError, RPCError)):  # the SDK's "Failed client connect: ...", or the first call
        client = await temporal_client.connect(_secured(front, certificates, **wrong))
        await client.workflow_service.get_system_info(GetSystemInfoRequest())  # should a refusal come only now


def test_the_command_line_connects_through_tls_or_says_which_settings_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], front: str, certificates: Certificates
) -> None:
    monkeypatch.setenv("TEMPORAL__ADDRESS", front)
    monkeypatch.setenv("TEMPORAL__TLS_CA_CERT", str(certificates.ca))
    monkeypatch.setenv("TEMPORAL__TLS_SERVER_NAME", SERVER_NAME)
    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_CERT", str(certificates.client.cert))
    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_KEY", str(certificates.client.key))
    status, _, err = kinerja(capsys, "siklus", "status", "--siklus", "TIDAK-ADA")
    assert status == 1 and "tidak ditemukan" in err  # Temporal answered, through the front

    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_CERT", str(certificates.stranger.cert))
    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_KEY", str(certificates.stranger.key))
    status, _, err = kinerja(capsys, "siklus", "status", "--siklus", "TIDAK-ADA")
    assert status == 1 and err.startswith(f"kesalahan: sambungan TLS ke Temporal di {front} gagal")
    assert "TEMPORAL__TLS_CLIENT_CERT" in err and len(err.splitlines()) == 1

    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_CERT", str(certificates.client.cert))
    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_KEY", str(certificates.client.key))
    monkeypatch.setenv("TEMPORAL__TLS_SERVER_NAME", "temporal.lain.test")
    status, _, err = kinerja(capsys, "siklus", "status", "--siklus", "TIDAK-ADA")
    assert status == 1 and "NotValidForName" in err and "temporal.lain.test" in err  # the reason, not a prefix


def test_tls_settings_come_from_the_environment_and_are_checked(
    monkeypatch: pytest.MonkeyPatch, certificates: Certificates
) -> None:
    monkeypatch.setenv("TEMPORAL__TLS_CA_CERT", str(certificates.ca))
    monkeypatch.setenv("TEMPORAL__TLS_SERVER_NAME", SERVER_NAME)
    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_CERT", "")  # compose passes an unset variable as an empty one
    monkeypatch.setenv("TEMPORAL__API_KEY", "")
    settings = Settings().temporal
    assert settings.uses_tls and settings.tls_client_cert is None and settings.api_key is None
    config = temporal_client.tls_config(settings)
    assert not isinstance(config, bool) and config.domain == SERVER_NAME
    assert config.server_root_ca_cert == certificates.ca.read_bytes() and config.client_cert is None

    assert temporal_client.tls_config(TemporalSettings()) is False  # plain by default, as the dev server is
    assert temporal_client.tls_config(TemporalSettings(tls=True)) is True  # the system's CAs
    assert TemporalSettings(api_key="kunci").uses_tls  # an API key is only ever sent over TLS

    with pytest.raises(ValidationError, match="TEMPORAL__TLS_CLIENT_CERT dan TEMPORAL__TLS_CLIENT_KEY"):
        TemporalSettings(tls_client_cert=certificates.client.cert)
    with pytest.raises(ValidationError, match="tls_ca_cert"):
        TemporalSettings(tls_ca_cert=certificates.ca.parent / "tidak-ada.pem")
