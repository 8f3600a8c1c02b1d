"""Bulk actions of the supervision team over many appraisals of one cycle at once (overdue at provincial scale),
taken as the signed-in person (`kinerja masuk`) through the HTTP API (`POST /cycles/{id}/bulk/extend|reassign|
follow-roster`).

kinerja massal perpanjang --siklus ID [--unit U] [--tahap T] [--terlambat-sejak P3D] --sampai 2027-02-15 \
    --alasan "..." [--coba]
kinerja massal alihkan --siklus ID --dari NIP_PENILAI_LAMA --penilai NIP_BARU [--atasan NIP] [--unit U] \
    --alasan "..." [--coba]
kinerja massal ikuti-roster --siklus ID [--unit U] --alasan "Mutasi sesuai impor roster 01-07-2026" [--coba]

`ikuti-roster` moves the running appraisals whose pejabat penilai or atasan the roster no longer names (after a
roster import: a mutasi, a penilai who left) to whom it names now; those it cannot place are listed with why.

The service chooses the appraisals from the worklist (at most a few hundred at once: narrow by unit, stage or age)
and sends each the step a single command sends, checked on its own (the role, then the workflow's validator);
refusals are listed one line per employee and the rest go through. `--coba` lists what would change and changes
nothing. A retry after a lost answer carries the same Idempotency-Key, so nothing is extended twice.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any, TypeAlias

from cli.api import Api, segment
from cli.output import emit_json, table
from cli.session import call_api
from cli.steps import parse_instant
from cli.worklist import AGE_HELP
from domain.stages import OPEN_STAGES

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Parsers) -> None:
    bulk = commands.add_parser(
        "massal", help="tindakan massal tim pengawasan: perpanjang, alihkan, ikuti roster banyak sekaligus"
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

    follow = actions.add_parser(
        "ikuti-roster", help="alihkan penilaian berjalan sesuai roster terbaru (mutasi)", description=__doc__
    )
    follow.add_argument("--siklus", "--cycle", dest="cycle", required=True)
    follow.add_argument("--unit")
    _common(follow)
    follow.set_defaults(handler=_follow)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alasan", required=True)
    parser.add_argument("--coba", dest="dry_run", action="store_true", help="tampilkan saja, tanpa mengubah")
    parser.add_argument("--json", action="store_true")


def _extend(args: argparse.Namespace) -> int:
    body = _present(
        unit=args.unit,
        tahap=args.tahap,
        terlambat_sejak=args.age,
        sampai=parse_instant(args.sampai, "sampai").isoformat(),
        alasan=args.alasan,
        coba=args.dry_run,
    )
    return _report(_send(args.cycle, "extend", body), args, "diperpanjang")


def _move(args: argparse.Namespace) -> int:
    body = _present(
        dari=_nip(args.dari),
        penilai=_nip(args.penilai),
        atasan=_nip(args.atasan) if args.atasan else None,
        unit=args.unit,
        alasan=args.alasan,
        coba=args.dry_run,
    )
    return _report(_send(args.cycle, "reassign", body), args, f"dialihkan ke {_nip(args.penilai)}")


def _follow(args: argparse.Namespace) -> int:
    body = _present(unit=args.unit, alasan=args.alasan, coba=args.dry_run)
    return _report(_send(args.cycle, "follow-roster", body), args, "dialihkan sesuai roster", column="Perubahan")


def _send(cycle_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
    async def send(api: Api) -> dict[str, Any]:
        answer: dict[str, Any] = await api.post(
            f"/cycles/{segment(cycle_id)}/bulk/{action}", body, key=str(uuid.uuid4())
        )
        return answer

    return call_api(send)


def _report(result: dict[str, Any], args: argparse.Namespace, what: str, *, column: str = "Langkah") -> int:
    outcomes: list[dict[str, Any]] = result["hasil"]
    if args.json:
        emit_json(outcomes)
        return 0 if all(o["berhasil"] is not False for o in outcomes) else 1
    if result["coba"]:
        print(f"{result['jumlah']} penilaian kinerja akan {what} (--coba: tidak ada yang diubah)")
        if outcomes:
            table(["NIP", "Nama", column], [[o["nip"], o["nama"], o["pesan"]] for o in outcomes])
        return 0
    print(f"{result['berhasil']} dari {result['jumlah']} penilaian kinerja {what}")
    refused = [o for o in outcomes if not o["berhasil"]]
    if refused:
        table(["NIP", "Nama", "Ditolak"], [[o["nip"], o["nama"], o["pesan"]] for o in refused])
    return 0 if not refused else 1


def _present(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _nip(text: str) -> str:
    return "".join(text.split())
