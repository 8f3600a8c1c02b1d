"""Offline tools: the rules on files HR and survey officers already have, with no database and no Temporal.

    kinerja nip check 199001012015031001 "19900101 201503 1 001"
    kinerja nip check --file roster.xlsx --column nip
    kinerja ikm survei.csv --populasi DAFDUK=1200
    kinerja kalibrasi cek predikat.csv --predikat-organisasi baik
    kinerja validasi roster roster.csv

Every command prints a table in Bahasa Indonesia, or the same data with `--json`. A check that finds problems exits
with status 1 after printing them, so scripts can stop on a bad file.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from cli.output import emit_json, table
from domain.calibration import propose_adjustments
from domain.errors import DomainError
from domain.nip import NipCheck, check_nips
from domain.organisation import EmploymentKind
from domain.policy import DEFAULT_POLICY
from domain.ratings import OrgPredicate, Predicate, parse_enum
from domain.survey import ikm_by_unit
from importing.iku import parse_iku
from importing.predicates import parse_predicates
from importing.roster import employment_kind, parse_roster
from importing.skp import parse_skp
from importing.survey import parse_survey
from importing.tables import Column, normalise_header, read_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    nip = commands.add_parser("nip", help="periksa NIP / NI PPPK").add_subparsers(dest="nip_command", required=True)
    check = nip.add_parser("check", aliases=["cek"], help="periksa satu atau beberapa NIP, atau satu kolom berkas")
    check.add_argument("nips", nargs="*", metavar="NIP", help="NIP (spasi pemisah boleh, beri tanda kutip)")
    check.add_argument("--file", type=Path, help="berkas CSV/XLSX yang memuat kolom NIP")
    check.add_argument("--column", default="nip", help="nama kolom NIP di berkas (bawaan: nip)")
    check.add_argument("--pppk", action="store_true", help="periksa sebagai NI PPPK, bukan NIP PNS")
    _json_flag(check)
    check.set_defaults(handler=_nip_check)

    ikm = commands.add_parser("ikm", help="hitung IKM per unit dari ekspor Survei Kepuasan Masyarakat (CSV/XLSX)")
    ikm.add_argument("file", type=Path, metavar="BERKAS")
    ikm.add_argument(
        "--populasi",
        "--population",
        dest="populations",
        action="append",
        default=[],
        metavar="UNIT=N",
        help="jumlah penerima layanan unit (untuk ukuran sampel Krejcie–Morgan); boleh berulang",
    )
    _json_flag(ikm)
    ikm.set_defaults(handler=_ikm)

    calibration = commands.add_parser(
        "kalibrasi", aliases=["calibration"], help="kurva distribusi predikat (SE MenPAN-RB 3/2023)"
    ).add_subparsers(dest="calibration_command", required=True)
    cal_check = calibration.add_parser(
        "cek", aliases=["check"], help="periksa daftar predikat pegawai terhadap pola distribusi"
    )
    cal_check.add_argument("file", type=Path, metavar="BERKAS", help="kolom: nip, nama, predikat, capaian")
    cal_check.add_argument(
        "--predikat-organisasi",
        "--org-predicate",
        dest="org_predicate",
        required=True,
        help="istimewa | baik | butuh_perbaikan | kurang | sangat_kurang",
    )
    _json_flag(cal_check)
    cal_check.set_defaults(handler=_calibration_check)

    validate = commands.add_parser(
        "validasi", aliases=["validate"], help="periksa berkas roster / IKU / SKP tanpa mengimpor"
    )
    validate.add_argument("kind", choices=["roster", "iku", "skp"], metavar="JENIS", help="roster | iku | skp")
    validate.add_argument("file", type=Path, metavar="BERKAS")
    validate.add_argument("--instansi", default="INSTANSI", help="kode instansi (bawaan: INSTANSI)")
    validate.add_argument("--periode", "--period", dest="period", type=int, default=date.today().year)
    _json_flag(validate)
    validate.set_defaults(handler=_validate)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="keluaran JSON untuk mesin")


# --- nip check -----------------------------------------------------------------------------------------------------


def _nip_check(args: argparse.Namespace) -> int:
    """Each NIP as PNS, or as PPPK with --pppk; in a file with a `jenis` column, as the row says."""
    default = EmploymentKind.PPPK if args.pppk else EmploymentKind.PNS
    if args.file is None and not args.nips:
        raise DomainError("berikan NIP sebagai argumen atau --file BERKAS", field="nip")
    sources: list[tuple[str, str, EmploymentKind]] = [("argumen", value, default) for value in args.nips]
    if args.file is not None:
        column = normalise_header(args.column)
        loaded = read_table(args.file, [Column(name=column), Column(name="jenis", required=False)])
        for row in loaded.rows:
            kind = default if args.pppk or not row.get("jenis") else employment_kind(row.get("jenis"))
            sources.append((f"baris {row.line}", row.get(column), kind or default))
    checks = [check_nips([value], kind, today=date.today())[0] for _, value, kind in sources]
    rows = [(where, kind, check) for (where, _, kind), check in zip(sources, checks, strict=True)]
    if args.json:
        emit_json(
            [{"sumber": where, "jenis": kind.value, **check.model_dump(mode="json")} for where, kind, check in rows]
        )
    else:
        table(
            ["Sumber", "NIP", "Jenis", "Status", "Segmen", "Keterangan"],
            [
                [where, check.input, kind.value, "sah" if check.ok else "SALAH", check.segment, _describe(check)]
                for where, kind, check in rows
            ],
        )
        bad = sum(not check.ok for check in checks)
        print(f"\n{len(checks)} diperiksa, {len(checks) - bad} sah, {bad} salah.")
    return 1 if any(not check.ok for check in checks) else 0


def _describe(check: NipCheck) -> str:
    if not check.ok:
        return check.error or ""
    info = check.info
    assert info is not None
    parts = [f"lahir {info.birth_date:%d-%m-%Y}", "laki-laki" if info.gender == "L" else "perempuan"]
    if info.tmt_cpns is not None:
        parts.append(f"TMT CPNS {info.tmt_cpns:%m-%Y}")
    if info.appointment_year is not None:
        parts.append(f"tahun pengangkatan {info.appointment_year}")
    parts.append(f"urut {info.sequence:03d}")
    return ", ".join(parts)


# --- ikm -----------------------------------------------------------------------------------------------------------


def _ikm(args: argparse.Namespace) -> int:
    populations = _populations(args.populations)
    responses = parse_survey(read_table(args.file))
    results = ikm_by_unit(responses, DEFAULT_POLICY, populations)
    if args.json:
        emit_json(results)
        return 0
    for result in results:
        print(f"Unit {result.unit}: {result.response_count} responden")
        table(["Unsur", "Nama", "Jawaban", "NRR"], [[u.code, u.name, u.answered, u.nrr] for u in result.unsur])
        if result.complete:
            print(f"IKM {result.ikm}  mutu {result.grade} ({result.label})  NI {result.ni}")
        sample = (
            f"sampel minimal {result.required_sample} dari populasi {result.population}; " if result.population else ""
        )
        print(f"{sample}sampel {'memadai' if result.adequate else 'TIDAK memadai'}")
        for message in result.messages:
            print(f"PERHATIAN: {message}")
        print()
    print(f"Kebijakan {DEFAULT_POLICY.version}; bobot unsur 1/9 tepat (PermenPANRB 14/2017).")
    return 0


def _populations(values: list[str]) -> dict[str, int]:
    populations: dict[str, int] = {}
    for value in values:
        unit, sep, count = value.partition("=")
        if not sep or not unit.strip() or not count.strip().isdigit():
            raise DomainError(f"--populasi '{value}' harus berbentuk UNIT=JUMLAH, mis. DAFDUK=1200", field="populasi")
        populations[unit.strip()] = int(count)
    return populations


# --- calibration check ---------------------------------------------------------------------------------------------


def _calibration_check(args: argparse.Namespace) -> int:
    org = parse_enum(OrgPredicate, args.org_predicate, field="predikat_organisasi")
    entries = parse_predicates(read_table(args.file))
    proposal = propose_adjustments(entries, org, DEFAULT_POLICY)
    violations = proposal.violations
    if args.json:
        emit_json(
            {
                "predikat_organisasi": org.value,
                "jumlah_pegawai": len(entries),
                "pelanggaran": violations,
                "usulan": proposal.changes,
                "layak": proposal.feasible,
                "keterangan": proposal.message,
                "kebijakan": proposal.policy_version,
            }
        )
        return 1 if violations else 0
    counts = {p: sum(e.predicate is p for e in entries) for p in Predicate}
    print(f"Predikat organisasi: {org.label}; {len(entries)} pegawai")
    table(["Predikat", "Jumlah"], [[p.label, n] for p, n in counts.items()])
    if not violations:
        print("\nDistribusi sesuai pola; tidak ada perubahan yang diperlukan.")
        return 0
    print("\nPelanggaran:")
    for violation in violations:
        print(f"  - {violation.message}")
    if not proposal.feasible:
        print(f"\nTidak ada penyesuaian yang memenuhi pola: {proposal.message}")
        return 1
    print(f"\nUsulan penyesuaian paling sedikit ({len(proposal.changes)} perubahan):")
    table(
        ["NIP", "Nama", "Capaian", "Dari", "Menjadi", "Alasan"],
        [
            [c.employee_id, c.name, c.achievement, c.from_predicate.label, c.to_predicate.label, c.reason]
            for c in proposal.changes
        ],
    )
    return 1


# --- validate ------------------------------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    loaded = read_table(args.file)
    summary: dict[str, Any]
    if args.kind == "roster":
        roster = parse_roster(loaded, args.instansi, date.today())
        summary = {"unit": len(roster.units), "pegawai": len(roster.employees)}
    elif args.kind == "iku":
        summary = {"iku": len(parse_iku(loaded, args.instansi, args.period))}
    else:
        skps = parse_skp(loaded, args.period, None, None)
        summary = {"skp": len(skps), "rencana_hasil_kerja": sum(len(s.rhk) for s in skps)}
    if args.json:
        emit_json({"berkas": str(args.file), "sah": True, **summary})
    else:
        counted = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in summary.items())
        print(f"{args.file}: sah ({counted}); belum ada yang diimpor.")
    return 0
