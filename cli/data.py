"""Commands on the domain database (`DATABASE_URL`, default `kinerja.db` here): schema, imports and policy.

kinerja db upgrade [--izin-untuk kinerja_app]
kinerja impor roster roster.csv --instansi DUKCAPIL-JPR --nama-instansi "Dinas Dukcapil Kota Jayapura"
kinerja impor iku iku.csv --instansi DUKCAPIL-JPR --periode 2026 [--koreksi "alasan"]
kinerja impor skp skp.xlsx --instansi DUKCAPIL-JPR --periode 2026
kinerja impor survei survei.csv --instansi DUKCAPIL-JPR --periode 2026 [--siklus 2026-DUKCAPIL] [--zona WIT]
kinerja kebijakan tampil --instansi DUKCAPIL-JPR
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from cli.database import open_database
from cli.output import CommandError, emit_json, table
from domain.errors import DomainError
from importing.tables import read_table
from persistence import db, grants
from services import import_files
from services import policy as policy_service
from services.actors import OPERATOR
from services.import_files import ImportKind, ImportOptions
from settings import Settings, load_settings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    database = commands.add_parser("db", help="skema basis data (Alembic)").add_subparsers(
        dest="db_command", required=True
    )
    up = database.add_parser("upgrade", help="migrasi ke skema terbaru (atau --revisi)")
    up.add_argument("--revisi", "--revision", dest="revision", default="head")
    up.add_argument(
        "--izin-untuk",
        dest="grant_to",
        metavar="PERAN",
        help="PostgreSQL: beri PERAN (yang dipakai worker dan layanan web) hak baca-tulis seperlunya; log audit hanya"
        " dapat dibaca dan ditambah (persistence/grants.py)",
    )
    up.set_defaults(handler=_db_upgrade)
    down = database.add_parser("downgrade", help="kembalikan skema ke REVISI ('base' menghapus semua tabel)")
    down.add_argument("revision", metavar="REVISI")
    down.set_defaults(handler=_db_downgrade)
    current = database.add_parser("current", help="revisi skema saat ini")
    current.set_defaults(handler=_db_current)

    importing = commands.add_parser(
        "impor", aliases=["import"], help="impor roster / IKU / SKP dari CSV atau XLSX (semua atau tidak sama sekali)"
    ).add_subparsers(dest="import_command", required=True)
    roster = importing.add_parser("roster", help="unit kerja dan pegawai")
    roster.add_argument("file", type=Path, metavar="BERKAS")
    roster.add_argument("--instansi", required=True, help="kode instansi, mis. DUKCAPIL-JPR")
    roster.add_argument("--nama-instansi", dest="instansi_name", help="nama instansi (wajib saat pertama kali)")
    roster.set_defaults(handler=_import_roster)
    for kind, helptext in (("iku", "Indikator Kinerja Utama satu periode"), ("skp", "rancangan SKP pegawai")):
        sub = importing.add_parser(kind, help=helptext)
        sub.add_argument("file", type=Path, metavar="BERKAS")
        sub.add_argument("--instansi", required=True)
        sub.add_argument("--periode", "--period", dest="period", type=int, default=date.today().year)
        if kind == "iku":
            sub.add_argument(
                "--koreksi",
                dest="correction",
                metavar="ALASAN",
                help="koreksi IKU yang sudah diimpor: versi baru dengan alasan ini; RHK yang menurunkannya didaftar",
            )
        sub.set_defaults(handler=_import_iku if kind == "iku" else _import_skp)

    survey = importing.add_parser(
        "survei",
        aliases=["survey"],
        help="jawaban Survei Kepuasan Masyarakat (kolom unit, token, u1..u9, komentar, waktu) dalam masa survei siklus",
    )
    survey.add_argument("file", type=Path, metavar="BERKAS")
    survey.add_argument("--instansi", required=True)
    survey.add_argument(
        "--periode", "--period", dest="period", type=int, help="bawaan: periode --siklus, atau tahun ini"
    )
    survey.add_argument(
        "--siklus",
        "--cycle",
        dest="cycle",
        help="siklus yang masa surveinya berlaku (bawaan: satu-satunya siklus instansi pada periode itu)",
    )
    survey.add_argument(
        "--zona",
        choices=list(import_files.ZONES),
        help="zona waktu kolom waktu yang ditulis tanpa zona (wajib bila ada; tidak ditebak); jawaban tanpa waktu"
        " dianggap diisi saat impor",
    )
    survey.set_defaults(handler=_import_survey)

    policy = commands.add_parser(
        "kebijakan", aliases=["policy"], help="kebijakan penilaian (ambang, matriks, kuota, kalender)"
    ).add_subparsers(dest="policy_command", required=True)
    show = policy.add_parser("tampil", aliases=["show"], help="kebijakan yang berlaku (bawaan atau instansi)")
    show.add_argument("--instansi", help="kode instansi; tanpa ini: bawaan regulasi")
    show.set_defaults(handler=_policy_show)
    change = policy.add_parser("atur", aliases=["set"], help="ganti penyesuaian kebijakan instansi dari berkas JSON")
    change.add_argument("file", type=Path, metavar="BERKAS_JSON")
    change.add_argument("--instansi", required=True)
    change.set_defaults(handler=_policy_set)


def _url(settings: Settings) -> str:
    return db.resolve_url(settings.database_url)


def _db_upgrade(args: argparse.Namespace) -> int:
    url = _url(load_settings())
    db.upgrade(url, args.revision)
    print(f"skema {db.current_revision(url)} pada {_shown(url)}")
    if args.grant_to:
        try:
            grants.grant_application_role(url, args.grant_to)
        except grants.GrantRefused as error:
            raise CommandError(str(error)) from error
        print(f"hak akses peran {args.grant_to}: baca-tulis; log audit hanya baca dan tambah")
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    url = _url(load_settings())
    db.downgrade(url, args.revision)
    print(f"skema {db.current_revision(url) or 'kosong'} pada {_shown(url)}")
    return 0


def _db_current(_args: argparse.Namespace) -> int:
    url = _url(load_settings())
    print(db.current_revision(url) or "belum dimigrasi")
    return 0


def _shown(url: str) -> str:
    """The URL without a password, for printing."""
    return make_url(url).render_as_string(hide_password=True)


def _import(args: argparse.Namespace, kind: ImportKind, **options: Any) -> int:
    """One file through services.import_files, as the API imports an upload: audited as the operator's."""
    result = import_files.import_table(
        open_database(load_settings()),
        kind,
        read_table(args.file),
        ImportOptions(instansi_code=args.instansi, **options),
        by=OPERATOR,
        now=datetime.now(UTC),
    )
    print(f"{args.file}: {result.pesan}")
    if result.ditinjau:
        table(
            ["NIP", "RHK", "IKU", "Turunan", "Teks"],
            [[r.nip, r.rhk, r.iku, "langsung" if r.langsung else "lewat atasan", r.teks[:60]] for r in result.ditinjau],
        )
    return 0


def _import_roster(args: argparse.Namespace) -> int:
    return _import(args, ImportKind.ROSTER, instansi_name=args.instansi_name)


def _import_iku(args: argparse.Namespace) -> int:
    return _import(args, ImportKind.IKU, period=args.period, correction_reason=args.correction)


def _import_skp(args: argparse.Namespace) -> int:
    return _import(args, ImportKind.SKP, period=args.period)


def _import_survey(args: argparse.Namespace) -> int:
    return _import(args, ImportKind.SURVEY, period=args.period, cycle_id=args.cycle, zone=args.zona)


def _policy_show(args: argparse.Namespace) -> int:
    emit_json(policy_service.show(open_database(load_settings()), args.instansi))
    return 0


def _policy_set(args: argparse.Namespace) -> int:
    try:
        overrides: Any = json.loads(args.file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DomainError(
            f"{args.file} bukan JSON yang sah: {error.msg} (baris {error.lineno})", field="berkas"
        ) from error
    if not isinstance(overrides, dict):
        raise DomainError(f'{args.file} harus berisi objek JSON, mis. {{"survey": {{...}}}}', field="berkas")
    policy = policy_service.set_overrides(
        open_database(load_settings()), args.instansi, overrides, by=OPERATOR, now=datetime.now(UTC)
    )
    print(f"kebijakan {args.instansi} sekarang versi {policy.version}")
    return 0
