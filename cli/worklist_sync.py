"""`kinerja sinkron-worklist [--siklus ID]`: keep the worklist in step with Temporal where no step writes it — once
after upgrading to 0.4 (running appraisals that have taken no step since), and after an operator ends appraisals by
hand (terminated, cancelled: each open entry of the cycle is checked against its appraisal's latest run). Entries a
step wrote are kept, so running it twice is harmless. See services/worklist_sync.py.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

from temporalio.client import Client

from cli.database import open_database
from cli.temporal import run
from services.worklist_sync import Synced, synchronise
from settings import load_settings

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Parsers) -> None:
    sync = commands.add_parser(
        "sinkron-worklist",
        help="selaraskan worklist dengan Temporal: penilaian dari sebelum 0.4, dan yang dihentikan operator",
        description=__doc__,
    )
    sync.add_argument("--siklus", "--cycle", dest="cycle", help="hanya siklus ini (bawaan: semua)")
    sync.set_defaults(handler=_sync)


def _sync(args: argparse.Namespace) -> int:
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
