"""The calibration of a cycle (SE MenPAN-RB 3/2023) as the database keeps it: the minimal-change proposal for the
organisation predicate the pimpinan sets, the committee's decision locked on it, the locked results each appraisal
takes up, and the calibration deadline's reminders and escalations.

The cycle workflow calls these through its activities (activities.cycle) and gets compact summaries back; the full
proposal and decision stay here. The calibration page reads a stored one a page at a time (services.calibration_board).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from domain.calibration import CalibrationDecision as CommitteeDecision
from domain.calibration import CalibrationEntry, Proposal, decide_calibration, propose_adjustments
from domain.errors import DomainError, NotFound
from domain.ratings import Predicate
from domain.stages import Role
from persistence.ports import AbstractUnitOfWork, CalibrationRecord
from services import notices
from services.actors import Acting, audit
from services.cycles import Reviewed, reviewed
from workflows.contracts import CalibrationDecision as AppraisalCalibration
from workflows.contracts import (
    CalibrationSource,
    NoticeKind,
    RecordStepResult,
)
from workflows.cycle_contracts import (
    CHANGES_SHOWN,
    CalibrationNotice,
    CalibrationOutcome,
    CalibrationView,
    CycleRef,
    DecideCalibration,
    SetOrgPredicate,
    cycle_workflow_id,
)

UowFactory = Callable[[], AbstractUnitOfWork]

GROUP = "ORG"  # the distribution pattern is applied to the whole instansi, one calibration per cycle
PROPOSED, LOCKED = "proposed", "locked"
# What the calibration page shows of a stored proposal besides its changes (services.calibration_board.ShownProposal),
# stored as the calibration's summary: read on every view without the document of every employee's entry.
SUMMARY_PARTS = ("message", "counts_after")


def group_of(cycle_id: str) -> str:
    """The calibration's key beside instansi and period: the cycle, so two cycles of a period never share one."""
    if len(cycle_id) <= 32:
        return cycle_id
    return f"{cycle_id[:23]}-{hashlib.sha256(cycle_id.encode()).hexdigest()[:8]}"


class LockedDecision(BaseModel):
    """The committee's decision as stored once locked, with the key of the Update that locked it (a retried
    activity finds its own decision instead of refusing a second one)."""

    decision: CommitteeDecision
    decided_by: str
    key: str


class _Stored(BaseModel):
    """A stored calibration read without its schema: a proposal, or a decision once locked."""

    model_config = ConfigDict(extra="allow")


def propose(uow_factory: UowFactory, ref: CycleRef, request: SetOrgPredicate) -> CalibrationView:
    """Check the distribution against the organisation predicate's pattern and store the minimal proposal, with the
    audit entry of the pimpinan who set the predicate (the Update's actor, the signed-in person through the API)."""
    rows = reviewed(uow_factory, ref)
    if not rows:
        raise DomainError(
            "belum ada penilaian yang tercatat dalam siklus ini; tidak ada yang dikalibrasi", field="siklus"
        )
    entries = [
        CalibrationEntry(employee_id=r.nip, name=r.name, predicate=r.predicate, achievement=r.achievement, unit=r.unit)
        for r in rows
    ]
    with uow_factory() as uow:
        policy = uow.instansi.policy(ref.instansi_code)
        current = uow.calibrations.get(ref.instansi_code, ref.period, group_of(ref.cycle_id), _Stored)
        if current is not None and current.status == LOCKED:
            raise DomainError("kalibrasi periode ini sudah dikunci", field="kalibrasi")
        proposal = propose_adjustments(entries, request.org_predicate, policy)
        proposal_id = _proposal_id(proposal)
        uow.calibrations.save(
            CalibrationRecord[Proposal](
                instansi_code=ref.instansi_code,
                period=ref.period,
                group_code=group_of(ref.cycle_id),
                org_predicate=request.org_predicate,
                status=PROPOSED,
                policy_version=policy.version,
                calibration=proposal,
                version=current.version if current else None,
                listed=[change.model_dump(mode="json") for change in proposal.changes],
                summary=proposal.model_dump(mode="json", include=set(SUMMARY_PARTS)),
            )
        )
        # Keyed by the proposal and who made it: a retried activity stores the same proposal and logs it once.
        audit(
            uow,
            Acting(request.actor, Role.PIMPINAN),
            "calibration.propose",
            subject=ref.cycle_id,
            after={
                "proposal_id": proposal_id,
                "org_predicate": request.org_predicate.value,
                "changes": len(proposal.changes),
                "feasible": proposal.feasible,
                "recommendations": request.recommendations,
                "policy_version": policy.version,
            },
            workflow_id=cycle_workflow_id(ref.cycle_id),
            key=f"calibration.propose:{ref.cycle_id}:{proposal_id}:{request.actor}",
        )
        uow.commit()
    return CalibrationView(
        proposal_id=proposal_id,
        org_predicate=request.org_predicate,
        set_by=request.actor,
        recommendations=request.recommendations,
        total=len(entries),
        feasible=proposal.feasible,
        violations=[v.message for v in proposal.violations],
        changes=len(proposal.changes),
        changes_shown=[
            f"{c.employee_id} {c.name or ''} ({c.unit or '-'}, capaian {_shown(c.achievement)}):"
            f" {c.from_predicate.label} → {c.to_predicate.label} — {c.reason}"
            for c in proposal.changes[:CHANGES_SHOWN]
        ],
        counts_before=proposal.counts_before,
        counts_after=proposal.counts_after,
        policy_version=policy.version,
    )


def decide(uow_factory: UowFactory, ref: CycleRef, decision: DecideCalibration, key: str) -> CalibrationOutcome:
    """Lock the committee's decision on the stored proposal; a deviation needs the justification (domain rule).

    `key` (the Update's id) is stored with the lock. Once locked, the locked decision is returned, never replaced.
    The proposal must be the one the committee saw (`proposal_id`) and still cover every review of the cycle.
    """
    group = group_of(ref.cycle_id)
    # The stored proposal read and validated once, before the unit of work that locks it (a proposal holds every
    # employee's entry: read twice and hashed three times, it took much of a decision's minute at 100,000); the
    # version check of the lock's save refuses it if the proposal changed meanwhile.
    with uow_factory() as uow:
        record = uow.calibrations.get(ref.instansi_code, ref.period, group, _Stored)
    if record is None:
        raise NotFound("belum ada usulan kalibrasi; tetapkan predikat organisasi dahulu", field="kalibrasi")
    if record.status == LOCKED:
        # The cycle asks only while it has no outcome: this is a retry of the Update that locked it (same key),
        # or one after that Update failed past the commit. Either way the lock stands and is what is reported.
        return _outcome(LockedDecision.model_validate(record.calibration.model_dump()))
    proposal = Proposal.model_validate(record.calibration.model_dump())
    late, gone = _since(proposal, reviewed(uow_factory, ref))
    if late or gone:
        happened = [
            *([f"{late} penilaian tercatat"] if late else []),
            *([f"{gone} pegawai ditarik dari siklus"] if gone else []),
        ]
        raise DomainError(
            f"{' dan '.join(happened)} setelah usulan dibuat; ulangi `siklus kalibrasi usul` agar usulan memuat"
            " tepat penilaian yang berlaku",
            field="usulan",
        )
    proposal_id = _proposal_id(proposal)  # of the whole proposal: taken before the first write
    if decision.proposal_id not in (None, proposal_id) and decision.proposal_id != _unsorted_id(proposal):
        raise DomainError("usulan kalibrasi sudah berubah sejak dilihat; periksa lagi `siklus status`", field="usulan")
    with uow_factory() as uow:
        policy = uow.instansi.policy(ref.instansi_code)
        decided = decide_calibration(
            proposal,
            accepted=decision.accept,
            policy=policy,
            overrides=decision.overrides,
            justification=decision.justification,
        )
        locked = LockedDecision(decision=decided, decided_by=decision.actor, key=key)
        uow.calibrations.save(
            CalibrationRecord[LockedDecision](
                instansi_code=ref.instansi_code,
                period=ref.period,
                group_code=group,
                org_predicate=record.org_predicate,
                status=LOCKED,
                policy_version=policy.version,
                calibration=locked,
                version=record.version,
                listed=[p.model_dump(mode="json") for p in decided.predicates if p.final != p.original],
            )
        )
        # In the transaction that locks it: a retry finds the lock above and writes neither again. Last, so that the
        # chain's head it takes is held only to the commit; the lock is stored first, its document serialised before
        # its statement, and its lines written in two statements (persistence: SqlCalibrationRepository.save). At
        # 100,000 appraisals the entry taken first held the write lock 3-6 s while the ORM wrote the rest.
        audit(
            uow,
            Acting(decision.actor, Role.PIMPINAN),
            "calibration.decide",
            subject=ref.cycle_id,
            reason=decided.justification,
            after={
                "proposal_id": proposal_id,
                "accepted": decided.accepted,
                "overrides": {nip: predicate.value for nip, predicate in decision.overrides.items()},
                "compliant": decided.compliant,
            },
            workflow_id=cycle_workflow_id(ref.cycle_id),
            key=f"calibration.decide:{key}",
        )
        uow.commit()
    return _outcome(locked)


def _since(proposal: Proposal, now: list[Reviewed]) -> tuple[int, int]:
    """How the cycle's reviews (`now`) changed since the proposal was made: (reviews it does not cover, recorded
    after it; employees it covers who were withdrawn since)."""
    covered = {e.employee_id for e in proposal.entries}
    nips = {r.nip for r in now}
    return len(nips - covered), len(covered - nips)


def _outcome(locked: LockedDecision) -> CalibrationOutcome:
    decided = locked.decision
    return CalibrationOutcome(
        decided_by=locked.decided_by,
        accepted=decided.accepted,
        overrides=len(decided.overrides),
        justification=decided.justification,
        compliant=decided.compliant,
        violations=[v.message for v in decided.violations],
        counts=dict(Counter(p.final for p in decided.predicates)),
    )


def _proposal_id(proposal: Proposal) -> str:
    """A short fingerprint of a proposal: what the committee saw is what it decides on. Taken of its JSON with the
    keys sorted, since PostgreSQL (JSONB) gives a stored proposal back with its keys in another order: the id shown
    when it was made must be the id of the proposal read back to be decided."""
    text = json.dumps(proposal.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _unsorted_id(proposal: Proposal) -> str:
    """The id proposals made before the keys were sorted were shown with (of the JSON as written; it only ever
    matched on SQLite): a decision may still name it."""
    return hashlib.sha256(proposal.model_dump_json().encode()).hexdigest()[:12]


def locked_decision(uow_factory: UowFactory, ref: CycleRef) -> CommitteeDecision:
    return _locked(uow_factory, ref).decision


def _locked(uow_factory: UowFactory, ref: CycleRef) -> LockedDecision:
    with uow_factory() as uow:
        record = uow.calibrations.get(ref.instansi_code, ref.period, group_of(ref.cycle_id), _Stored)
    if record is None or record.status != LOCKED:
        raise NotFound(f"kalibrasi siklus {ref.cycle_id} belum dikunci", field="kalibrasi")
    return LockedDecision.model_validate(record.calibration.model_dump())


@dataclass(frozen=True)
class LockedResults:
    """What an appraisal needs of its cycle's locked decision: each employee's final predicate, who decided, why."""

    calibration_id: str
    decided_by: str
    reason: str
    predicates: dict[str, Predicate]


def locked_results(uow_factory: UowFactory, ref: CycleRef) -> LockedResults:
    """The cycle's locked decision (NotFound while it is not locked), as every appraisal of the cycle reads it when
    its result arrives (`calibration_result`). A locked decision never changes (`propose` refuses to replace it and
    `decide` returns it), so a reader may keep it."""
    locked = _locked(uow_factory, ref)
    decision = locked.decision
    return LockedResults(
        calibration_id=f"{ref.cycle_id}/{GROUP}",
        decided_by=locked.decided_by,
        reason=decision.justification or f"hasil kalibrasi siklus {ref.cycle_id} (SE MenPAN-RB 3/2023)",
        predicates={final.employee_id: final.final for final in decision.predicates},
    )


def calibration_result(results: LockedResults, cycle_id: str, employee_nip: str) -> AppraisalCalibration:
    """One employee's result in the locked decision, or NotFound: someone not yet reviewed when the proposal was made
    is not in it, and nothing else may stand in for the committee's decision."""
    predicate = results.predicates.get(employee_nip)
    if predicate is None:
        raise NotFound(
            f"pegawai {employee_nip} tidak ada dalam keputusan kalibrasi siklus {cycle_id} yang dikunci",
            field="kalibrasi",
        )
    return AppraisalCalibration(
        calibration_id=results.calibration_id,
        predicate=predicate,
        reason=results.reason,
        decided_by=results.decided_by,
        source=CalibrationSource.CYCLE,
    )


def _shown(value: Decimal | None) -> str:
    return "-" if value is None else f"{value}%"


# --- the calibration deadline: reminders to the pimpinan, escalation to the supervision team and pengelola kinerja ---


def send_calibration_notice(uow_factory: UowFactory, notice: CalibrationNotice) -> RecordStepResult:
    """Write a calibration reminder or escalation to the audit log and the outbox, once per idempotency key.

    A retried activity finds the notice recorded and writes nothing; the audit entry and every outbox message carry
    keys of their own as well, so even a concurrent attempt cannot write them twice.
    """
    subject, body = _calibration_notice_text(notice)
    with uow_factory() as uow:
        return notices.send(
            uow,
            notices.Notice(
                key=notice.idempotency_key,
                workflow_id=notice.workflow_id,
                kind=notice.kind,
                about=notice.cycle_id,
                step="calibration",
                deadline=notice.deadline,
                level=notice.level,
                recipients=notice.recipients,
                occurred_at=notice.occurred_at,
                subject=subject,
                body=body,
                recorded_as=f"calibration.{notice.kind.value}",
                details={"proposed": notice.proposed},
            ),
        )


def _calibration_notice_text(notice: CalibrationNotice) -> tuple[str, str]:
    cycle = f"siklus {notice.cycle_id} (instansi {notice.instansi_code}, periode {notice.period})"
    due = notices.when(notice.deadline, notice.utc_offset_hours)
    waiting = (
        "Predikat kinerja organisasi sudah ditetapkan; usulan kalibrasi menunggu keputusan"
        " (`kinerja siklus kalibrasi putuskan`)."
        if notice.proposed
        else "Predikat kinerja organisasi belum ditetapkan (`kinerja siklus kalibrasi usul`), lalu kalibrasi"
        " diputuskan (`kinerja siklus kalibrasi putuskan`)."
    )
    if notice.kind is NoticeKind.REMINDER:
        subject = f"Pengingat: kalibrasi {cycle} jatuh tempo {due}"
        body = f"Kalibrasi predikat kinerja {cycle} jatuh tempo {due} (SE MenPAN-RB 3/2023). {waiting}"
    else:
        subject = f"Eskalasi tingkat {notice.level}: kalibrasi {cycle} terlambat"
        body = (
            f"Kalibrasi predikat kinerja {cycle} melewati batas waktu {due} dan dieskalasi ke tingkat"
            f" {notice.level}. {waiting} Penetapan predikat setiap pegawai menunggu keputusan pimpinan"
            f" ({', '.join(notice.pimpinan)})."
        )
    return subject, body


def calibration_notice_counts(uow_factory: UowFactory, ref: CycleRef) -> tuple[int, int]:
    """(reminders, escalations) the cycle itself sent about its calibration deadline, from the audit log."""
    workflow_id = cycle_workflow_id(ref.cycle_id)
    with uow_factory() as uow:
        reminders, escalations = (
            len(uow.audit.list(workflow_id=workflow_id, action=f"notice.{kind.value}"))
            for kind in (NoticeKind.REMINDER, NoticeKind.ESCALATION)
        )
    return reminders, escalations
