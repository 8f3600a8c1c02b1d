"""Commands on the domain database (`DATABASE_URL`, default `kinerja.db` here): schema, imports and policy.

kinerja db upgrade
kinerja impor roster roster.csv --instansi DUKCAPIL-JPR --nama-instansi "Dinas Dukcapil Kota Jayapura"
kinerja impor iku iku.csv --instansi DUKCAPIL-JPR --periode 2026
kinerja impor skp skp.xlsx --instansi DUKCAPIL-JPR --periode 2026
kinerja impor survei survei.csv --instansi DUKCAPIL-JPR --periode 2026 [--siklus 2026-DUKCAPIL] [--zona WIT]
kinerja kebijakan tampil --instansi DUKCAPIL-JPR
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from cli.database import open_database
from cli.output import emit_json
from domain.calendar import ZONE_NAMES
from domain.errors import DomainError
from domain.organisation import Instansi
from domain.policy import DEFAULT_POLICY
from importing.iku import parse_iku
from importing.roster import parse_roster
from importing.skp import parse_skp, superior_rhk_ids
from importing.survey import parse_survey
from importing.tables import read_table
from persistence import db
from services import imports, surveys
from settings import Settings, load_settings

ZONES = {name: hours for hours, name in ZONE_NAMES.items()}  # --zona WIT


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    database = commands.add_parser("db", help="skema basis data (Alembic)").add_subparsers(
        dest="db_command", required=True
    )
    up = database.add_parser("upgrade", help="migrasi ke skema terbaru (atau --revisi)")
    up.add_argument("--revisi", "--revision", dest="revision", default="head")
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
        choices=list(ZONES),
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


def _import_roster(args: argparse.Namespace) -> int:
    loaded = read_table(args.file)
    roster = parse_roster(loaded, args.instansi, date.today())
    uow_factory = open_database(load_settings())
    with uow_factory() as uow:
        known = uow.instansi.get(args.instansi)
    if known is None and not args.instansi_name:
        raise DomainError(f"instansi {args.instansi} baru: sebutkan --nama-instansi", field="nama_instansi")
    instansi = known or Instansi(code=args.instansi, name=args.instansi_name)
    summary = imports.import_roster(uow_factory, instansi, roster)
    print(
        f"{args.file}: {summary.created} pegawai baru, {summary.updated} diperbarui, "
        f"{summary.detail['unit_baru']} unit baru di {instansi.code}"
    )
    return 0


def _import_iku(args: argparse.Namespace) -> int:
    indicators = parse_iku(read_table(args.file), args.instansi, args.period)
    summary = imports.import_iku(open_database(load_settings()), args.instansi, indicators)
    print(f"{args.file}: {summary.created} IKU periode {args.period} diimpor ke {args.instansi}")
    return 0


def _import_skp(args: argparse.Namespace) -> int:
    uow_factory = open_database(load_settings())
    nips, iku_codes = imports.known_references(uow_factory, args.instansi, args.period)
    table = read_table(args.file)
    stored = imports.stored_rhk_ids(uow_factory, args.instansi, args.period, superior_rhk_ids(table))
    skps = parse_skp(table, args.period, nips, iku_codes, known_rhk=stored)
    with uow_factory() as uow:
        version = uow.instansi.policy(args.instansi).version
    summary = imports.import_skp(uow_factory, args.instansi, skps, version)
    print(f"{args.file}: {summary.created} SKP periode {args.period} diimpor sebagai draf")
    return 0


def _import_survey(args: argparse.Namespace) -> int:
    given = timezone(timedelta(hours=ZONES[args.zona])) if args.zona else None
    zone = given or timezone(timedelta(hours=ZONES["WIB"]))  # to show the window in; answers are never read in it
    now = datetime.now(UTC)
    uow_factory = open_database(load_settings())
    period = args.period if args.period is not None or args.cycle else date.today().year
    intake = surveys.survey_intake(uow_factory, args.instansi, period, args.cycle, now=now, zone=zone)
    responses = parse_survey(read_table(args.file), zone=given, window=intake.window, received_at=now)
    source = args.file.suffix.lstrip(".").lower() or "csv"
    stored = imports.import_survey(
        uow_factory, args.instansi, intake.period, responses, source, cycle_id=intake.cycle_id, now=now, zone=zone
    )
    print(
        f"{args.file}: {stored} jawaban survei periode {intake.period} disimpan untuk siklus {intake.cycle_id}"
        f" (masa survei {intake.window.text(zone)}; satu token satu jawaban)"
    )
    return 0


def _policy_show(args: argparse.Namespace) -> int:
    if args.instansi:
        with open_database(load_settings())() as uow:
            policy = uow.instansi.policy(args.instansi)
    else:
        policy = DEFAULT_POLICY
    emit_json(policy)
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
    with open_database(load_settings())() as uow:
        policy = uow.instansi.set_policy_overrides(args.instansi, overrides)
        uow.commit()
    print(f"kebijakan {args.instansi} sekarang versi {policy.version}")
    return 0
