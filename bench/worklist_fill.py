"""A province's worklist without running its appraisals: a roster and one worklist row per appraisal, written
straight to the database, for the "My tasks" and login benchmarks.

Each instansi is a tree: the kepala; under them bidang heads; under each bidang head TEAM seksi heads; under each
seksi head TEAM staff. Everyone but the kepala has an appraisal, rated by their superior. The rows stand where a
cycle stands in its review season (deterministic, seeded):

- 80% wait for the penilai (SKP approval or the review): with TEAM = 12, a penilai has ~10 open steps;
- 12% wait for the employee (the self-assessment);
- 3% wait for the atasan (an objection), 5% are closed (final).

One deadline in ten has passed (`overdue`). Roster and rows go in through bulk inserts (the roster) and the
worklist repository's own enrolment statement (the rows), in batches.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from bench.office import nip
from domain.stages import Step
from domain.worklist import WorkItem, WorklistQuery
from persistence.orm import EmployeeRow, InstansiRow, UnitRow
from persistence.ports import AbstractUnitOfWork
from persistence.uow import SqlAlchemyUnitOfWork
from workflows.contracts import appraisal_workflow_id

TEAM = 12  # people rated by one penilai
BATCH = 5_000


@dataclass(frozen=True)
class Person:
    nip: str
    instansi_code: str
    unit_code: str
    superior: str | None
    level: str  # kepala, bidang, seksi, staf


@dataclass(frozen=True)
class Province:
    people: list[Person]
    instansi: list[str]
    cycle_of: dict[str, str]  # instansi -> its cycle

    @property
    def appraisals(self) -> int:
        return sum(1 for person in self.people if person.superior is not None)


def province(appraisals: int, instansi_count: int) -> Province:
    """`appraisals` appraisals split evenly over `instansi_count` instansi."""
    people: list[Person] = []
    codes = [f"BENCH-{index + 1:02d}" for index in range(instansi_count)]
    index = 0

    def next_nip() -> str:
        nonlocal index
        value = nip(index)
        index += 1
        return value

    for number, code in enumerate(codes):
        quota = appraisals // instansi_count + (1 if number < appraisals % instansi_count else 0)
        kepala = Person(next_nip(), code, "PIMPINAN", None, "kepala")
        people.append(kepala)
        made = 0
        bidang_number = 0
        while made < quota:
            bidang_number += 1
            unit = f"B{bidang_number:03d}"
            head = Person(next_nip(), code, unit, kepala.nip, "bidang")
            people.append(head)
            made += 1
            for seksi_number in range(TEAM):
                if made >= quota:
                    break
                seksi_unit = f"{unit}-S{seksi_number + 1:02d}"
                seksi = Person(next_nip(), code, seksi_unit, head.nip, "seksi")
                people.append(seksi)
                made += 1
                for _ in range(TEAM):
                    if made >= quota:
                        break
                    people.append(Person(next_nip(), code, seksi_unit, seksi.nip, "staf"))
                    made += 1
    return Province(people=people, instansi=codes, cycle_of={code: f"2026-{code}" for code in codes})


def _rows(found: Province, now: datetime, seed: int) -> list[WorkItem]:
    rng = random.Random(seed)
    superior = {person.nip: person.superior for person in found.people}
    items = []
    for person in found.people:
        if person.superior is None:
            continue
        penilai = person.superior
        atasan = superior.get(penilai)
        draw = rng.random()
        if draw < 0.80:
            step, assignee = (Step.SKP_APPROVAL if draw < 0.30 else Step.SUPERVISOR_REVIEW), penilai
        elif draw < 0.92:
            step, assignee = Step.SELF_ASSESSMENT, person.nip
        elif draw < 0.95:
            step, assignee = Step.OBJECTION_REVIEW, atasan or penilai
        else:
            step, assignee = Step.FINAL, None
        overdue = step is not Step.FINAL and rng.random() < 0.10
        deadline = now + timedelta(days=-rng.uniform(1, 20) if overdue else rng.uniform(1, 60))
        cycle = found.cycle_of[person.instansi_code]
        items.append(
            WorkItem(
                workflow_id=appraisal_workflow_id(cycle, person.nip),
                cycle_id=cycle,
                instansi_code=person.instansi_code,
                unit_code=person.unit_code,
                employee_nip=person.nip,
                penilai_nip=penilai,
                step=step,
                assignee=assignee,
                deadline=None if step is Step.FINAL else deadline,
                overdue=overdue,
                escalation_level=1 if overdue else 0,
                recorded_at=now - timedelta(days=rng.uniform(0, 30)),
                atasan_nip=atasan,
            )
        )
    return items


def fill(sessions: sessionmaker[Session], found: Province, *, seed: int = 17) -> int:
    """Write the roster and the worklist; returns the worklist rows written."""
    units = sorted({(p.instansi_code, p.unit_code) for p in found.people})
    employees = [
        {
            "nip": p.nip,
            "instansi_code": p.instansi_code,
            "unit_code": p.unit_code,
            "name": f"Pegawai {p.nip[-6:]}",
            "jabatan": {"kepala": "Kepala", "bidang": "Kepala Bidang", "seksi": "Kepala Seksi"}.get(
                p.level, "Pelaksana"
            ),
            "kind": "PNS",
            "superior_nip": p.superior,
            "email": None,
            "active": True,
        }
        for p in found.people
    ]
    with sessions() as session:
        session.execute(
            insert(InstansiRow),
            [
                {"code": code, "name": f"Instansi {code}", "policy_overrides": {}, "policy_revision": 0}
                for code in found.instansi
            ],
        )
        session.execute(
            insert(UnitRow),
            [{"instansi_code": i, "code": u, "name": f"Unit {u}", "parent_code": None} for i, u in units],
        )
        for start in range(0, len(employees), BATCH):
            session.execute(insert(EmployeeRow), employees[start : start + BATCH])
        session.commit()
    items = _rows(found, datetime.now(UTC), seed)
    for start in range(0, len(items), BATCH):
        with SqlAlchemyUnitOfWork(sessions) as uow:
            uow.worklist.enrol(items[start : start + BATCH])
            uow.commit()
    return len(items)


def users(found: Province, count: int, *, seed: int = 17) -> list[str]:
    """Who signs in: every kepala, then penilai (bidang and seksi heads) and staff, four to one, drawn at random."""
    rng = random.Random(seed)
    kepala = [p.nip for p in found.people if p.level == "kepala"]
    heads = [p.nip for p in found.people if p.level in ("bidang", "seksi")]
    staff = [p.nip for p in found.people if p.level == "staf"]
    rest = max(0, count - len(kepala))
    chosen_heads = rng.sample(heads, min(len(heads), rest * 4 // 5))
    chosen_staff = rng.sample(staff, min(len(staff), rest - len(chosen_heads)))
    chosen = kepala + chosen_heads + chosen_staff
    rng.shuffle(chosen)
    return chosen[:count]


def open_steps_of(uow: AbstractUnitOfWork, nips: list[str]) -> dict[str, int]:
    """How many open steps each of `nips` has (for the report: the spread of list lengths measured)."""
    return {value: uow.worklist.count(WorklistQuery(assignee=value)) for value in nips}
