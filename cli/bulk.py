"""Bulk actions of the supervision team over many appraisals at once (overdue at provincial scale).

kinerja massal perpanjang --siklus ID [--unit U] [--tahap T] [--terlambat-sejak P3D] --sampai 2027-02-15 \
    --oleh NIP_PENGAWAS --alasan "..." [--coba]
kinerja massal alihkan --siklus ID --dari NIP_PENILAI_LAMA --penilai NIP_BARU [--atasan NIP] [--unit U] \
    --oleh NIP_PENGAWAS --alasan "..." [--coba]

The appraisals are chosen from the worklist table; each gets the same Update a single command sends (the workflow's
validator checks each one); refusals are listed one line per employee and the rest go through. `--coba` lists what
would change and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from cli.appraisal import parse_instant
from cli.output import emit_json, table
from cli.temporal import rejection_message, run
from cli.worklist import AGE_HELP, OpenStep, list_open, overdue_query
from domain.stages import OPEN_STAGES, Role
from domain.worklist import WorklistQuery
from settings import load_settings
from temporal_client import appraisal_handle
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import Actor, AppraisalState, ExtendDeadline, Reassign

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
CONCURRENCY = 20
MANAGERS = [Role.PENGAWASAN.value, Role.PENGELOLA_KINERJA.value]


def register(commands: Parsers) -> None:
    bulk = commands.add_parser(
        "massal", help="tindakan massal tim pengawasan: perpanjang atau alihkan banyak sekaligus"
    )
    actions = bulk.add_subparsers(dest="bulk_command", required=True)
    extend = actions.add_parser("perpanjang", help="perpanjang batas waktu langkah yang terlambat", description=__doc__)
    extend.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    extend.add_argument("--unit")
    extend.add_argument("--tahap", choices=OPEN_STAGES)
    extend.add_argument("--terlambat-sejak", dest="age", help=AGE_HELP)
    extend.add_argument("--sampai", required=True, help="batas baru: tanggal (akhir hari) atau waktu ISO-8601")
    _common(extend)
    extend.set_defaults(handler=_extend)

    move = actions.add_parser("alihkan", help="alihkan semua penilaian seorang pejabat penilai", description=__doc__)
    move.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    move.add_argument("--dari", required=True, help="NIP pejabat penilai lama")
    move.add_argument("--penilai", required=True, help="NIP pejabat penilai baru")
    move.add_argument("--atasan", help="NIP atasan pejabat penilai baru (bawaan: tetap)")
    move.add_argument("--unit")
    _common(move)
    move.set_defaults(handler=_move)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--oleh", dest="actor", required=True, help="NIP yang bertindak")
    parser.add_argument("--peran", dest="role", choices=MANAGERS, default=Role.PENGAWASAN.value)
    parser.add_argument("--alasan", required=True)
    parser.add_argument("--coba", dest="dry_run", action="store_true", help="tampilkan saja, tanpa mengubah")
    parser.add_argument("--json", action="store_true")


@dataclass(frozen=True)
class Outcome:
    nip: str
    done: bool
    message: str


async def _apply(
    client: Client, cycle: str, nips: list[str], send: Callable[[Any], Awaitable[AppraisalState]]
) -> list[Outcome]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(nip: str) -> Outcome:
        async with gate:
            try:
                state = await send(appraisal_handle(client, cycle, nip))
            except WorkflowUpdateFailedError as error:
                return Outcome(nip, False, rejection_message(error.cause))
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                return Outcome(nip, False, "Temporal tidak menjawab tepat waktu; periksa dengan `kinerja status`")
            except RPCError as error:  # e.g. the appraisal closed meanwhile
                return Outcome(nip, False, f"tidak dapat diubah: {error.message}")
            return Outcome(nip, True, state.step.label)

    return list(await asyncio.gather(*(one(nip) for nip in nips)))


def _report(outcomes: list[Outcome], args: argparse.Namespace, what: str) -> int:
    if args.json:
        emit_json([o.__dict__ for o in outcomes])
    else:
        done = [o for o in outcomes if o.done]
        print(f"{len(done)} dari {len(outcomes)} penilaian kinerja {what}")
        refused = [o for o in outcomes if not o.done]
        if refused:
            table(["NIP", "Ditolak"], [[o.nip, o.message] for o in refused])
    return 0 if all(o.done for o in outcomes) else 1


def _extend(args: argparse.Namespace) -> int:
    settings = load_settings()
    actor = Actor(nip=args.actor, role=Role(args.role))
    new_deadline = parse_instant(args.sampai, "sampai")
    query = overdue_query(age=args.age, now=datetime.now(UTC), cycle=args.cycle, unit=args.unit, stage=args.tahap)
    chosen, _ = list_open(query, limit=None)
    if args.dry_run:
        return _preview(chosen, args, "diperpanjang")
    command = ExtendDeadline(actor=actor, new_deadline=new_deadline, reason=args.alasan)

    async def body(client: Client) -> list[Outcome]:
        return await _apply(
            client,
            args.cycle,
            [s.nip for s in chosen],
            lambda handle: handle.execute_update(AppraisalWorkflow.extend_deadline, command),
        )

    return _report(run(settings, body, subject=f"siklus {args.cycle}"), args, "diperpanjang")


def _move(args: argparse.Namespace) -> int:
    settings = load_settings()
    actor = Actor(nip=args.actor, role=Role(args.role))
    chosen, _ = list_open(WorklistQuery(cycle_id=args.cycle, unit_code=args.unit, penilai_nip=args.dari), limit=None)
    if args.dry_run:
        return _preview(chosen, args, f"dialihkan ke {args.penilai}")
    command = Reassign(actor=actor, penilai_nip=args.penilai, atasan_nip=args.atasan, reason=args.alasan)

    async def body(client: Client) -> list[Outcome]:
        return await _apply(
            client,
            args.cycle,
            [s.nip for s in chosen],
            lambda handle: handle.execute_update(AppraisalWorkflow.reassign, command),
        )

    return _report(run(settings, body, subject=f"siklus {args.cycle}"), args, f"dialihkan ke {args.penilai}")


def _preview(steps: list[OpenStep], args: argparse.Namespace, what: str) -> int:
    if args.json:
        emit_json([s.as_json() for s in steps])
        return 0
    print(f"{len(steps)} penilaian kinerja akan {what} (--coba: tidak ada yang diubah)")
    if steps:
        table(["NIP", "Unit", "Langkah", "Menunggu"], [[s.nip, s.unit, s.step.label, s.assignee] for s in steps])
    return 0
