"""What a year at N appraisals leaves in the database, written straight to the tables for bench/year_db.py: the
instansi and its units (bench/office.py), each appraisal's worklist row as it stands at the close, its review and
tallies, its audit entries sealed in the chains, and the citizens' survey answers."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session, sessionmaker

from bench.office import roster
from domain.audit_chain import CHAINS
from domain.ratings import Predicate
from domain.stages import Role, Step
from domain.worklist import WorkItem
from persistence.orm import (
    AuditChainHeadRow,
    AuditLogRow,
    EmployeeRow,
    InstansiRow,
    ReviewRow,
    ReviewTallyRow,
    SurveyResponseRow,
    UnitRow,
)
from persistence.uow import SqlAlchemyUnitOfWork
from workflows.contracts import appraisal_workflow_id
from workflows.cycle_contracts import CycleRef

PERIOD = 2026
BATCH = 5_000
PREDICATE_WEIGHTS = {
    Predicate.SANGAT_BAIK: 0.15,
    Predicate.BAIK: 0.75,
    Predicate.BUTUH_PERBAIKAN: 0.06,
    Predicate.KURANG: 0.03,
    Predicate.SANGAT_KURANG: 0.01,
}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Year:
    ref: CycleRef
    kepala: str
    appraisals: int
    units: list[str]
    penilai: list[str]  # the unit heads: each rates their unit
    audit_entries: int = 0
    answers: int = 0


# --- the fill -------------------------------------------------------------------------------------------------------


class _Chains:
    """Seals of a sort for bulk-written entries: a place in a chain each (the unique (chain, seq) index), no real hash
    (`kinerja audit verifikasi` would refuse them; nothing here verifies)."""

    def __init__(self) -> None:
        self.seq = [0] * CHAINS

    def place(self, number: int) -> dict[str, Any]:
        chain = number % CHAINS
        self.seq[chain] += 1
        return {"chain": chain, "seq": self.seq[chain], "previous_hash": "0" * 64, "hash": f"{number:064x}"}


def _entry(
    chains: _Chains,
    number: int,
    at: datetime,
    actor: str,
    role: Role,
    action: str,
    nip: str,
    workflow_id: str,
    **kw: Any,
) -> dict[str, Any]:
    return {
        "occurred_at": at,
        "actor": actor,
        "actor_role": role.value,
        "on_behalf_of": None,
        "action": action,
        "subject": nip,
        "reason": kw.get("reason"),
        "before": kw.get("before"),
        "after": kw.get("after"),
        "workflow_id": workflow_id,
        "idempotency_key": f"{workflow_id}:{action}:{number}",
        **chains.place(number),
    }


def _appraisal_entries(
    chains: _Chains, start: int, rng: random.Random, nip: str, penilai: str, workflow_id: str, withdrawn: bool
) -> list[dict[str, Any]]:
    """The year of one appraisal in the audit log: ~10 entries."""
    year = datetime(PERIOD, 1, 5, tzinfo=UTC)
    made: list[dict[str, Any]] = []

    def add(day: float, actor: str, role: Role, action: str, **kw: Any) -> None:
        made.append(
            _entry(chains, start + len(made), year + timedelta(days=day), actor, role, action, nip, workflow_id, **kw)
        )

    def notices_before(day: float) -> None:
        for _ in range(rng.choice((0, 1, 1, 2))):
            add(day - 1, "system", Role.SYSTEM, "notice.reminder")
        if rng.random() < 0.2:
            add(day + 1, "system", Role.SYSTEM, "notice.escalation", after={"level": 1})

    notices_before(10)
    add(10, nip, Role.PEGAWAI, "submit_skp")
    if rng.random() < 0.1:
        add(12, penilai, Role.PENILAI, "return_skp", reason="Target belum terukur")
        add(14, nip, Role.PEGAWAI, "submit_skp")
    add(15, penilai, Role.PENILAI, "approve_skp")
    if withdrawn:
        after = {"cause": "mutasi", "reason": "SK mutasi", "effective_on": f"{PERIOD}-07-01"}
        add(180, "199001012015031001", Role.PENGELOLA_KINERJA, "withdraw", after=after)
        return made
    notices_before(330)
    add(330, nip, Role.PEGAWAI, "submit_self_assessment")
    add(340, penilai, Role.PENILAI, "submit_review")
    add(350, "system", Role.SYSTEM, "apply_calibration")
    add(352, penilai, Role.PENILAI, "sign")
    draw = rng.random()
    if draw < 0.1:
        add(355, nip, Role.PEGAWAI, "file_objection", reason="Keberatan atas predikat")
        add(362, penilai, Role.ATASAN_PENILAI, "decide_objection")
    elif draw < 0.4:
        add(366, "system", Role.SYSTEM, "close_objection_window")
    else:
        add(353, nip, Role.PEGAWAI, "acknowledge")
    return made


def fill(sessions: sessionmaker[Session], appraisals: int, answers: int, *, seed: int = 21) -> Year:
    rng = random.Random(seed)
    office, units, people = roster(appraisals + 1)
    cycle_id = f"{PERIOD}-{office.instansi_code}"
    ref = CycleRef(cycle_id=cycle_id, instansi_code=office.instansi_code, period=PERIOD)
    heads = {p.unit_code: p.nip for p in people if p.jabatan == "Kepala Bidang"}
    chains = _Chains()
    year = Year(
        ref=ref,
        kepala=office.kepala,
        appraisals=appraisals,
        units=[u.code for u in units],
        penilai=sorted(heads.values()),
    )
    now = datetime.now(UTC)
    with sessions() as session:
        session.execute(
            insert(InstansiRow),
            [{"code": office.instansi_code, "name": "Pemerintah Bench", "policy_overrides": {}, "policy_revision": 0}],
        )
        session.execute(
            insert(UnitRow),
            [
                {"instansi_code": office.instansi_code, "code": u.code, "name": u.name, "parent_code": u.parent_code}
                for u in units
            ],
        )
        rows = [
            {
                "nip": p.nip,
                "instansi_code": office.instansi_code,
                "unit_code": p.unit_code,
                "name": p.name,
                "jabatan": p.jabatan,
                "kind": "PNS",
                "superior_nip": p.superior_nip,
                "email": None,
                "active": True,
                "joined_on": date(PERIOD, 3, 1) if rng.random() < 0.01 else None,
            }
            for p in people
        ]
        for start in range(0, len(rows), BATCH):
            session.execute(insert(EmployeeRow), rows[start : start + BATCH])
        session.commit()
    progress(f"  roster: {len(people)} people in {len(units)} units")
    items: list[WorkItem] = []
    reviews: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    tallies: dict[str, list[int]] = {}
    superior = {p.nip: p.superior_nip for p in people}
    for person in people:
        if person.superior_nip is None:
            continue
        workflow_id = appraisal_workflow_id(cycle_id, person.nip)
        draw = rng.random()
        withdrawn = draw < 0.005
        step = Step.WITHDRAWN if withdrawn else Step.FINAL if draw < 0.945 else Step.OBJECTION_REVIEW
        overdue = step is Step.OBJECTION_REVIEW and rng.random() < 0.1
        items.append(
            WorkItem(
                workflow_id=workflow_id,
                cycle_id=cycle_id,
                instansi_code=office.instansi_code,
                unit_code=person.unit_code,
                employee_nip=person.nip,
                penilai_nip=person.superior_nip,
                step=step,
                assignee=superior.get(person.superior_nip) if step is Step.OBJECTION_REVIEW else None,
                deadline=now + timedelta(days=-3 if overdue else 10) if step is Step.OBJECTION_REVIEW else None,
                overdue=overdue,
                escalation_level=1 if overdue else 0,
                recorded_at=now - timedelta(days=rng.uniform(0, 30)),
                atasan_nip=superior.get(person.superior_nip),
            )
        )
        entries += _appraisal_entries(
            chains, len(entries), rng, person.nip, person.superior_nip, workflow_id, withdrawn
        )
        if withdrawn:
            continue
        predicate = rng.choices(list(PREDICATE_WEIGHTS), list(PREDICATE_WEIGHTS.values()))[0]
        content: dict[str, Any] = {
            "result": {"predicate": predicate.value},
            "achievements": [{"percent": f"{rng.uniform(70, 120):.2f}"} for _ in range(3)],
        }
        reviews.append(
            {
                "workflow_id": workflow_id,
                "employee_nip": person.nip,
                "period": PERIOD,
                "content": content,
                "version": 1,
                "updated_at": now,
                "cycle_id": cycle_id,
                "unit_code": person.unit_code,
                "predicate": predicate.value,
            }
        )
        tallies.setdefault(person.unit_code, [0] * len(Predicate))[list(Predicate).index(predicate)] += 1
    for start in range(0, len(items), BATCH):
        with SqlAlchemyUnitOfWork(sessions) as uow:
            uow.worklist.enrol(items[start : start + BATCH])
            uow.commit()
    progress(f"  worklist: {len(items)} rows")
    with sessions() as session:
        for start in range(0, len(reviews), BATCH):
            session.execute(insert(ReviewRow), reviews[start : start + BATCH])
        session.execute(
            insert(ReviewTallyRow),
            [
                {"cycle_id": cycle_id, "unit_code": unit, **{p.value: counts[i] for i, p in enumerate(Predicate)}}
                for unit, counts in tallies.items()
            ],
        )
        session.commit()
    progress(f"  reviews: {len(reviews)}")
    with sessions() as session:
        for start in range(0, len(entries), BATCH):
            session.execute(insert(AuditLogRow), entries[start : start + BATCH])
            if start % (20 * BATCH) == 0:
                progress(f"  audit log: {start + BATCH}/{len(entries)}")
        for chain, seq in enumerate(chains.seq):
            session.execute(
                update(AuditChainHeadRow).where(AuditChainHeadRow.chain == chain).values(seq=seq, hash=f"{seq:064x}")
            )
        session.commit()
    year.audit_entries = len(entries)
    progress(f"  audit log: {len(entries)} entries ({len(entries) / appraisals:.1f} per appraisal)")
    service_units = [u.code for u in units[1:]]
    opened = datetime(PERIOD, 2, 1, tzinfo=UTC)
    with sessions() as session:
        batch: list[dict[str, Any]] = []
        for number in range(answers):
            scores = {f"u{i}": rng.choice((2, 3, 3, 4, 4, None if rng.random() < 0.02 else 4)) for i in range(1, 10)}
            batch.append(
                {
                    "instansi_code": office.instansi_code,
                    "period": PERIOD,
                    "unit_code": service_units[number % len(service_units)],
                    "respondent_token": f"t{number:08d}",
                    **scores,
                    "comment": None,
                    "source": "form",
                    "submitted_at": opened + timedelta(minutes=number % 100_000),
                }
            )
            if len(batch) == BATCH:
                session.execute(insert(SurveyResponseRow), batch)
                batch = []
        if batch:
            session.execute(insert(SurveyResponseRow), batch)
        session.commit()
    year.answers = answers
    progress(f"  survey: {answers} answers over {len(service_units)} units")
    return year
