"""The cycle report for HR: predicates and IKM per unit, reminders and escalations, and every employee's predicate —
in the terminal, as JSON, or as CSV/XLSX files to pass on. Before the cycle closes it is the report so far. And the
cycle's evaluation documents, one PDF per employee whose result is set, as one ZIP (documents.archive)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from cli.database import open_database
from cli.output import CommandError, emit_json, table, tmt
from documents import archive
from domain.ratings import Predicate
from services import cycle_report, report_files
from services.report_files import EMPLOYEE_HEADERS, WITHDRAWN_HEADERS
from settings import Settings
from workflows.cycle_contracts import CycleReport, CycleState

EVERYONE = 10_000_000  # the report lists every reviewed employee


def write_documents(settings: Settings, cycle_id: str, unit_code: str | None, file: Path) -> int:
    """The operator's job: every document of the cycle (or of one unit) into `file`, with the progress on stderr."""
    uow_factory = open_database(settings)

    def progress(done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            print(f"{done}/{total} dokumen", file=sys.stderr)

    partial_file = file.with_name(file.name + ".sebagian")  # a run stopped halfway leaves no archive that looks whole
    try:
        with partial_file.open("wb") as out:
            now = datetime.now(UTC)
            done = archive.write(uow_factory, cycle_id, out, now=now, unit_code=unit_code, progress=progress)
    except BaseException:
        partial_file.unlink(missing_ok=True)
        raise
    partial_file.replace(file)
    print(f"{done.documents} dokumen evaluasi ditulis ke {file}")
    if done.failed:
        print(f"{done.failed} dokumen tidak dapat dibuat: lihat {archive.FAILED} di dalamnya", file=sys.stderr)
        return 1
    return 0


def write(settings: Settings, state: CycleState, form: str, file: Path | None) -> int:
    uow_factory = open_database(settings)
    view = cycle_report.build(uow_factory, state, offset=0, limit=EVERYONE)
    by_unit = {u.unit: u for u in view.survei}
    if form == "json":
        employees = report_files.employee_rows(view)
        withdrawn = report_files.withdrawn_rows(view)
        emit_json(
            {
                "cycle": state,
                "employees": [dict(zip(EMPLOYEE_HEADERS, row, strict=True)) for row in employees],
                "withdrawn": [dict(zip(WITHDRAWN_HEADERS, row, strict=True)) for row in withdrawn],
            }
        )
        return 0
    if form == "csv":
        text = report_files.csv_text(view)
        if file is None:
            sys.stdout.write(text)
            return 0
        with file.open("w", newline="", encoding="utf-8") as out:
            out.write(text)
        print(f"{len(view.pegawai)} pegawai ditulis ke {file}", file=sys.stderr)
        return 0
    if form == "xlsx":
        if file is None:
            raise CommandError("--file: laporan XLSX perlu nama berkas, mis. --file laporan-2026.xlsx")
        file.write_bytes(report_files.xlsx_bytes(view))
        print(f"laporan ditulis ke {file} (lembar Pegawai, Unit, Ditarik)")
        return 0
    heading = "Laporan siklus" if view.final else "Laporan sementara (siklus belum ditutup)"
    print(f"{heading} {state.cycle_id} — instansi {state.instansi_code}, periode {state.period}")
    table(
        ["Unit", *[p.label for p in Predicate], "IKM", "Mutu"],
        [
            [
                u.unit,
                *[u.counts.get(p, 0) for p in Predicate],
                by_unit[u.unit].ikm if u.unit in by_unit else None,
                by_unit[u.unit].grade if u.unit in by_unit else None,
            ]
            for u in view.unit
        ],
    )
    if state.report is not None:
        r = state.report
        print(closing_counts(r))
        print(f"pengingat {r.reminders}, eskalasi {r.escalations}, keberatan {r.objections}")
        if r.calibration_reminders or r.calibration_escalations:
            print(f"kalibrasi: pengingat {r.calibration_reminders}, eskalasi {r.calibration_escalations}")
    if view.ditarik:
        print(f"ditarik dari siklus ({len(view.ditarik)}), tidak termasuk predikat di atas:")
        for w in view.ditarik:
            print(f"  {w.nip} {w.nama} ({w.unit}): {w.sebab.label}{tmt(w.tmt)} — {w.alasan}")
    return 0


def closing_counts(r: CycleReport) -> str:
    """'20 final, 5 masih terbuka, 1 ditarik dari 26': where the cycle's appraisals ended."""
    withdrawn = f", {r.withdrawn} ditarik" if r.withdrawn else ""
    return f"{r.final} final, {r.open_steps} masih terbuka{withdrawn} dari {r.enrolled}"
