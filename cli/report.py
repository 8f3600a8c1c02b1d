"""The cycle report for HR: predicates and IKM per unit, reminders and escalations, and every employee's predicate —
in the terminal, as JSON, or as CSV/XLSX files to pass on. Before the cycle closes it is the report so far."""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from cli.database import open_database
from cli.output import CommandError, emit_json, table, tmt
from domain.ratings import Predicate
from services import cycles
from settings import Settings
from workflows.cycle_contracts import CycleRef, CycleReport, CycleState, UnitIkm, UnitPredicates

EMPLOYEE_HEADERS = ["nip", "nama", "unit", "predikat", "capaian_rata_rata", "ikm_unit", "mutu_unit"]
WITHDRAWN_HEADERS = ["nip", "nama", "unit", "sebab", "tmt", "alasan", "ditarik_oleh", "ditarik_pada"]


def write(settings: Settings, state: CycleState, form: str, file: Path | None) -> int:
    uow_factory = open_database(settings)
    ref = CycleRef(cycle_id=state.cycle_id, instansi_code=state.instansi_code, period=state.period)
    final = state.report is not None
    units: list[UnitPredicates] = (
        state.report.predicates if state.report else cycles.predicates_by_unit(uow_factory, ref)
    )
    survey: list[UnitIkm] = state.report.survey if state.report else (state.survey or [])
    by_unit = {u.unit: u for u in survey}
    people = cycles.reviewed(uow_factory, ref)
    gone = cycles.withdrawn(uow_factory, ref)
    withdrawn_rows = [
        [w.nip, w.name, w.unit, w.cause.label, w.effective_on or "", w.reason, w.withdrawn_by, _iso(w.withdrawn_at)]
        for w in gone
    ]
    rows = [
        [
            p.nip,
            p.name,
            p.unit,
            p.predicate.label,
            str(p.achievement) if p.achievement is not None else "",
            by_unit[p.unit].ikm if p.unit in by_unit else "",
            by_unit[p.unit].grade if p.unit in by_unit else "",
        ]
        for p in people
    ]
    if form == "json":
        emit_json(
            {
                "cycle": state,
                "employees": [dict(zip(EMPLOYEE_HEADERS, row, strict=True)) for row in rows],
                "withdrawn": [dict(zip(WITHDRAWN_HEADERS, row, strict=True)) for row in withdrawn_rows],
            }
        )
        return 0
    if form == "csv":
        out = file.open("w", newline="", encoding="utf-8") if file else sys.stdout
        try:
            writer = csv.writer(out)
            writer.writerow(EMPLOYEE_HEADERS)
            writer.writerows(rows)
        finally:
            if file:
                out.close()
        if file:
            print(f"{len(rows)} pegawai ditulis ke {file}", file=sys.stderr)
        return 0
    if form == "xlsx":
        if file is None:
            raise CommandError("--file: laporan XLSX perlu nama berkas, mis. --file laporan-2026.xlsx")
        _xlsx(file, rows, units, survey, withdrawn_rows)
        print(f"laporan ditulis ke {file} (lembar Pegawai, Unit, Ditarik)")
        return 0
    heading = "Laporan siklus" if final else "Laporan sementara (siklus belum ditutup)"
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
            for u in units
        ],
    )
    if state.report is not None:
        r = state.report
        print(closing_counts(r))
        print(f"pengingat {r.reminders}, eskalasi {r.escalations}, keberatan {r.objections}")
        if r.calibration_reminders or r.calibration_escalations:
            print(f"kalibrasi: pengingat {r.calibration_reminders}, eskalasi {r.calibration_escalations}")
    if gone:
        print(f"ditarik dari siklus ({len(gone)}), tidak termasuk predikat di atas:")
        for w in gone:
            print(f"  {w.nip} {w.name} ({w.unit}): {w.cause.label}{tmt(w.effective_on)} — {w.reason}")
    return 0


def closing_counts(r: CycleReport) -> str:
    """'20 final, 5 masih terbuka, 1 ditarik dari 26': where the cycle's appraisals ended."""
    withdrawn = f", {r.withdrawn} ditarik" if r.withdrawn else ""
    return f"{r.final} final, {r.open_steps} masih terbuka{withdrawn} dari {r.enrolled}"


def _xlsx(
    file: Path,
    rows: list[list[str | None]],
    units: list[UnitPredicates],
    survey: list[UnitIkm],
    withdrawn: list[list[str]],
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Pegawai"
    sheet.append(EMPLOYEE_HEADERS)
    for row in rows:
        sheet.append(row)
    per_unit = book.create_sheet("Unit")
    per_unit.append(["unit", *[p.value for p in Predicate], "responden", "ikm", "mutu", "sampel_memadai"])
    by_unit = {u.unit: u for u in survey}
    for u in units:
        ikm = by_unit.get(u.unit)
        per_unit.append(
            [
                u.unit,
                *[u.counts.get(p, 0) for p in Predicate],
                ikm.responses if ikm else None,
                ikm.ikm if ikm else None,
                ikm.grade if ikm else None,
                ikm.adequate if ikm else None,
            ]
        )
    out_of_cycle = book.create_sheet("Ditarik")
    out_of_cycle.append(WITHDRAWN_HEADERS)
    for person in withdrawn:
        out_of_cycle.append(person)
    book.save(file)


def _iso(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")
