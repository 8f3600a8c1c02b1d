"""A cycle's report as files to pass on (services.cycle_report's view): CSV of every employee's predicate, and an XLSX
workbook with the sheets Pegawai, Unit and Ditarik. `kinerja siklus laporan --format csv|xlsx` and the kepegawaian
page's downloads write the same files.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import Workbook

from domain.ratings import Predicate
from services.cycle_report import CycleReportView

EMPLOYEE_HEADERS = ["nip", "nama", "unit", "predikat", "capaian_rata_rata", "ikm_unit", "mutu_unit", "sebagian_sejak"]
UNIT_HEADERS = ["unit", *[p.value for p in Predicate], "responden", "ikm", "mutu", "sampel_memadai"]
WITHDRAWN_HEADERS = ["nip", "nama", "unit", "sebab", "tmt", "alasan", "ditarik_oleh", "ditarik_pada"]
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def employee_rows(view: CycleReportView) -> list[list[str]]:
    return [
        [
            p.nip,
            p.nama,
            p.unit,
            p.predikat.label,
            str(p.capaian_rata_rata) if p.capaian_rata_rata is not None else "",
            p.ikm_unit or "",
            p.mutu_unit or "",
            p.sebagian_sejak.isoformat() if p.sebagian_sejak else "",
        ]
        for p in view.pegawai
    ]


def unit_rows(view: CycleReportView) -> list[list[str | int | bool | None]]:
    by_unit = {u.unit: u for u in view.survei}
    rows: list[list[str | int | bool | None]] = []
    for u in view.unit:
        ikm = by_unit.get(u.unit)
        rows.append(
            [
                u.unit,
                *[u.counts.get(p, 0) for p in Predicate],
                ikm.responses if ikm else None,
                ikm.ikm if ikm else None,
                ikm.grade if ikm else None,
                ikm.adequate if ikm else None,
            ]
        )
    return rows


def withdrawn_rows(view: CycleReportView) -> list[list[str]]:
    return [
        [w.nip, w.nama, w.unit, w.sebab.label, w.tmt or "", w.alasan, w.ditarik_oleh, _iso(w.ditarik_pada)]
        for w in view.ditarik
    ]


def csv_text(view: CycleReportView) -> str:
    """Every employee's predicate, one row each under EMPLOYEE_HEADERS."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(EMPLOYEE_HEADERS)
    writer.writerows(employee_rows(view))
    return out.getvalue()


def xlsx_bytes(view: CycleReportView) -> bytes:
    """The workbook: Pegawai (every employee), Unit (predicates and IKM per unit), Ditarik (withdrawn)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Pegawai"
    sheet.append(EMPLOYEE_HEADERS)
    for row in employee_rows(view):
        sheet.append(row)
    per_unit = book.create_sheet("Unit")
    per_unit.append(UNIT_HEADERS)
    for unit_row in unit_rows(view):
        per_unit.append(unit_row)
    out_of_cycle = book.create_sheet("Ditarik")
    out_of_cycle.append(WITHDRAWN_HEADERS)
    for person in withdrawn_rows(view):
        out_of_cycle.append(person)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _iso(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")
