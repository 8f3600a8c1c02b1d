"""A cycle at calibration with a province-sized instansi behind it, for the calibration page's benchmark, without
running its year: the cycle workflow runs for real (a dev server and Kinerja's worker), its appraisals' reviews are
written straight to the database.

The instansi's roster (bench/worklist_fill.py) is made inactive while the cycle enrols, so the cycle starts no
appraisal (issue 21's run is the one that takes 100,000 through their year), and active again once it has enrolled.
Every appraisal of the worklist gets a review standing at a predicate drawn per unit (deterministic, seeded: most
units near the pattern of a Baik organisation, some with too many Sangat Baik), as the reviews table holds them
after the supervisors' review. The cycle's calendar is compressed to seconds up to the review deadline; calibration
is due in a month, so the cycle waits at calibration while the page is measured.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import insert, text, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from bench.worklist_fill import BATCH, Province
from domain.calendar import CycleCalendar
from domain.ratings import Predicate
from domain.stages import Role
from persistence.orm import EmployeeRow, ReviewRow, ReviewTallyRow
from persistence.ports import AbstractUnitOfWork
from services import cycle_actions, cycle_start
from services.actors import Acting
from services.cycle_start import StartOrder
from workflows.contracts import appraisal_workflow_id
from workflows.cycle_contracts import CyclePhase

CALENDAR_SECONDS = 20  # from the start to the review deadline
CALIBRATING_TIMEOUT = 180.0
# A unit's predicates: most near what a Baik organisation's pattern allows, one unit in five with too many at the top.
TYPICAL = {Predicate.SANGAT_BAIK: 0.10, Predicate.BAIK: 0.80, Predicate.BUTUH_PERBAIKAN: 0.07, Predicate.KURANG: 0.03}
GENEROUS = {Predicate.SANGAT_BAIK: 0.40, Predicate.BAIK: 0.58, Predicate.BUTUH_PERBAIKAN: 0.02}


def _reviews(found: Province, code: str, period: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    cycle_id = found.cycle_of[code]
    generous = {
        unit for unit in sorted({p.unit_code for p in found.people if p.instansi_code == code}) if rng.random() < 0.2
    }
    now = datetime.now(UTC)
    rows = []
    for person in found.people:
        if person.instansi_code != code or person.superior is None:
            continue
        weights = GENEROUS if person.unit_code in generous else TYPICAL
        predicate = rng.choices(list(weights), list(weights.values()))[0]
        achievement = f"{rng.uniform(70, 120):.2f}"
        rows.append(
            {
                "workflow_id": appraisal_workflow_id(cycle_id, person.nip),
                "employee_nip": person.nip,
                "period": period,
                "content": {"result": {"predicate": predicate.value}, "achievements": [{"percent": achievement}]},
                "version": 1,
                "updated_at": now,
                "cycle_id": cycle_id,
                "unit_code": person.unit_code,
                "predicate": predicate.value,
            }
        )
    return rows


def _set_active(sessions: sessionmaker[Session], code: str, active: bool) -> None:
    with sessions() as session:
        session.execute(update(EmployeeRow).where(EmployeeRow.instansi_code == code).values(active=active))
        session.commit()


def _write_reviews(sessions: sessionmaker[Session], rows: list[dict[str, object]]) -> None:
    """The reviews, and their tallies as each review's save keeps them (persistence.repositories.appraisal)."""
    tallies: dict[tuple[object, object], Counter[str]] = {}
    for row in rows:
        tallies.setdefault((row["cycle_id"], row["unit_code"]), Counter())[str(row["predicate"])] += 1
    with sessions() as session:
        for start in range(0, len(rows), BATCH):
            session.execute(insert(ReviewRow), rows[start : start + BATCH])
        session.execute(
            insert(ReviewTallyRow),
            [
                {"cycle_id": cycle_id, "unit_code": unit, **{p.value: counted[p.value] for p in Predicate}}
                for (cycle_id, unit), counted in tallies.items()
            ],
        )
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE reviews"))  # as autovacuum would, soon after 25,000 rows
            session.commit()


async def cycle_at_calibration(
    client: Client,
    sessions: sessionmaker[Session],
    uow_factory: Callable[[], AbstractUnitOfWork],
    found: Province,
    code: str,
    *,
    admin: str,
    task_queue: str,
    period: int,
    seed: int = 17,
) -> int:
    """Start the instansi's cycle, write its reviews and wait until it stands at calibration; returns the reviews
    written. The instansi's pimpinan and supervision team must be granted (a cycle needs both)."""
    rows = _reviews(found, code, period, seed)
    await asyncio.to_thread(_set_active, sessions, code, False)
    start = datetime.now(UTC)
    step = CALENDAR_SECONDS // 5

    def after(seconds: int) -> str:
        return f"PT{seconds}S"

    calendar = CycleCalendar(
        start=start,
        skp_draft_due=after(step),
        skp_due=after(2 * step),
        survey_opens="PT0S",
        survey_closes=after(3 * step),
        self_assessment_due=after(4 * step),
        review_due=after(CALENDAR_SECONDS),
        calibration_due="P30D",
        sign_off_due="P40D",
    )
    order = StartOrder(instansi_code=code, period=period, cycle_id=found.cycle_of[code], calendar=calendar)
    by = Acting(admin, Role.ADMIN_KEPEGAWAIAN)
    await cycle_start.start_from_grants(client, uow_factory, order, task_queue=task_queue, by=by, now=start)
    await asyncio.to_thread(_write_reviews, sessions, rows)
    cycle_id = found.cycle_of[code]
    deadline = asyncio.get_running_loop().time() + CALIBRATING_TIMEOUT
    enrolled = False
    while True:
        state = await cycle_actions.state(client, cycle_id)
        if not enrolled and state.phase is not CyclePhase.ENROLLING:
            await asyncio.to_thread(_set_active, sessions, code, True)
            enrolled = True
        if state.phase is CyclePhase.CALIBRATING:
            return len(rows)
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(
                f"cycle {cycle_id} did not reach calibration in {CALIBRATING_TIMEOUT:.0f} s: {state.phase}"
            )
        await asyncio.sleep(1.0)
