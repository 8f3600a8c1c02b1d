"""worker.py as `kinerja up` runs it (in-process) and as an operator runs it (`python worker.py`, stopped by SIGTERM),
against the dev server, each on a fresh SQLite file that the worker migrates itself."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import signal
import sys
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from temporalio.testing import WorkflowEnvironment

from observability import configure_logging
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from settings import OutboxSettings, Settings, SmtpSettings, TemporalSettings
from temporal_client import start_appraisal
from tests.ports import free_port
from tests.smtp import SmtpServer
from tests.workflows import scenario
from tests.workflows.scenario import EMPLOYEE, PENILAI, STAFF
from worker import run_worker
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import ApproveSkp, SubmitSkp

REPO = Path(__file__).resolve().parents[2]


def _seed(database_url: str) -> None:
    engine = make_engine(database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        scenario.seed(uow)
        uow.commit()
    engine.dispose()


@contextlib.contextmanager
def _json_logs() -> Iterator[io.StringIO]:
    """The process's JSON log lines while the block runs (observability.configure_logging), then the old handlers."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    configure_logging("INFO", stream=stream)
    try:
        yield stream
    finally:
        for handler in [h for h in root.handlers if h.get_name() == "kinerja-json"]:
            root.removeHandler(handler)
        root.setLevel(level)


async def _two_notices(dev_env: WorkflowEnvironment, settings: Settings, cycle_id: str) -> scenario.Handle:
    """Seed the worker's fresh database, start an appraisal and take two steps: the penilai is told of the SKP (he
    has no address: the log channel), then the employee of its approval (e-mail)."""
    _seed(settings.database_url)
    start = await dev_env.get_current_time()
    handle = await start_appraisal(
        dev_env.client, scenario.appraisal_input(cycle_id, start), task_queue=settings.temporal.task_queue
    )
    await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
    await handle.execute_update(AppraisalWorkflow.approve_skp, ApproveSkp(actor=PENILAI))
    return handle


def _settings(dev_env: WorkflowEnvironment, database_url: str, **more: Any) -> Settings:
    return Settings(
        database_url=database_url,
        temporal=TemporalSettings(
            address=dev_env.client.service_client.config.target_host, task_queue=f"kinerja-{uuid.uuid4().hex[:8]}"
        ),
        **more,
    )


async def test_the_worker_runs_in_process_on_a_fresh_database_and_logs_json_with_the_appraisal(
    dev_env: WorkflowEnvironment, tmp_path: Path, cycle_id: str
) -> None:
    database_url = f"sqlite:///{tmp_path}/kinerja.db"
    settings = _settings(dev_env, database_url)
    with _json_logs() as stream:
        stop, ready = asyncio.Event(), asyncio.Event()
        running = asyncio.create_task(run_worker(settings, stop=stop, ready=ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        _seed(database_url)  # the worker migrated the new file before it started polling
        start = await dev_env.get_current_time()
        handle = await start_appraisal(
            dev_env.client, scenario.appraisal_input(cycle_id, start), task_queue=settings.temporal.task_queue
        )
        state = await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
        assert state.assignees == [scenario.KASI]
        stop.set()
        await asyncio.wait_for(running, timeout=30)
        await handle.terminate("test finished")

    lines: list[dict[str, Any]] = [json.loads(line) for line in stream.getvalue().splitlines()]
    events = [line["event"] for line in lines]
    assert events.index("worker started") < events.index("appraisal step recorded") < events.index("worker stopped")
    recorded = lines[events.index("appraisal step recorded")]
    assert recorded["workflow_id"] == handle.id and recorded["run_id"]
    assert (recorded["cycle"], recorded["nip"], recorded["action"]) == (cycle_id, STAFF, "submit_skp")
    assert recorded["level"] == "info" and recorded["timestamp"]


async def test_the_worker_sends_each_notice_by_email_through_smtp_or_into_the_log(
    dev_env: WorkflowEnvironment, tmp_path: Path, cycle_id: str, smtp_server: SmtpServer
) -> None:
    """The outbox relay beside the worker: the penilai has no address in the roster (the log channel), the employee
    has one (e-mail, through a real SMTP server)."""
    database_url = f"sqlite:///{tmp_path}/kinerja.db"
    settings = _settings(
        dev_env,
        database_url,
        smtp=SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="none"),
        outbox=OutboxSettings(poll_seconds=0.2),
    )
    with _json_logs() as stream:
        stop, ready = asyncio.Event(), asyncio.Event()
        running = asyncio.create_task(run_worker(settings, stop=stop, ready=ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        handle = await _two_notices(dev_env, settings, cycle_id)
        mail = await asyncio.to_thread(smtp_server.inbox.wait_for, scenario.STAFF_EMAIL)
        stop.set()
        await asyncio.wait_for(running, timeout=30)
        await handle.terminate("test finished")

    assert mail["From"] == "Kinerja <kinerja@localhost>" and mail["X-Kinerja-Workflow"] == handle.id
    lines: list[dict[str, Any]] = [json.loads(line) for line in stream.getvalue().splitlines()]
    logged = [line for line in lines if line["event"] == "notice"]
    assert logged and {line["channel"] for line in logged} == {"log"} and logged[0]["logger"] == "kinerja.notices"
    engine = make_engine(database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        counts = uow.outbox.counts()
        recipients = {uow.outbox.get(line["message_id"]).recipient for line in logged}  # type: ignore[union-attr]
    engine.dispose()
    assert scenario.KASI in recipients  # the log names the message; the outbox holds to whom
    assert counts.waiting == counts.failed == 0 and counts.sent >= 2


async def test_the_worker_serves_its_metrics_and_the_outboxs_for_prometheus(
    dev_env: WorkflowEnvironment, tmp_path: Path, cycle_id: str
) -> None:
    """No SMTP server: the penilai's notice goes to the log (sent), the employee's e-mail waits, then is given up."""
    database_url = f"sqlite:///{tmp_path}/kinerja.db"
    bind = f"127.0.0.1:{free_port()}"
    settings = _settings(dev_env, database_url, outbox=OutboxSettings(poll_seconds=0.2), metrics_bind=bind)
    stop, ready = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop=stop, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=30)
        handle = await _two_notices(dev_env, settings, cycle_id)
        where = f'instansi="{scenario.INSTANSI}",stage="self_assessment"'  # the employee's self-assessment is next
        waiting = await _scraped(
            bind,
            lambda found: (
                found.get('kinerja_outbox_waiting{channel="email"}', 0) >= 1
                and found.get("kinerja_notices_sent", 0) >= 1
                and found.get(f"kinerja_steps_open{{{where}}}") == 1
            ),
            "an e-mail waiting, the log notice sent and the appraisal's step open",
        )
        engine = make_engine(database_url)
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            uow.outbox.give_up(created_before=datetime.now(UTC), reason="uji: SMTP belum diatur", at=datetime.now(UTC))
            uow.commit()
        engine.dispose()
        given_up = await _scraped(bind, lambda found: found.get("kinerja_outbox_failed", 0) >= 1, "a notice given up")
        await handle.terminate("test finished")
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)

    assert waiting["kinerja_notices_sent"] >= 1  # the penilai's, into the log
    assert waiting[f"kinerja_steps_overdue{{{where}}}"] == 0  # the worklist's: open, not overdue
    assert waiting["kinerja_outbox_oldest_waiting_seconds"] >= 0 and waiting["kinerja_outbox_failed"] == 0
    assert (
        given_up['kinerja_outbox_waiting{channel="email"}'] == 0
        and given_up['kinerja_outbox_waiting{channel="log"}'] == 0
    )
    # Temporal's own, from the same runtime: this worker's task slots and its calls to the server.
    assert any(name.startswith("temporal_worker_task_slots_available") for name in waiting)
    assert any(name.startswith("temporal_request") for name in waiting)


async def _scraped(bind: str, check: Callable[[dict[str, float]], bool], what: str) -> dict[str, float]:
    async def probe() -> dict[str, float] | None:
        found = _samples(await asyncio.to_thread(_scrape, f"http://{bind}/metrics"))
        return found if check(found) else None

    return await scenario.eventually(probe, what=f"metrics showing {what}")


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
    return body.decode()


def _samples(text: str) -> dict[str, float]:
    """Prometheus text format → {'name{label="value",...}': value}, labels in name order, without the service_name
    that every sample carries."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        name, _, labels = series.partition("{")
        pairs = sorted((k, v) for k, v in re.findall(r'(\w+)="([^"]*)"', labels) if k != "service_name")
        shown = ",".join(f'{k}="{v}"' for k, v in pairs)
        found[f"{name}{{{shown}}}" if shown else name] = float(value)
    return found


async def test_python_worker_py_stops_gracefully_on_sigterm(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "TEMPORAL__ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL__TASK_QUEUE": f"kinerja-{uuid.uuid4().hex[:8]}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "worker.py", cwd=REPO, env=env, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    seen: list[dict[str, Any]] = []
    try:
        while not any(line.get("event") == "worker started" for line in seen):
            raw = await asyncio.wait_for(process.stderr.readline(), timeout=60)
            assert raw, f"worker exited before it started: {seen}"
            seen.append(json.loads(raw))
        process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
    seen += [json.loads(line) for line in (rest or b"").splitlines()]
    assert process.returncode == 0
    ours = [line["event"] for line in seen if line.get("logger") == "kinerja.worker"]
    assert ours[0] == "worker started" and ours[1].startswith("payloads in clear")  # no TEMPORAL__PAYLOAD_KEYS here
    assert ours[2:] == ["signal received", "worker stopping: finishing in-flight activities", "worker stopped"]
    engine = make_engine(f"sqlite:///{database}")
    assert {"audit_log", "outbox", "step_records"} <= set(inspect(engine).get_table_names())
    engine.dispose()
