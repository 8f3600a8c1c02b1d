"""`kinerja massal alihkan` finds a penilai's appraisals through ix_worklist_penilai (issue 21): at 100,000 appraisals
a scan of the worklist would be read for each bulk reassignment. Checked on the statement the service sends, with the
database's own plan on an analysed table (PostgreSQL told not to scan the table, which it may prefer for one this
small)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event

from domain.stages import Step
from domain.worklist import WorkItem, WorklistQuery
from persistence.uow import SqlAlchemyUnitOfWork
from services.overdue import named_steps
from workflows.contracts import appraisal_workflow_id

CYCLE = "2026-BENCH"
PENILAI = "198001012005011001"


def test_a_penilais_appraisals_are_found_by_the_index(
    engine: Engine, uow_factory: Callable[[], SqlAlchemyUnitOfWork]
) -> None:
    now = datetime.now(UTC)
    # A cycle of 300 appraisals in teams of 10, the penilai's two, analysed: a plan on the table's real shape.
    nips = [f"19900101201501{1 + n // 999:01d}{1 + n % 999:03d}" for n in range(300)]
    with uow_factory() as uow:
        uow.worklist.enrol(
            [
                WorkItem(
                    workflow_id=appraisal_workflow_id(CYCLE, nip),
                    cycle_id=CYCLE,
                    instansi_code="BENCH",
                    unit_code="U1",
                    employee_nip=nip,
                    penilai_nip=PENILAI if n in (1, 3) else f"1975010120000110{n // 10:02d}",
                    step=Step.SUPERVISOR_REVIEW,
                    assignee=PENILAI,
                    deadline=now,
                    overdue=False,
                    escalation_level=0,
                    recorded_at=now,
                )
                for n, nip in enumerate(nips)
            ]
        )
        uow.commit()
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE worklist")
        connection.commit()
    sent: list[tuple[str, Any]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if "FROM worklist" in statement and "penilai_nip" in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        found = named_steps(uow_factory, WorklistQuery(cycle_id=CYCLE, penilai_nip=PENILAI), limit=500)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert sorted(step.nip for step in found.langkah) == [nips[1], nips[3]]
    assert sent
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if postgres:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in sent:
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            plan = "\n".join(str(row[-1]) for row in connection.exec_driver_sql(prefix + statement, parameters))
            assert "ix_worklist_penilai" in plan, plan
        connection.rollback()
