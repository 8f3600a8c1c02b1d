"""A cycle's officials as the admin kepegawaian changes them during the year (domain.officials), kept in the audit
log: the entry that records a change is also the record the cycle's appraisals read their new lists from. The
database is the source of truth, because the Update that tells an appraisal of a change could be sent by anyone who
reaches Temporal; whoever sends it, the appraisal can only take up what was recorded here.

Used by the activities (no Temporal import here: services/officials.py sends the Update).
"""

from __future__ import annotations

from collections.abc import Callable

from domain.errors import Forbidden
from domain.officials import CHANGED_BY, LABELS, RULE, Officials, changes
from persistence.ports import AbstractUnitOfWork
from services.actors import Acting, audit
from services.appraisals import require_officials
from workflows.contracts import RecordedOfficials
from workflows.cycle_contracts import RecordOfficials, cycle_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
ACTION = "cycle.change_officials"


def check_actor(
    uow: AbstractUnitOfWork, instansi_code: str, cycle_id: str, actor: str, *, what: str = "pejabat siklus"
) -> None:
    """Forbidden unless `actor` holds the admin kepegawaian role in the instansi (for every cycle, or this one)."""
    if actor not in uow.identity.holders(instansi_code, CHANGED_BY, cycle_id):
        raise Forbidden(
            f"NIP {actor} bukan {CHANGED_BY.label} instansi {instansi_code}; {what} {cycle_id} tidak diubah",
            field="pelaku",
            rule=RULE,
        )


def check_roster(uow: AbstractUnitOfWork, instansi_code: str, officials: Officials) -> None:
    """DomainError unless the supervision team and the pengelola kinerja are active employees of a roster (any
    instansi's: services.appraisals.require_officials). The pimpinan is not looked for: the leader one level
    up (a Sekda for a dinas) may be on no roster, as when a cycle starts (services.appraisals.check_cycle)."""
    del instansi_code  # the officials of an instansi's cycle may come from another instansi's roster
    for field in ("supervision_team", "pengelola_kinerja"):
        require_officials(uow, officials.lists()[field], field, active=True)


def record(uow_factory: UowFactory, request: RecordOfficials) -> bool:
    """Check the actor's grant and the roster again, then write the change's audit entry once per `key` (False: a
    retry found it written)."""
    with uow_factory() as uow:
        check_actor(uow, request.instansi_code, request.cycle_id, request.actor)
        check_roster(uow, request.instansi_code, request.officials)
        written = audit(
            uow,
            Acting(request.actor, CHANGED_BY),
            ACTION,
            subject=request.cycle_id,
            reason=request.reason,
            before=dict(request.before.lists()),
            after={
                "version": request.version,
                **request.officials.lists(),
                "changes": changes(request.before, request.officials),
            },
            workflow_id=cycle_workflow_id(request.cycle_id),
            key=request.key,
            now=request.occurred_at,
        )
        uow.commit()
    return written


def recorded(uow_factory: UowFactory, cycle_id: str) -> RecordedOfficials | None:
    """The cycle's officials as last changed (None: never changed since it started)."""
    with uow_factory() as uow:
        entries = uow.audit.list(workflow_id=cycle_workflow_id(cycle_id), action=ACTION)
    if not entries:
        return None
    latest = max(entries, key=lambda entry: int((entry.after or {})["version"]))
    after = latest.after or {}
    return RecordedOfficials(
        version=int(after["version"]),
        officials=Officials.model_validate({field: after[field] for field in LABELS}),
        changed_by=latest.actor,
        reason=latest.reason,
    )
