"""The report's files (CSV, XLSX) hold what the stored reviews say, row for row: the list of every reviewed employee is
read as columns through a join (issue 21: validating each review's document and person took 45 s at 100,000), so
this test works the rows out the way the domain reads them, from each review's document validated and its person's
Employee, and compares both files' content and the report's pages with it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from domain.ratings import Predicate
from persistence.orm import EmployeeRow, InstansiRow, ReviewRow
from persistence.uow import SqlAlchemyUnitOfWork
from services import cycle_report, report_files
from services.cycles import ReviewedView
from tests.integration.worklist_entries import withdrawn
from workflows.contracts import appraisal_workflow_id
from workflows.cycle_contracts import CycleState, UnitIkm

INSTANSI = "FILES"
CYCLE = "2026-FILES"
NIPS = [f"1990010120150110{n:02d}" for n in range(10)]
STRANGER = "198001012010011099"  # reviewed in the cycle, on another instansi's roster
WITHDRAWN = NIPS[3]
SURVEY = [UnitIkm(unit="U1", responses=40, ikm="88.25", grade="B", adequate=True)]

# (achievements, final predicate, column predicate written, unit the appraisal runs in)
REVIEWS: list[tuple[list[str], Predicate | None, bool, str | None]] = [
    (["100", "98.5", "101.25"], None, True, "U1"),
    ([], None, True, "U1"),  # no achievement: an empty average
    (["87"], Predicate.SANGAT_BAIK, True, "U2"),  # calibrated above the matrix's
    (["90"], None, True, "U1"),  # withdrawn
    (["110.333", "95"], Predicate.KURANG, False, "U2"),  # stored before the predicate's column (0013)
    (["100.005"], None, True, None),  # stored without its unit: the roster's
    (["99.99", "100.01"], None, True, "U1"),
    (["120"], None, True, "U2"),
    (["75.5"], Predicate.BUTUH_PERBAIKAN, True, "U1"),
    (["100"], None, True, "U1"),
]


def _fill(session_factory: sessionmaker[Session], uow_factory: Callable[[], SqlAlchemyUnitOfWork]) -> None:
    now = datetime.now(UTC)
    joined = [None, date(2026, 3, 2), date(2025, 6, 1), None, date(2026, 12, 31), None, None, date(2026, 1, 1)]
    with session_factory() as session:
        session.execute(
            insert(InstansiRow),
            [{"code": code, "name": code, "policy_overrides": {}} for code in (INSTANSI, "OTHER")],
        )
        session.execute(
            insert(EmployeeRow),
            [
                {"nip": nip, "instansi_code": INSTANSI, "unit_code": f"U{1 + n % 2}", "name": f"Pegawai {n}",
                 "jabatan": "Staf", "kind": "PNS", "superior_nip": None, "email": None, "active": n != 6,
                 "joined_on": joined[n] if n < len(joined) else None}
                for n, nip in enumerate(NIPS)
            ]
            + [{"nip": STRANGER, "instansi_code": "OTHER", "unit_code": "X9", "name": "Orang Lain", "jabatan": "Staf",
                "kind": "PNS", "superior_nip": None, "email": None, "active": True, "joined_on": None}],
        )  # fmt: skip
        rows: list[dict[str, Any]] = []
        for n, (nip, (percents, final, column, unit)) in enumerate(zip(NIPS, REVIEWS, strict=True)):
            matrix = list(Predicate)[n % 4]
            content: dict[str, Any] = {
                "result": {"predicate": matrix.value, "score": "1"},
                "achievements": [{"indicator": f"I{k}", "percent": p} for k, p in enumerate(percents)],
                "final_predicate": final.value if final else None,
            }
            standing = (final or matrix).value if column else None
            rows.append(_review(CYCLE, nip, content, unit, standing, now))
            rows.append(_review(f"{CYCLE}-B", nip, content, unit, standing, now))  # another cycle: left out
        content = {"result": {"predicate": "baik"}, "achievements": [{"percent": "100"}]}
        rows.append(_review(CYCLE, STRANGER, content, None, "baik", now))
        session.execute(insert(ReviewRow), rows)
        session.commit()
    with uow_factory() as uow:
        uow.worklist.put(withdrawn(CYCLE, INSTANSI, "U1", WITHDRAWN, NIPS[0], at=now))
        uow.commit()


def _review(
    cycle: str, nip: str, content: dict[str, Any], unit: str | None, predicate: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "workflow_id": appraisal_workflow_id(cycle, nip),
        "employee_nip": nip,
        "period": 2026,
        "content": content,
        "version": 1,
        "updated_at": now,
        "cycle_id": cycle,
        "unit_code": unit,
        "predicate": predicate,
    }


def _expected(
    session_factory: sessionmaker[Session], uow_factory: Callable[[], SqlAlchemyUnitOfWork]
) -> list[list[str]]:
    """Every row of the file as the domain reads it: each review's document validated, its person's Employee."""
    with session_factory() as session:
        stored = session.execute(
            select(ReviewRow.workflow_id, ReviewRow.employee_nip, ReviewRow.unit_code, ReviewRow.content)
            .where(ReviewRow.cycle_id == CYCLE, ReviewRow.employee_nip != WITHDRAWN)
            .order_by(ReviewRow.workflow_id)
        ).all()
    with uow_factory() as uow:
        people = uow.employees.by_nips(INSTANSI, {row.employee_nip for row in stored})
    ikm = {u.unit: u for u in SURVEY}
    rows = []
    for row in stored:
        review, person = ReviewedView.model_validate(row.content), people.get(row.employee_nip)
        percents = [a.percent for a in review.achievements]
        unit = row.unit_code or (person.unit_code if person else "-")
        partial = person.appraised_from(2026) if person else None
        rows.append(
            [
                row.employee_nip,
                person.name if person else row.employee_nip,
                unit,
                (review.final_predicate or review.result.predicate).label,
                str((sum(percents, Decimal()) / len(percents)).quantize(Decimal("0.01"))) if percents else "",
                ikm[unit].ikm or "" if unit in ikm else "",
                ikm[unit].grade or "" if unit in ikm else "",
                partial.isoformat() if partial else "",
            ]
        )
    return rows


def test_the_report_files_hold_every_review_as_the_domain_reads_it(
    session_factory: sessionmaker[Session], uow_factory: Callable[[], SqlAlchemyUnitOfWork]
) -> None:
    _fill(session_factory, uow_factory)
    expected = _expected(session_factory, uow_factory)
    assert len(expected) == len(NIPS)  # the stranger in, the withdrawn out
    state = CycleState(cycle_id=CYCLE, instansi_code=INSTANSI, period=2026, survey=SURVEY)
    view = cycle_report.build(uow_factory, state, offset=0, limit=10_000)

    written = list(csv.reader(io.StringIO(report_files.csv_text(view), newline="")))
    assert written == [report_files.EMPLOYEE_HEADERS, *expected]

    book = load_workbook(io.BytesIO(report_files.xlsx_bytes(view)), read_only=True)
    sheet = [["" if value is None else value for value in row] for row in book["Pegawai"].iter_rows(values_only=True)]
    assert sheet == [report_files.EMPLOYEE_HEADERS, *expected]

    pages = [cycle_report.build(uow_factory, state, offset=start, limit=4) for start in (0, 4, 8)]
    assert report_files.employee_rows(view) == [row for page in pages for row in report_files.employee_rows(page)]
