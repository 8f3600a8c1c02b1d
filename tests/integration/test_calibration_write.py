"""The calibration's decision holds the write briefly (issue 21): at 100,000 appraisals it held the write lock (on
SQLite the database's one writer) 3-6 s, the audit entry's chain head taken first and the document and its lines then
written by the ORM row by row. Counted here at two sizes: the statements between the transaction's first write and
its commit are few and do not grow with the cycle. The audit chains stay intact and a retry writes nothing again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from domain.ratings import OrgPredicate, Predicate
from persistence.orm import AuditLogRow, EmployeeRow, InstansiRow, ReviewRow
from persistence.uow import SqlAlchemyUnitOfWork
from services import audit_chain, calibration_store
from workflows.contracts import appraisal_workflow_id
from workflows.cycle_contracts import CycleRef, DecideCalibration, SetOrgPredicate

INSTANSI = "KALIB"
KEPALA = "197001012000011001"
WRITES = ("INSERT", "UPDATE", "DELETE")
ROSTER = 400


def _fill(session_factory: sessionmaker[Session], cycle: str, people: int) -> CycleRef:
    """`people` reviewed in the cycle, most at Sangat Baik: more than an organisation rated Butuh Perbaikan allows,
    so the proposal moves many of them (a line each)."""
    now = datetime.now(UTC)
    nips = [f"19900101201501{n // 1000 + 1:01d}{n % 1000:03d}" for n in range(ROSTER)]
    with session_factory() as session:
        if session.get(InstansiRow, INSTANSI) is None:
            session.execute(insert(InstansiRow), [{"code": INSTANSI, "name": "Kalibrasi", "policy_overrides": {}}])
            session.execute(
                insert(EmployeeRow),
                [
                    {"nip": nip, "instansi_code": INSTANSI, "unit_code": f"U{n % 3}", "name": f"Pegawai {n}",
                     "jabatan": "Staf", "kind": "PNS", "superior_nip": None, "email": None, "active": True}
                    for n, nip in enumerate(nips)
                ],
            )  # fmt: skip
        reviews = []
        for n, nip in enumerate(nips[:people]):
            predicate = Predicate.SANGAT_BAIK if n % 4 else Predicate.BAIK
            content = {
                "result": {"predicate": predicate.value},
                "achievements": [{"percent": str(90 + n % 30)}],
            }
            reviews.append(
                {"workflow_id": appraisal_workflow_id(cycle, nip), "employee_nip": nip, "period": 2026,
                 "content": content, "version": 1, "updated_at": now, "cycle_id": cycle, "unit_code": f"U{n % 3}",
                 "predicate": predicate.value}
            )  # fmt: skip
        session.execute(insert(ReviewRow), reviews)
        session.commit()
    return CycleRef(cycle_id=cycle, instansi_code=INSTANSI, period=2026)


@contextmanager
def _held(engine: Engine) -> Iterator[list[list[str]]]:
    """Per write transaction of this thread: the statements from its first write to its commit."""
    held: list[list[str]] = []
    me = threading.get_ident()
    current: list[str] = []

    def statement(_conn: object, _cursor: object, text: str, *_: object) -> None:
        if threading.get_ident() != me:
            return
        if current or text.lstrip().split(None, 1)[0].upper() in WRITES:
            current.append(text)

    def end(_conn: object) -> None:
        if threading.get_ident() == me and current:
            held.append(list(current))
            current.clear()

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    try:
        yield held
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", end)
        event.remove(engine, "rollback", end)


def _decide(
    engine: Engine, uow_factory: Callable[[], SqlAlchemyUnitOfWork], ref: CycleRef, key: str
) -> tuple[int, list[str]]:
    view = calibration_store.propose(
        uow_factory, ref, SetOrgPredicate(actor=KEPALA, org_predicate=OrgPredicate.BUTUH_PERBAIKAN)
    )
    assert view.changes > 0
    with _held(engine) as held:
        calibration_store.decide(uow_factory, ref, DecideCalibration(actor=KEPALA, proposal_id=view.proposal_id), key)
    assert len(held) == 1  # one write transaction: the lock, its lines and its audit entry
    return view.changes, held[0]


def test_the_decision_holds_the_write_for_a_few_statements_whatever_the_cycle(
    engine: Engine, session_factory: sessionmaker[Session], uow_factory: Callable[[], SqlAlchemyUnitOfWork]
) -> None:
    small = _decide(engine, uow_factory, _fill(session_factory, "2026-KECIL", 12), "decide-small")
    large = _decide(engine, uow_factory, _fill(session_factory, "2026-BESAR", ROSTER), "decide-large")
    assert large[0] > small[0]  # more lines to write ...
    assert len(large[1]) == len(small[1]) <= 8, large[1]  # ... in as many statements
    first, *_, last = large[1]
    assert first.lstrip().upper().startswith("UPDATE CALIBRATIONS")  # the document first: serialised before it
    assert "audit" in last.lower()  # the chain's head last: held only to the commit
    assert audit_chain.verify(uow_factory).intact


def test_a_retried_decision_writes_nothing_again(
    engine: Engine, session_factory: sessionmaker[Session], uow_factory: Callable[[], SqlAlchemyUnitOfWork]
) -> None:
    ref = _fill(session_factory, "2026-ULANG", 30)
    _decide(engine, uow_factory, ref, "decide-once")
    with uow_factory() as uow:
        lines = uow.calibrations.lines(INSTANSI, 2026, calibration_store.group_of(ref.cycle_id), 0, 1000)
    with _held(engine) as held:
        again = calibration_store.decide(uow_factory, ref, DecideCalibration(actor=KEPALA), "decide-once")
    assert held == []
    with uow_factory() as uow:
        assert uow.calibrations.lines(INSTANSI, 2026, calibration_store.group_of(ref.cycle_id), 0, 1000) == lines
    assert lines[0] == sum(
        1 for p in calibration_store.locked_decision(uow_factory, ref).predicates if p.final != p.original
    )
    assert again.decided_by == KEPALA
    with session_factory() as session:
        logged = select(func.count()).where(AuditLogRow.action == "calibration.decide")
        assert session.scalar(logged) == 1
    assert audit_chain.verify(uow_factory).intact
