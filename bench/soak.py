"""A cycle driven while its worker and its Temporal server are killed again and again (issue 19's soak).

    .venv/bin/python -m bench.soak                                 # 1,000 employees, 10 minutes; ~13 minutes here
    .venv/bin/python -m bench.soak --employees 200 --minutes 2     # a quick look

A dev server on a SQLite file (as `kinerja up` runs it), the domain database on PostgreSQL (127.0.0.1:5432, a
database of its own; `--sqlite` for a file), one worker process. The cycle workflow enrols every employee, on a
calendar of minutes so that deadlines pass, reminders and escalations fire and the survey closes during the run.
Every appraisal's first four steps (SKP submitted and approved, self-assessment, review) are sent, paced to last the
run, each with its own Update id kept across retries as the API and the command line do; a step whose answer is
lost (the server or the worker gone) is sent again with the same id until it is answered. Meanwhile the worker is
killed (SIGKILL) every few seconds and started again, and the dev server every minute or so and started again on its
file.

At the end, with nothing killed any more: every step's answer, the audit log's person steps against the steps
answered (duplicates: entries beyond one per step), `kinerja periksa` over every appraisal (audit log and worklist
against each workflow) and `kinerja audit verifikasi`'s chain walk. The table goes to stdout (docs/integrity.md).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

import temporal_client
from bench import office
from bench.enrolment import cycle_workflow
from bench.processes import Child, dev_server_command, free_port, scratch_dir, spawn, start_kinerja_worker
from bench.web_stack import create_database, drop_database, postgres_admin_url
from domain.calendar import CycleCalendar
from domain.ratings import Expectation
from domain.stages import Role
from persistence.db import make_engine, make_session_factory, upgrade
from persistence.uow import SqlAlchemyUnitOfWork
from services import audit_chain, consistency
from services.appraisals import CycleRequest
from settings import TemporalSettings
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import (
    Actor,
    AppraisalInput,
    ApproveSkp,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    appraisal_workflow_id,
)

STEPS = ("submit_skp", "approve_skp", "submit_self_assessment", "submit_review")
RETRY_PAUSE = 1.0  # seconds before a step whose answer was lost is sent again
UPDATE_WAIT = timedelta(seconds=30)  # one attempt's wait for its answer


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@dataclass
class Tally:
    answered: int = 0  # steps whose Update was answered with the appraisal's state
    attempts: int = 0  # sends, first ones and retries
    refused: Counter[str] = field(default_factory=Counter)  # a step answered with a refusal, by its type
    worker_kills: int = 0
    server_kills: int = 0


def calendar(start: datetime, minutes: float) -> CycleCalendar:
    """The year in `minutes`: SKP due a fifth in, the self-assessment at half, the review near the end."""

    def at(share: float) -> str:
        return f"PT{max(1, round(minutes * 60 * share))}S"

    return CycleCalendar.model_validate(
        {
            "start": start.isoformat(),
            "skp_draft_due": at(0.15),
            "skp_due": at(0.25),
            "survey_opens": at(0.1),
            "survey_closes": at(0.6),
            "self_assessment_due": at(0.5),
            "review_due": at(0.8),
            "calibration_due": at(1.5),
            "sign_off_due": at(2.0),
        }
    )


def payload(step: str, input: AppraisalInput) -> tuple[Callable[..., Any], Any]:
    employee = Actor(nip=input.employee_nip, role=Role.PEGAWAI)
    penilai = Actor(nip=input.penilai_nip, role=Role.PENILAI)
    if step == "submit_skp":
        return AppraisalWorkflow.submit_skp, SubmitSkp(actor=employee, skp=office.skp(input.employee_nip, input.period))
    if step == "approve_skp":
        return AppraisalWorkflow.approve_skp, ApproveSkp(actor=penilai)
    if step == "submit_self_assessment":
        return AppraisalWorkflow.submit_self_assessment, SubmitSelfAssessment(
            actor=employee, realisations=office.realisations()
        )
    return AppraisalWorkflow.submit_review, SubmitReview(
        actor=penilai, perilaku=Expectation.MEETS, hasil_kerja=Expectation.MEETS
    )


async def send(client: Client, input: AppraisalInput, step: str, tally: Tally) -> bool:
    """Send one step until it is answered (the same Update id every time); False if it was refused."""
    handle = temporal_client.appraisal_handle(client, input.cycle_id, input.employee_nip)
    update, body = payload(step, input)
    update_id = f"soak-{step}"
    while True:
        tally.attempts += 1
        try:
            await handle.execute_update(update, body, id=update_id, rpc_timeout=UPDATE_WAIT)  # type: ignore[call-overload]
            tally.answered += 1
            return True
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            tally.refused[cause.type if isinstance(cause, ApplicationError) and cause.type else "?"] += 1
            return False
        except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError, RuntimeError):
            await asyncio.sleep(RETRY_PAUSE)


@dataclass
class Stack:
    data_dir: Path
    port: int
    database_url: str
    task_queue: str
    server: Child | None = None
    worker: Child | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start_server(self) -> None:
        command = dev_server_command(self.data_dir, self.port, wal=False)
        self.server = spawn("temporal dev server", command, self.data_dir / "temporal.log")
        deadline = time.monotonic() + 90
        while True:
            try:
                await temporal_client.connect(TemporalSettings(address=self.address))
                return
            except RuntimeError:
                if self.server.popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dev server did not come back:\n{self.server.tail()}") from None
                await asyncio.sleep(0.3)

    async def start_worker(self) -> None:
        self.worker = await start_kinerja_worker(self.data_dir, self.address, self.task_queue, self.database_url)


def _kill(child: Child | None) -> None:
    if child is not None and child.popen.poll() is None:
        child.popen.send_signal(signal.SIGKILL)
        child.popen.wait()


async def killer(stack: Stack, tally: Tally, until: float, worker_every: float, server_every: float) -> None:
    """Kill the worker every ~`worker_every` s and the server every ~`server_every` s (each ±50 %), until `until`."""
    draw = random.Random(7)
    next_worker = time.monotonic() + worker_every * draw.uniform(0.5, 1.5)
    next_server = time.monotonic() + server_every * draw.uniform(0.5, 1.5)
    while time.monotonic() < until:
        await asyncio.sleep(0.2)
        now = time.monotonic()
        if now >= next_server:
            _kill(stack.server)
            tally.server_kills += 1
            progress(f"dev server killed ({tally.server_kills}); starting it again on its file")
            await stack.start_server()
            next_server = time.monotonic() + server_every * draw.uniform(0.5, 1.5)
        if now >= next_worker:
            _kill(stack.worker)
            tally.worker_kills += 1
            await stack.start_worker()
            next_worker = time.monotonic() + worker_every * draw.uniform(0.5, 1.5)


async def drive(client: Client, inputs: list[AppraisalInput], tally: Tally, seconds: float) -> None:
    """Every appraisal's steps in order, the sends spread evenly over `seconds`."""
    total = len(inputs) * len(STEPS)
    gap = seconds / total
    queue: asyncio.Queue[tuple[AppraisalInput, int]] = asyncio.Queue()
    for input in inputs:
        queue.put_nowait((input, 0))
    running: set[asyncio.Task[None]] = set()
    done = 0

    async def one(input: AppraisalInput, index: int) -> None:
        nonlocal done
        if await send(client, input, STEPS[index], tally) and index + 1 < len(STEPS):
            queue.put_nowait((input, index + 1))
        done += 1

    while done < total:
        try:
            input, index = await asyncio.wait_for(queue.get(), timeout=1.0)
        except TimeoutError:
            if not running:
                break  # a refused step ends its appraisal's lane: nothing more will come
            continue
        task = asyncio.create_task(one(input, index))
        running.add(task)
        task.add_done_callback(running.discard)
        await asyncio.sleep(gap)
    await asyncio.gather(*running)


async def soak(args: argparse.Namespace) -> int:
    admin = postgres_admin_url()
    with scratch_dir("kinerja-soak-", keep=args.keep) as data_dir:
        database_url = f"sqlite:///{data_dir / 'kinerja.db'}" if args.sqlite else create_database(admin, "kinerja_soak")
        engine = None
        stack: Stack | None = None
        try:
            await asyncio.to_thread(upgrade, database_url)
            engine = make_engine(database_url)
            session_factory = make_session_factory(engine)

            def uow_factory() -> SqlAlchemyUnitOfWork:
                return SqlAlchemyUnitOfWork(session_factory)

            org = await asyncio.to_thread(office.seed, uow_factory, args.employees)
            stack = Stack(data_dir, free_port(), database_url, "kinerja-soak")
            await stack.start_server()
            await stack.start_worker()
            client = await temporal_client.connect(TemporalSettings(address=stack.address))
            now = datetime.now(UTC)
            request = CycleRequest(
                cycle_id=f"soak-{now:%H%M%S}",
                instansi_code=org.instansi_code,
                period=now.year,
                calendar=calendar(now, args.minutes),
                supervision_team=[org.pengawas],
                pengelola_kinerja=[org.pengelola],
            )
            enrolled = await cycle_workflow(client, uow_factory, request, task_queue=stack.task_queue, concurrency=50)
            inputs = enrolled.inputs
            progress(f"{len(inputs)} appraisals enrolled in {enrolled.seconds:.0f}s; driving for {args.minutes} min")

            tally = Tally()
            seconds = args.minutes * 60
            began = time.monotonic()
            kills = asyncio.create_task(
                killer(stack, tally, began + seconds, args.worker_kill_every, args.server_kill_every)
            )
            await _with_progress(drive(client, inputs, tally, seconds * 0.95), tally)
            await kills
            if stack.worker is None or stack.worker.popen.poll() is not None:
                await stack.start_worker()
            progress("driving done; letting the last writes and notices settle")
            await asyncio.sleep(args.settle)
            ids = [appraisal_workflow_id(input.cycle_id, input.employee_nip) for input in inputs]
            checked = await consistency.check_appraisals(client, uow_factory, ids)
            chain = await asyncio.to_thread(audit_chain.verify, uow_factory)
            recorded = await asyncio.to_thread(_person_steps, uow_factory, ids)
            _table(args, len(inputs), time.monotonic() - began, tally, recorded, checked, chain)
            return 0 if not checked.disagreements and chain.intact and recorded.duplicates == 0 else 1
        finally:
            for child in (stack.worker, stack.server) if stack is not None else ():
                if child is not None:
                    child.stop()
            if engine is not None:
                engine.dispose()
            if not args.sqlite:
                drop_database(admin, database_url)


async def _with_progress(work: Awaitable[None], tally: Tally) -> None:
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.wait({task}, timeout=30)
        progress(
            f"answered {tally.answered}, sends {tally.attempts}, refused {sum(tally.refused.values())},"
            f" kills: worker {tally.worker_kills}, server {tally.server_kills}"
        )
    task.result()


@dataclass(frozen=True)
class Recorded:
    steps: int  # audit entries of the person steps sent
    duplicates: int  # entries beyond one per (appraisal, step)
    notices: int  # reminders and escalations written


def _person_steps(uow_factory: Callable[[], SqlAlchemyUnitOfWork], workflow_ids: list[str]) -> Recorded:
    steps = duplicates = notices = 0
    with uow_factory() as uow:
        for workflow_id in workflow_ids:
            actions = Counter(entry.action for entry in uow.audit.list(workflow_id=workflow_id))
            steps += sum(actions[step] for step in STEPS)
            duplicates += sum(max(0, actions[step] - 1) for step in STEPS)
            notices += sum(count for action, count in actions.items() if action.startswith("notice."))
    return Recorded(steps, duplicates, notices)


def _table(
    args: argparse.Namespace,
    appraisals: int,
    seconds: float,
    tally: Tally,
    recorded: Recorded,
    checked: consistency.Checked,
    chain: audit_chain.ChainReport,
) -> None:
    refused = ", ".join(f"{kind} {count}" for kind, count in tally.refused.most_common()) or "0"
    rows = [
        ("appraisals (one cycle)", f"{appraisals:,}"),
        ("run (driving, then until checked)", f"{seconds / 60:.1f} min"),
        ("worker killed (SIGKILL) and restarted", tally.worker_kills),
        ("dev server killed (SIGKILL) and restarted on its file", tally.server_kills),
        ("steps sent (each until answered, same Update id)", f"{tally.answered + sum(tally.refused.values()):,}"),
        ("... sends in all, retries included", f"{tally.attempts:,}"),
        ("... answered with the appraisal's state", f"{tally.answered:,}"),
        ("... answered with a refusal", refused),
        ("steps recorded in the audit log", f"{recorded.steps:,}"),
        ("duplicates (entries beyond one per appraisal and step)", recorded.duplicates),
        ("reminders and escalations recorded", f"{recorded.notices:,}"),
        (
            "`kinerja periksa`: appraisals that disagree with their workflow",
            len({d.workflow_id for d in checked.disagreements}),
        ),
        ("`kinerja audit verifikasi`: entries walked, breaks", f"{chain.entries:,}, {len(chain.breaks)}"),
    ]
    print(f"database: {'SQLite' if args.sqlite else 'PostgreSQL'}, worker killed every ~{args.worker_kill_every}s,"
          f" server every ~{args.server_kill_every}s")  # fmt: skip
    print("| | |\n|---|---:|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    for found in checked.disagreements[:20]:
        print(f"- {found.workflow_id}: {found.what}")
    for line in audit_chain.describe(chain.breaks[:20]):
        print(f"- {line}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--worker-kill-every", type=float, default=6.0, help="seconds, ±50 %%")
    parser.add_argument("--server-kill-every", type=float, default=60.0, help="seconds, ±50 %%")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after driving before the checks")
    parser.add_argument("--sqlite", action="store_true", help="the domain database in a SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (logs, Temporal's file)")
    return parser.parse_args(argv)


def main() -> None:
    sys.exit(asyncio.run(soak(parse())))


if __name__ == "__main__":
    main()
