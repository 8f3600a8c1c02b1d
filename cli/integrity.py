"""Integrity checks for auditors and operators after an incident.

`kinerja periksa`: does the database hold exactly the steps each appraisal's workflow took (services.consistency)?

    kinerja periksa --siklus 2027-DUKCAPIL                  # every appraisal of the cycle (a worker must run)
    kinerja periksa --siklus 2027-DUKCAPIL --nip 1990...   # some of them
    kinerja periksa --instansi DUKCAPIL-JPR                 # every appraisal of the instansi, all its cycles
    kinerja periksa --siklus 2027-DUKCAPIL --json

It lists every appraisal whose audit log or worklist entry differs from its workflow, and exits 1 if there is one.

`kinerja audit verifikasi`: is the audit log as it was written?

    kinerja audit verifikasi                     # every chain, and the anchors of every cycle in Temporal
    kinerja audit verifikasi --siklus C1 C2      # the anchors of these cycles only
    kinerja audit verifikasi --tanpa-jangkar     # the chains alone (Temporal not needed)
    kinerja audit verifikasi --json

Each audit entry is sealed with a hash over its content and the entry before it (domain.audit_chain), so an entry
edited, deleted, inserted or moved in the database breaks its chain there; the command names the first such entry of
each chain. Rewriting a whole chain (every hash recomputed) is found by the anchors: the chains' heads that each cycle
workflow keeps in its Temporal history at each phase, outside the database. Exit code 0: intact; 1: broken (or
Temporal unreachable while anchors were asked for).
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cli import temporal
from cli.database import open_database
from cli.output import CommandError, emit_json
from domain.audit_chain import CHAINS, AuditAnchor, ChainBreak
from domain.nip import NIP_LENGTH
from services import audit_chain, consistency
from settings import load_settings

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
RETENTION_GONE = "riwayatnya tidak ada lagi di Temporal (lewat masa retensi namespace); tidak diperiksa"
CYCLES_READ = 1000  # cycles per instansi whose anchors are checked when none is named


def register(commands: Parsers) -> None:
    check = commands.add_parser(
        "periksa",
        help="periksa bahwa log audit dan worklist setiap penilaian sama dengan workflow-nya; kode keluar 1 bila tidak",
    )
    scope = check.add_mutually_exclusive_group(required=True)
    scope.add_argument("--siklus", dest="cycle", metavar="ID", help="setiap penilaian siklus ini")
    scope.add_argument("--instansi", metavar="KODE", help="setiap penilaian instansi ini, semua siklusnya")
    check.add_argument(
        "--nip", dest="nips", nargs="+", type=_nip, metavar="NIP", help="dengan --siklus: penilaian pegawai ini saja"
    )
    check.add_argument("--json", action="store_true", help="keluaran JSON")
    check.set_defaults(handler=_check)
    audit = commands.add_parser(
        "audit",
        help="log audit: periksa bahwa isinya masih seperti saat ditulis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = audit.add_subparsers(dest="audit_command", metavar="TINDAKAN", required=True)
    verify = actions.add_parser(
        "verifikasi",
        help="periksa rantai segel log audit dan jangkarnya di riwayat siklus; kode keluar 1 bila ada yang rusak",
    )
    verify.add_argument("--siklus", dest="cycles", nargs="+", metavar="ID", help="periksa jangkar siklus ini saja")
    verify.add_argument(
        "--tanpa-jangkar", dest="no_anchors", action="store_true", help="periksa rantai saja, tanpa Temporal"
    )
    verify.add_argument("--json", action="store_true", help="keluaran JSON")
    verify.set_defaults(handler=_verify)


def _nip(text: str) -> str:
    if len(text) != NIP_LENGTH or not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"'{text}' bukan NIP ({NIP_LENGTH} angka)")
    return text


def _check(args: argparse.Namespace) -> int:
    if args.nips and not args.cycle:
        raise CommandError("--nip hanya bersama --siklus")
    settings = load_settings()
    uow_factory = open_database(settings)

    async def check(client: Client) -> consistency.Checked:
        if args.cycle:
            return await consistency.check_cycle(client, uow_factory, args.cycle, args.nips or ())
        return await consistency.check_instansi(client, uow_factory, args.instansi)

    checked = temporal.run(settings, check, subject="penilaian")
    if args.json:
        emit_json(
            {
                "appraisals": checked.appraisals,
                "disagreements": [{"workflow_id": d.workflow_id, "what": d.what} for d in checked.disagreements],
            }
        )
        return 1 if checked.disagreements else 0
    if checked.appraisals == 0:
        scope = f"siklus {args.cycle}" if args.cycle else f"instansi {args.instansi}"
        raise CommandError(f"tidak ada penilaian {scope} di Temporal")
    print(f"Penilaian diperiksa: {checked.appraisals}")
    if not checked.disagreements:
        print("Semua sama: log audit dan worklist mencatat tepat langkah yang diambil setiap workflow")
        return 0
    print(f"TIDAK SAMA ({len(checked.disagreements)}):")
    for found in checked.disagreements:
        print(f"- {found.workflow_id}: {found.what}")
    return 1


def _verify(args: argparse.Namespace) -> int:
    if args.no_anchors and args.cycles:
        raise CommandError("--siklus dan --tanpa-jangkar tidak dapat dipakai bersama")
    settings = load_settings()
    uow_factory = open_database(settings)
    report = audit_chain.verify(uow_factory)
    anchors: dict[str, list[AuditAnchor] | None] = {}
    if not args.no_anchors:
        cycle_ids = args.cycles or _all_cycles(uow_factory)

        async def read(client: Client) -> dict[str, list[AuditAnchor] | None]:
            return {cycle_id: await _anchors(client, cycle_id) for cycle_id in cycle_ids}

        anchors = temporal.run(settings, read, subject="siklus") if cycle_ids else {}
    anchored = {
        cycle_id: audit_chain.check_anchors(uow_factory, found)
        for cycle_id, found in anchors.items()
        if found is not None
    }
    broken = report.breaks + [found for breaks in anchored.values() for found in breaks]
    if args.json:
        emit_json(
            {
                "intact": not broken,
                "entries": report.entries,
                "breaks": [_jsonable(found) for found in report.breaks],
                "anchors": {
                    cycle_id: {
                        "checked": None if found is None else len(found),
                        "breaks": [_jsonable(broken) for broken in anchored.get(cycle_id, [])],
                    }
                    for cycle_id, found in anchors.items()
                },
            }
        )
        return 1 if broken else 0
    print(f"Entri diperiksa: {report.entries} dalam {CHAINS} rantai")
    for cycle_id, found in anchors.items():
        checked = RETENTION_GONE if found is None else f"{len(found)} diperiksa"
        print(f"Jangkar siklus {cycle_id}: {checked}")
    if not broken:
        print("Log audit utuh: setiap entri cocok dengan segelnya" + ("" if args.no_anchors else " dan jangkarnya"))
        return 0
    print(f"LOG AUDIT TIDAK UTUH ({len(broken)} temuan):")
    for line in audit_chain.describe(broken):
        print(f"- {line}")
    return 1


async def _anchors(client: Client, cycle_id: str) -> list[AuditAnchor] | None:
    """The cycle's anchors; None when Temporal no longer has its history (past the namespace's retention)."""
    try:
        return await audit_chain.cycle_anchors(client, cycle_id)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


def _all_cycles(uow_factory: audit_chain.UnitOfWorkFactory) -> list[str]:
    with uow_factory() as uow:
        return [
            cycle.cycle_id
            for instansi in uow.instansi.all()
            for cycle in uow.cycles.of_instansi(instansi.code, limit=CYCLES_READ)
        ]


def _jsonable(found: ChainBreak) -> dict[str, object]:
    return {
        "chain": found.chain,
        "seq": found.seq,
        "row_id": found.row_id,
        "kind": found.kind.value,
        "message": found.message,
    }
