"""The cycle report's page reads the rows it shows (issue 21): at 100,000 reviews reading every one to show 50 took
a minute. A page is the same rows, in the same order, as the whole list the report's files are written from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, event, insert
from sqlalchemy.orm import Session, sessionmaker

from domain.ratings import Predicate
from persistence.orm import EmployeeRow, InstansiRow, ReviewRow
from persistence.uow import SqlAlchemyUnitOfWork
from services import cycle_report, cycles
from tests.integration.worklist_entries import withdrawn
from workflows.contracts import appraisal_workflow_id
from workflows.cycle_contracts import CycleRef, CycleState

INSTANSI = "BENCH"
CYCLE = "2026-BENCH"
NIPS = [f"19900101201501{1 + n // 999:01d}{1 + n % 999:03d}" for n in range(12)]
WITHDRAWN = NIPS[4]


def _fill(session_factory: sessionmaker[Session], uow_factory: Callable[[], SqlAlchemyUnitOfWork]) -> None:
    now = datetime.now(UTC)
    with session_factory() as session:
        session.execute(insert(InstansiRow), [{"code": INSTANSI, "name": "Bench", "policy_overrides": {}}])
        session.execute(
            insert(EmployeeRow),
            [
                {"nip": nip, "instansi_code": INSTANSI, "unit_code": "U1", "name": f"Pegawai {n}", "jabatan": "Staf",
                 "kind": "PNS", "superior_nip": None, "email": None, "active": True}
                for n, nip in enumerate(NIPS)
            ],
        )  # fmt: skip
        reviews = [
            (cycle, nip, predicate)
            for n, nip in enumerate(NIPS)
            for cycle, predicate in ((CYCLE, list(Predicate)[n % 3]), (f"{CYCLE}-B", Predicate.BAIK))
        ]
        session.execute(
            insert(ReviewRow),
            [
                {
                    "workflow_id": appraisal_workflow_id(cycle, nip),
                    "employee_nip": nip,
                    "period": 2026,
                    "content": {"result": {"predicate": predicate.value}, "achievements": [{"percent": "100"}]},
                    "version": 1,
                    "updated_at": now,
                    "cycle_id": cycle,
                    "unit_code": "U1",
                    "predicate": predicate.value,
                }
                for cycle, nip, predicate in reviews
            ],
        )
        session.commit()
    with uow_factory() as uow:
        uow.worklist.put(withdrawn(CYCLE, INSTANSI, "U1", WITHDRAWN, NIPS[0], at=now))
        uow.commit()


def test_a_page_of_the_report_is_its_rows_of_the_whole_list(
    engine: Engine, session_factory: sessionmaker[Session], uow_factory: Callable[[], SqlAlchemyUnitOfWork]
) -> None:
    _fill(session_factory, uow_factory)
    ref = CycleRef(cycle_id=CYCLE, instansi_code=INSTANSI, period=2026)
    everyone = cycles.reviewed(uow_factory, ref)
    assert [p.nip for p in everyone] == [nip for nip in NIPS if nip != WITHDRAWN]  # the other cycle's left out
    state = CycleState(cycle_id=CYCLE, instansi_code=INSTANSI, period=2026)
    limits: list[str] = []

    def reviews_read(_conn: object, _cursor: object, text: str, *_: object) -> None:
        if "FROM reviews" in text and "reviews.content" in text:
            limits.append(text)

    event.listen(engine, "before_cursor_execute", reviews_read)
    try:
        pages = [cycle_report.build(uow_factory, state, offset=start, limit=5) for start in (0, 5, 10)]
    finally:
        event.remove(engine, "before_cursor_execute", reviews_read)
    assert [p.nip for page in pages for p in page.pegawai] == [p.nip for p in everyone]
    assert [p.predikat for page in pages for p in page.pegawai] == [p.predicate for p in everyone]
    assert {page.jumlah_pegawai for page in pages} == {len(everyone)}
    assert len(limits) == 3 and all("LIMIT" in text for text in limits)  # one page read each, not the cycle
    whole = cycle_report.build(uow_factory, state, offset=0, limit=100)
    assert [p.nip for p in whole.pegawai] == [p.nip for p in everyone] and whole.jumlah_pegawai == len(everyone)
