"""`kinerja demo`: a sample Dukcapil office in the embedded database, shown through every rule a newcomer meets.

It uses the database of `DATABASE_URL` (default `kinerja.db` here) under its own instansi code, so a second run only
shows again what the first stored. The cycle part gives each demo person a local account with one known password
and the roles of the office (cli/demo_people.py), so only on the embedded SQLite database, and drives the story
through the HTTP API as each of them.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from cli import demo_cycle, demo_people
from cli.database import open_database
from cli.output import table
from domain.calibration import CalibrationEntry, propose_adjustments
from domain.organisation import Instansi
from domain.ratings import OrgPredicate
from domain.survey import ikm_by_unit
from importing.iku import parse_iku
from importing.predicates import parse_predicates
from importing.roster import parse_roster
from importing.skp import parse_skp
from importing.survey import parse_survey
from importing.tables import read_table
from persistence.ports import AbstractUnitOfWork
from services import imports
from settings import load_settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
INSTANSI = Instansi(code="DEMO-DUKCAPIL-JPR", name="Dinas Kependudukan dan Pencatatan Sipil Kota Jayapura (demo)")
PERIOD = 2026


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="contoh lengkap: instansi Dukcapil dengan data contoh, lalu satu siklus dipercepat (± 1 menit)",
    )
    demo.add_argument(
        "--tanpa-siklus", dest="no_cycle", action="store_true", help="hanya data dan aturan; tanpa Temporal"
    )
    demo.add_argument("--skala", dest="scale", type=float, default=1.0, help="pengali jadwal siklus (0.5: 2x cepat)")
    demo.add_argument("--data-dir", type=Path, default=Path(".kinerja"), help="data Temporal dev server")
    demo.add_argument("--ui-port", type=int, default=8233, help="port Web UI Temporal (bila server dimulai demo)")
    demo.add_argument("--web-port", type=int, help="port layanan web demo (bawaan: port bebas mana saja)")
    demo.add_argument(
        "--tetap-jalan",
        dest="keep_running",
        action="store_true",
        help="setelah cerita selesai, biarkan layanan web, worker dan Temporal berjalan sampai Ctrl-C",
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    uow_factory = open_database(settings)
    _heading("1. Roster, IKU dan SKP dari berkas CSV (examples/)")
    _load_examples(uow_factory)
    with uow_factory() as uow:
        employees = uow.employees.list_by_instansi(INSTANSI.code)
        units = {unit.code: unit.name for unit in uow.units.list_by_instansi(INSTANSI.code)}
        policy = uow.instansi.policy(INSTANSI.code)
    table(
        ["NIP", "Nama", "Jabatan", "Unit", "Atasan"],
        [[e.nip, e.name, e.jabatan, units.get(e.unit_code, e.unit_code), e.superior_nip] for e in employees],
    )

    _heading("2. Indeks Kepuasan Masyarakat per unit (PermenPANRB 14/2017)")
    responses = parse_survey(read_table(EXAMPLES / "survey_dukcapil.csv"))
    results = ikm_by_unit(responses, policy, {"DAFDUK": 25, "CAPIL": 18})
    table(
        ["Unit", "Responden", "IKM", "Mutu", "Sampel minimal", "Memadai"],
        [[r.unit, r.response_count, r.ikm, f"{r.grade} {r.label}", r.required_sample, r.adequate] for r in results],
    )

    _heading("3. Kalibrasi: kurva distribusi untuk predikat organisasi Baik (SE MenPAN-RB 3/2023)")
    entries = _calibration_entries()
    proposal = propose_adjustments(entries, OrgPredicate.BAIK, policy)
    for violation in proposal.violations:
        print(f"  pelanggaran: {violation.message}")
    table(
        ["NIP", "Nama", "Capaian", "Dari", "Menjadi"],
        [
            [c.employee_id, c.name, c.achievement, c.from_predicate.label, c.to_predicate.label]
            for c in proposal.changes
        ],
    )
    print(f"\nKebijakan {policy.version}. Data tersimpan di basis data instansi {INSTANSI.code}.")
    if args.no_cycle:
        return 0
    demo_people.require_embedded_database(settings)

    _heading("4. Satu siklus dipercepat di Temporal: setiap tahap, keterlambatan dan eskalasi")
    # The demo's worker leaves the outbox alone: a notice per step in the middle of the story would bury it; the
    # demo ends by saying how many wait, and `kinerja up` sends them.
    quiet = settings.model_copy(update={"outbox": settings.outbox.model_copy(update={"relay": False})})
    demo = demo_cycle.Demo(
        settings=quiet, uow_factory=uow_factory, instansi=INSTANSI.code, period=PERIOD, scale=args.scale
    )
    with uow_factory() as uow:
        uow.instansi.set_policy_overrides(INSTANSI.code, demo_cycle.escalation_overrides(demo))
        uow.commit()
    demo_people.prepare(uow_factory, settings, INSTANSI.code)
    demo_cycle.run_cycle(
        demo, data_dir=args.data_dir, ui_port=args.ui_port, web_port=args.web_port, keep_running=args.keep_running
    )
    return 0


def _load_examples(uow_factory: imports.UowFactory) -> None:
    roster = parse_roster(read_table(EXAMPLES / "roster_dukcapil.csv"), INSTANSI.code, date.today())
    summary = imports.import_roster(uow_factory, INSTANSI, roster)
    print(f"roster: {summary.created} pegawai baru, {summary.updated} diperbarui")
    with uow_factory() as uow:
        have_iku = bool(uow.iku.for_period(INSTANSI.code, PERIOD))
        have_skp = _has_skp(uow, [e.nip for e in roster.employees])
        version = uow.instansi.policy(INSTANSI.code).version
    if not have_iku:
        indicators = parse_iku(read_table(EXAMPLES / "iku_dukcapil.csv"), INSTANSI.code, PERIOD)
        print(f"IKU: {imports.import_iku(uow_factory, INSTANSI.code, indicators).created} indikator {PERIOD}")
    if not have_skp:
        nips, codes = imports.known_references(uow_factory, INSTANSI.code, PERIOD)
        skps = parse_skp(read_table(EXAMPLES / "skp_dukcapil.csv"), PERIOD, nips, codes)
        print(f"SKP: {imports.import_skp(uow_factory, INSTANSI.code, skps, version).created} rancangan SKP")


def _has_skp(uow: AbstractUnitOfWork, nips: list[str]) -> bool:
    return any(uow.skp.get(nip, PERIOD) is not None for nip in nips)


def _calibration_entries() -> list[CalibrationEntry]:
    return parse_predicates(read_table(EXAMPLES / "predikat_dukcapil.csv"))


def _heading(text: str) -> None:
    print(f"\n=== {text} ===")
