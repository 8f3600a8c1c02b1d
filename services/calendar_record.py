"""A cycle's deadlines counted again when its instansi's working days change during the year (issue 20,
domain.calendar.recount), kept in the audit log like a change of officials (services.officials_record): the entry that
records the change is also the record the cycle's appraisals read their new deadlines from, so an appraisal takes up
only what the admin kepegawaian had recorded here, whoever sent it the Update.

Used by the activities (no Temporal import here: services/calendar_change.py sends the cycle's Update).
"""

from __future__ import annotations

from collections.abc import Callable

from domain.calendar import recount
from domain.officials import CHANGED_BY
from persistence.ports import AbstractUnitOfWork
from services.actors import Acting, audit
from services.officials_record import check_actor
from workflows.calendar_contracts import MovedDeadline, RecordCalendar, RecordedCalendar
from workflows.cycle_contracts import cycle_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
ACTION = "cycle.change_calendar"


def record(uow_factory: UowFactory, request: RecordCalendar) -> RecordedCalendar:
    """Check the actor's grant, count the deadlines again on the instansi's working days as they are now, and write
    the change's audit entry once per `key` (a retry reads back the one written). DomainError naming the field when
    the new count breaks the calendar's order: nothing is written then."""
    with uow_factory() as uow:
        check_actor(uow, request.instansi_code, request.cycle_id, request.actor, what="kalender siklus")
        written = _of_key(uow, request.cycle_id, request.key)
        if written is not None:
            return written
        policy = uow.instansi.policy(request.instansi_code)
        counted = recount(request.calendar, request.period, policy, request.before, request.occurred_at)
        moved = [MovedDeadline(field=name, before=old, after=new) for name, (old, new) in counted.moved.items()]
        result = RecordedCalendar(
            version=request.version,
            deadlines=counted.deadlines,
            moved=moved,
            kept=counted.kept,
            changed_by=request.actor,
            reason=request.reason,
        )
        audit(
            uow,
            Acting(request.actor, CHANGED_BY),
            ACTION,
            subject=request.cycle_id,
            reason=request.reason,
            before={"policy": policy.version},
            after=result.model_dump(mode="json", exclude={"changed_by", "reason"}),
            workflow_id=cycle_workflow_id(request.cycle_id),
            key=request.key,
            now=request.occurred_at,
        )
        uow.cycles.recount(request.cycle_id, counted.deadlines)
        uow.commit()
    return result


def recorded(uow_factory: UowFactory, cycle_id: str) -> RecordedCalendar | None:
    """The cycle's deadlines as last counted again (None: never, since it started)."""
    with uow_factory() as uow:
        entries = uow.audit.list(workflow_id=cycle_workflow_id(cycle_id), action=ACTION)
    if not entries:
        return None
    latest = max(entries, key=lambda entry: int((entry.after or {})["version"]))
    return _read(latest.after or {}, latest.actor, latest.reason)


def _of_key(uow: AbstractUnitOfWork, cycle_id: str, key: str) -> RecordedCalendar | None:
    for entry in uow.audit.list(workflow_id=cycle_workflow_id(cycle_id), action=ACTION):
        if entry.idempotency_key == key:
            return _read(entry.after or {}, entry.actor, entry.reason)
    return None


def _read(after: dict[str, object], actor: str, reason: str | None) -> RecordedCalendar:
    return RecordedCalendar.model_validate({**after, "changed_by": actor, "reason": reason})
