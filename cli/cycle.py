"""Starting an appraisal cycle for an instansi: one durable appraisal workflow per active employee.

kinerja siklus mulai --instansi DUKCAPIL-JPR --periode 2026 --siklus 2026-DUKCAPIL \
    --tim-pengawasan NIP[,NIP] [--pengelola NIP[,NIP]] [--kalender kalender.json] [--nip NIP[,NIP]]

Starting again is safe: an employee whose appraisal already runs keeps it (the workflow id is cycle + NIP), so a
late joiner is enrolled by running the same command (or with `--nip`). Who cannot be enrolled is listed with why.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

import temporal_client
from cli.database import open_database
from cli.output import emit_json, table
from cli.temporal import run
from domain.calendar import CycleCalendar
from services.appraisals import CycleRequest, plan_cycle
from settings import load_settings
from workflows.contracts import AppraisalInput

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
CONCURRENCY = 20  # workflow starts in flight at once


def register(commands: Parsers) -> None:
    cycle = commands.add_parser("siklus", aliases=["cycle"], help="siklus penilaian kinerja satu instansi")
    steps = cycle.add_subparsers(dest="cycle_command", required=True)
    start = steps.add_parser(
        "mulai",
        aliases=["start"],
        help="mulai penilaian kinerja setiap pegawai aktif (aman diulang)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    start.add_argument("--instansi", required=True)
    start.add_argument("--periode", "--period", dest="period", type=int, required=True)
    start.add_argument("--siklus", "--cycle", dest="cycle", help="id siklus (bawaan: PERIODE-INSTANSI)")
    start.add_argument("--tim-pengawasan", dest="supervision", required=True, help="NIP tim pengawasan, pisahkan ','")
    start.add_argument("--pengelola", default="", help="NIP pengelola kinerja (BKD/BKPSDM), pisahkan ','")
    start.add_argument(
        "--kalender",
        type=Path,
        metavar="BERKAS_JSON",
        help="batas waktu siklus (tanggal, atau durasi ISO-8601 dari mulai, mis. 'PT10M'); bawaan: kalender kebijakan",
    )
    start.add_argument("--nip", default="", help="hanya pegawai ini (pisahkan ','), mis. pegawai yang baru bergabung")
    start.add_argument("--json", action="store_true")
    start.set_defaults(handler=_start)


def _nips(text: str) -> list[str]:
    return ["".join(part.split()) for part in text.split(",") if part.strip()]


@dataclass
class Enrolment:
    started: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)  # an appraisal of this cycle already finished


async def enrol(client: Client, inputs: list[AppraisalInput], *, task_queue: str, progress: bool = False) -> Enrolment:
    """Start (or find running) the appraisal of every input, at most CONCURRENCY at a time."""
    result = Enrolment()
    gate = asyncio.Semaphore(CONCURRENCY)
    done = 0

    async def one(input: AppraisalInput) -> None:
        nonlocal done
        async with gate:
            try:
                await temporal_client.start_appraisal(client, input, task_queue=task_queue)
                result.started.append(input.employee_nip)
            except WorkflowAlreadyStartedError:
                result.closed.append(input.employee_nip)
            done += 1
            if progress:
                _bar(done, len(inputs))

    await asyncio.gather(*(one(input) for input in inputs))
    if progress and inputs:
        print(file=sys.stderr)
    return result


def _bar(done: int, total: int, width: int = 30) -> None:
    filled = width * done // total
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


def _start(args: argparse.Namespace) -> int:
    settings = load_settings()
    calendar = CycleCalendar.model_validate_json(args.kalender.read_text()) if args.kalender else CycleCalendar()
    request = CycleRequest(
        cycle_id=args.cycle or f"{args.period}-{args.instansi}",
        instansi_code=args.instansi,
        period=args.period,
        calendar=calendar,
        supervision_team=_nips(args.supervision),
        pengelola_kinerja=_nips(args.pengelola),
        only_nips=_nips(args.nip) or None,
    )
    plan = plan_cycle(open_database(settings), request)

    async def body(client: Client) -> Enrolment:
        return await enrol(
            client, plan.inputs, task_queue=settings.temporal.task_queue, progress=sys.stderr.isatty() and not args.json
        )

    result = run(settings, body, subject=f"siklus {request.cycle_id}")
    if args.json:
        emit_json(
            {
                "cycle_id": request.cycle_id,
                "policy_version": plan.policy_version,
                "enrolled": result.started,
                "already_closed": result.closed,
                "skipped": plan.skipped,
            }
        )
        return 0
    print(
        f"Siklus {request.cycle_id}: {len(result.started)} penilaian kinerja berjalan (kebijakan {plan.policy_version})"
    )
    if plan.inputs:
        first = plan.inputs[0].deadlines
        print(f"  SKP disusun paling lambat {first.skp_draft_due.astimezone():%Y-%m-%d %H:%M %z}")
    if result.closed:
        print(f"  {len(result.closed)} sudah selesai sebelumnya: {', '.join(result.closed)}")
    if plan.skipped:
        print(f"  {len(plan.skipped)} pegawai tidak didaftarkan:")
        table(["NIP", "Nama", "Alasan"], [[s.nip, s.name, s.reason] for s in plan.skipped])
    return 0
