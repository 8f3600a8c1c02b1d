"""Bulk actions of the supervision team over many appraisals at once (overdue at provincial scale), taken as the
signed-in person (`kinerja masuk`) through the HTTP API.

kinerja massal perpanjang --siklus ID [--unit U] [--tahap T] [--terlambat-sejak P3D] --sampai 2027-02-15 \
    --alasan "..." [--coba]
kinerja massal alihkan --siklus ID --dari NIP_PENILAI_LAMA --penilai NIP_BARU [--atasan NIP] [--unit U] \
    --alasan "..." [--coba]

The appraisals are chosen from the worklist table (read from the database, as `kinerja terlambat` reads it); each
gets the same step a single command sends, as its own request with its own Idempotency-Key (the API checks the
role, the workflow's validator each appraisal); refusals are listed one line per employee and the rest go through.
`--coba` lists what would change and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

from cli.api import Api, ApiError, Unreachable
from cli.output import emit_json, table
from cli.session import call_api
from cli.steps import parse_instant
from cli.worklist import AGE_HELP, OpenStep, list_open, overdue_query
from domain.stages import OPEN_STAGES
from domain.worklist import WorklistQuery

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
CONCURRENCY = 20


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
    parser.add_argument("--alasan", required=True)
    parser.add_argument("--coba", dest="dry_run", action="store_true", help="tampilkan saja, tanpa mengubah")
    parser.add_argument("--json", action="store_true")


@dataclass(frozen=True)
class Outcome:
    nip: str
    done: bool
    message: str


def _apply(cycle: str, nips: list[str], step: str, body: dict[str, Any]) -> list[Outcome]:
    """The step on each appraisal, CONCURRENCY at a time. An API that cannot be reached or a sign-in that is no
    longer valid stops the whole run (every row would say the same); anything else is that employee's outcome."""

    async def every(api: Api) -> list[Outcome]:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(nip: str) -> Outcome:
            async with gate:
                try:
                    state = await api.step(cycle, nip, step, body)
                except Unreachable:
                    raise
                except ApiError as error:
                    if error.status == 401:
                        raise
                    return Outcome(nip, False, str(error).removeprefix("ditolak: "))
                return Outcome(nip, True, state.step.label)

        return list(await asyncio.gather(*(one(nip) for nip in nips)))

    return call_api(every) if nips else []


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
    new_deadline = parse_instant(args.sampai, "sampai")
    query = overdue_query(age=args.age, now=datetime.now(UTC), cycle=args.cycle, unit=args.unit, stage=args.tahap)
    chosen, _ = list_open(query, limit=None)
    if args.dry_run:
        return _preview(chosen, args, "diperpanjang")
    body = {"sampai": new_deadline.isoformat(), "alasan": args.alasan}
    return _report(_apply(args.cycle, [s.nip for s in chosen], "deadline", body), args, "diperpanjang")


def _move(args: argparse.Namespace) -> int:
    chosen, _ = list_open(WorklistQuery(cycle_id=args.cycle, unit_code=args.unit, penilai_nip=args.dari), limit=None)
    if args.dry_run:
        return _preview(chosen, args, f"dialihkan ke {args.penilai}")
    body: dict[str, Any] = {"penilai": "".join(args.penilai.split()), "alasan": args.alasan}
    if args.atasan:
        body["atasan"] = "".join(args.atasan.split())
    outcomes = _apply(args.cycle, [s.nip for s in chosen], "reviewer", body)
    return _report(outcomes, args, f"dialihkan ke {args.penilai}")


def _preview(steps: list[OpenStep], args: argparse.Namespace, what: str) -> int:
    if args.json:
        emit_json([s.as_json() for s in steps])
        return 0
    print(f"{len(steps)} penilaian kinerja akan {what} (--coba: tidak ada yang diubah)")
    if steps:
        table(["NIP", "Unit", "Langkah", "Menunggu"], [[s.nip, s.unit, s.step.label, s.assignee] for s in steps])
    return 0
