"""`kinerja sinkron-worklist [--siklus ID]`: keep the worklist in step with Temporal where no step writes it — once
after upgrading to 0.4 (running appraisals that have taken no step since), and after an operator ends appraisals by
hand (terminated, cancelled: each open entry of the cycle is checked against its appraisal's latest run). Entries a
step wrote are kept, so running it twice is harmless. See services/worklist_sync.py.

`kinerja sinkron-worklist --jadwal [--jam 2] [--zona 7|8|9] [--batas-menit 30]` does it every night instead: a Temporal
Schedule (workflows/upkeep.py) checks every cycle's open entries at that hour, local time.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

from temporalio.client import Client

import temporal_client
from cli.database import open_database
from cli.output import CommandError
from cli.temporal import run
from domain.calendar import WIB
from services.worklist_sync import Synced, synchronise
from settings import Settings, load_settings
from temporal_client import ZONES
from workflows.cycle_contracts import UPKEEP_MAX_MINUTES, WorklistUpkeep

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Parsers) -> None:
    sync = commands.add_parser(
        "sinkron-worklist",
        help="selaraskan worklist dengan Temporal: penilaian dari sebelum 0.4, dan yang dihentikan operator",
        description=__doc__,
    )
    sync.add_argument("--siklus", "--cycle", dest="cycle", help="hanya siklus ini (bawaan: semua)")
    sync.add_argument(
        "--jadwal",
        dest="schedule",
        action="store_true",
        help="jangan jalankan sekarang: jadwalkan setiap malam untuk semua siklus (Temporal Schedule)",
    )
    sync.add_argument("--jam", dest="hour", type=int, default=2, choices=range(24), metavar="0-23")
    sync.add_argument(
        "--zona", dest="zone", type=int, default=WIB, choices=sorted(ZONES), help="7 WIB (bawaan), 8 WITA, 9 WIT"
    )
    sync.add_argument(
        "--batas-menit",
        dest="budget",
        type=_minutes,
        default=WorklistUpkeep().budget_minutes,
        metavar=f"1-{UPKEEP_MAX_MINUTES}",
        help="berhenti setelah sekian menit; sisanya diperiksa malam berikutnya",
    )
    sync.set_defaults(handler=_sync)


def _minutes(text: str) -> int:
    try:
        minutes = int(text)
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= UPKEEP_MAX_MINUTES:
        raise argparse.ArgumentTypeError(f"harus bilangan bulat 1-{UPKEEP_MAX_MINUTES}, bukan {text!r}")
    return minutes


def _sync(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.schedule:
        return _schedule(settings, args)
    uow_factory = open_database(settings)

    async def body(client: Client) -> Synced:
        return await synchronise(client, uow_factory, args.cycle)

    synced = run(settings, body)
    dropped = synced.dropped
    print(
        f"{synced.added_from} penilaian kinerja berjalan dari versi sebelum 0.4 diperiksa (yang belum ada kini ada di"
        f" worklist); {dropped.removed} penilaian yang dihentikan tanpa selesai dikeluarkan dari worklist."
    )
    if dropped.unchecked:
        print(f"peringatan: {dropped.unchecked} penilaian tidak dijawab Temporal dan tetap di worklist; ulangi nanti")
        return 1
    return 0


def _schedule(settings: Settings, args: argparse.Namespace) -> int:
    if args.cycle:
        raise CommandError("--jadwal memeriksa semua siklus setiap malam; tanpa --siklus")
    request = WorklistUpkeep(budget_minutes=args.budget)

    async def body(client: Client) -> str:
        handle = await temporal_client.schedule_worklist_upkeep(
            client, request, task_queue=settings.temporal.task_queue, hour=args.hour, utc_offset_hours=args.zone
        )
        return handle.id

    schedule_id = run(settings, body, subject="jadwal worklist")
    print(
        f"Jadwal {schedule_id}: worklist semua siklus diperiksa setiap hari pukul {args.hour:02d}.00"
        f" ({ZONES[args.zone]}), paling lama {args.budget} menit. Hapus: temporal schedule delete"
        f" --schedule-id {schedule_id}"
    )
    return 0
