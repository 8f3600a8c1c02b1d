"""`kinerja sinkron-worklist [--siklus ID]`: keep the worklist in step with Temporal where no step writes it — once
after upgrading to 0.4 (running appraisals that have taken no step since), and after an operator ends appraisals by
hand (terminated, cancelled: each open entry of the cycle is checked against its appraisal's latest run). Entries a
step wrote are kept, so running it twice is harmless. See services/worklist_sync.py.

`kinerja sinkron-worklist --jadwal [--jam 2] [--zona 7|8|9] [--batas-menit 30]` removes the ended ones every night
instead: a Temporal Schedule (workflows/upkeep.py) checks every cycle's open entries at that hour, local time, and a
night that runs out of time leaves the rest to the next.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

from temporalio.client import Client

import temporal_client
from cli.database import open_database
from cli.output import CommandError, paused_line
from cli.temporal import run
from domain.calendar import WIB
from services.worklist_sync import Synced, synchronise
from settings import load_settings
from temporal_client import ZONES
from workflows.cycle_contracts import UPKEEP_MAX_MINUTES, WorklistUpkeep

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
DEFAULT_HOUR = 2  # local time: the quietest hour of an office's day
DEFAULT_BUDGET = int(WorklistUpkeep().budget_minutes)


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
        help="jangan jalankan sekarang: setiap malam (Temporal Schedule) keluarkan penilaian yang dihentikan operator"
        " dari worklist semua siklus",
    )
    sync.add_argument(
        "--jam", dest="hour", type=int, choices=range(24), metavar="0-23", help="dengan --jadwal: pukul (bawaan 2)"
    )
    sync.add_argument(
        "--zona", dest="zone", type=int, choices=sorted(ZONES), help="dengan --jadwal: 7 WIB (bawaan), 8 WITA, 9 WIT"
    )
    sync.add_argument(
        "--batas-menit",
        dest="budget",
        type=_minutes,
        metavar=f"1-{UPKEEP_MAX_MINUTES}",
        help=f"dengan --jadwal: berhenti setelah sekian menit (bawaan {DEFAULT_BUDGET}); malam berikutnya melanjutkan",
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
    if args.schedule:
        return _schedule(args)
    scheduling = {"--jam": args.hour, "--zona": args.zone, "--batas-menit": args.budget}
    given = [flag for flag, value in scheduling.items() if value is not None]
    if given:
        raise CommandError(f"{', '.join(given)} hanya berlaku dengan --jadwal")
    settings = load_settings()
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


def _schedule(args: argparse.Namespace) -> int:
    if args.cycle:
        raise CommandError("--jadwal memeriksa semua siklus setiap malam; tanpa --siklus")
    settings = load_settings()
    hour = DEFAULT_HOUR if args.hour is None else args.hour
    zone = WIB if args.zone is None else args.zone
    request = WorklistUpkeep(budget_minutes=args.budget or DEFAULT_BUDGET)

    async def body(client: Client) -> tuple[str, str | None]:
        handle = await temporal_client.schedule_worklist_upkeep(
            client, request, task_queue=settings.temporal.task_queue, hour=hour, utc_offset_hours=zone
        )
        return handle.id, await temporal_client.paused_note(handle)

    schedule_id, paused = run(settings, body, subject="jadwal worklist")
    print(
        f"Jadwal {schedule_id}: setiap hari pukul {hour:02d}.00 ({ZONES[zone]}), paling lama"
        f" {request.budget_minutes:g} menit, entri worklist penilaian yang dihentikan operator dikeluarkan; yang belum"
        f" sempat diperiksa dilanjutkan malam berikutnya. Hapus: temporal schedule delete --schedule-id {schedule_id}"
    )
    if paused is not None:
        print(paused_line(schedule_id, paused))
    return 0
