"""What the fault tests share: a worker process to kill, an appraisal to drive, and the ledger that says whether the
database holds exactly the steps the workflow took."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

import temporal_client
from activities.appraisal import AppraisalActivities
from bench.processes import dev_server_command
from persistence.db import make_engine, make_session_factory
from persistence.orm import OutboxRow, StepRecordRow
from persistence.uow import SqlAlchemyUnitOfWork
from services import worklist
from settings import TemporalSettings
from tests.faults.killed_worker import KILL_AFTER, KILLING
from tests.ports import free_port
from tests.workflows import scenario
from workflows.contracts import AppraisalState, AppraisalSummary, RecordStep, RecordStepResult

REPO = Path(__file__).resolve().parents[2]
UowFactory = Callable[[], SqlAlchemyUnitOfWork]


@contextmanager
def seeded(database_url: str) -> Iterator[tuple[Engine, UowFactory]]:
    """The test's database with the scenario's office in it."""
    engine = make_engine(database_url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    with uow_factory() as uow:
        scenario.seed(uow)
        uow.commit()
    try:
        yield engine, uow_factory
    finally:
        engine.dispose()


async def start_appraisal(client: Any, uow_factory: UowFactory, task_queue: str, cycle_id: str) -> scenario.Handle:
    input = scenario.appraisal_input(cycle_id, datetime.now(UTC))
    worklist.enrol(uow_factory, [input])  # as the cycle's enrolment does before it starts one
    return await temporal_client.start_appraisal(client, input, task_queue=task_queue)


@dataclass
class WorkerProcess:
    process: asyncio.subprocess.Process
    lines: list[dict[str, Any]]

    async def wait_for(self, event: str, timeout: float = 60) -> dict[str, Any]:
        """The first JSON log line of `event`, reading on as needed."""
        assert self.process.stderr is not None
        async with asyncio.timeout(timeout):
            while True:
                for line in self.lines:
                    if line.get("event") == event:
                        return line
                raw = await self.process.stderr.readline()
                if not raw:
                    raise AssertionError(f"the worker exited before {event!r}: {self.lines[-5:]}")
                try:
                    self.lines.append(json.loads(raw))
                except ValueError:
                    self.lines.append({"event": "(text)", "text": raw.decode(errors="replace")})

    async def killed(self, timeout: float = 60) -> None:
        """Wait until the worker killed itself with SIGKILL (and nothing else ended it)."""
        await self.wait_for(KILLING, timeout)
        assert self.process.stderr is not None
        async with asyncio.timeout(timeout):
            await self.process.stderr.read()
            code = await self.process.wait()
        assert code == -signal.SIGKILL, f"the worker ended with {code}, not SIGKILL"

    def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


async def worker_killed_after(action: str, *, database_url: str, address: str, task_queue: str) -> WorkerProcess:
    """A real worker process (tests/faults/killed_worker.py) that kills itself right after writing `action`."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL__ADDRESS": address,
        "TEMPORAL__TASK_QUEUE": task_queue,
        "OUTBOX__RELAY": "false",  # the notices stay in the outbox, where the ledger counts them
        KILL_AFTER: action,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.faults.killed_worker", cwd=REPO, env=env, stderr=asyncio.subprocess.PIPE
    )
    worker = WorkerProcess(process, [])
    try:
        await worker.wait_for("worker started")
    except BaseException:
        worker.stop()
        raise
    return worker


@dataclass(frozen=True)
class Ledger:
    """What the database holds about one appraisal."""

    audit: list[str]  # the audit log's actions, in order
    step_records: Counter[str]  # idempotency records per action
    outbox: list[tuple[str, str]]  # (recipient, subject) of every message, sent or not
    worklist_step: str | None
    worklist_assignee: str | None
    worklist_deadline: datetime | None

    @classmethod
    def of(cls, engine: Engine, workflow_id: str) -> Ledger:
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            audit = [entry.action for entry in uow.audit.list(workflow_id=workflow_id)]
            item = uow.worklist.get(workflow_id)
        with engine.connect() as connection:
            steps = connection.scalars(select(StepRecordRow.step).where(StepRecordRow.workflow_id == workflow_id))
            records = Counter(steps)
            outbox = connection.execute(
                select(OutboxRow.recipient, OutboxRow.subject)
                .where(OutboxRow.workflow_id == workflow_id)
                .order_by(OutboxRow.id)
            )
            messages = [(recipient, subject) for recipient, subject in outbox]
        return cls(
            audit=audit,
            step_records=records,
            outbox=messages,
            worklist_step=item.step.value if item else None,
            worklist_assignee=item.assignee if item else None,
            worklist_deadline=item.deadline if item else None,
        )

    def agrees_with(self, state: AppraisalSummary | AppraisalState) -> None:
        """Exactly the steps the workflow took, once each, and the worklist where the workflow stands."""
        taken = [event.action for event in state.timeline if not event.action.startswith("notice.")]
        assert self.audit == taken, f"audit log {self.audit} against the workflow's steps {taken}"
        assert self.step_records == Counter(taken), self.step_records
        assert len(self.outbox) == len(set(self.outbox)), f"a notice queued twice: {self.outbox}"
        assert self.worklist_step == state.step.value
        assert self.worklist_assignee == (state.assignees[0] if state.assignees else None)
        assert self.worklist_deadline == state.deadline


class HeldActivities(AppraisalActivities):
    """The real activities, with a step's write held (before or after it is committed) until released."""

    def __init__(self, uow_factory: UowFactory) -> None:
        super().__init__(uow_factory)
        self._release = threading.Event()
        self._release.set()
        self._after = False
        self.reached = threading.Event()

    def hold(self, *, after_write: bool) -> None:
        self._after, self.reached = after_write, threading.Event()
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def record_step_sync(self, step: RecordStep) -> RecordStepResult:
        if not self._after:
            self.reached.set()
            self._release.wait(timeout=60)
        result = super().record_step_sync(step)
        if self._after:
            self.reached.set()
            self._release.wait(timeout=60)
        return result


class DevServer:
    """`temporal server start-dev` as `kinerja up` runs it (SQLite file, WAL), on a port of its own: killed with
    SIGKILL and started again on the same file and port."""

    def __init__(self, data_dir: Path) -> None:
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        self._command = dev_server_command(data_dir, port, wal=True)
        self._log = data_dir / "temporal.log"
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 60) -> None:
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                self._command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        async with asyncio.timeout(timeout):
            while True:
                assert self._process.poll() is None, self._log.read_text(errors="replace")[-2000:]
                try:
                    await temporal_client.connect(TemporalSettings(address=self.address))
                    return
                except RuntimeError:
                    await asyncio.sleep(0.2)

    def kill(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
