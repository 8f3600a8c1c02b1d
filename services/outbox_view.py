"""The operator's outbox page (`/operator`): the notices about the appraisals and cycles of the instansi where the
person holds the operator role — how many wait on each channel, those given up with their last error, the oldest
waiting — and queuing given-up ones again (services.notices.requeue, what `kinerja notifikasi ulangi` runs).

`kinerja notifikasi` on the server reads the whole outbox; a signed-in operator reads their instansi's share only,
and no message body (an account's one-time link is in one; those are about no appraisal and never listed here).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from domain.access import Principal
from domain.stages import Role
from persistence.ports import AbstractUnitOfWork, OutboxBacklog, OutboxMessage, WorkflowIds
from services import notices
from services.notices import Requeued
from workflows.contracts import appraisal_workflow_ids
from workflows.cycle_contracts import cycle_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
CYCLES_COVERED = 100  # per instansi: a cycle a year, and a few more started by hand
MAX_RETRIED = 1000  # given-up messages queued again by one press of "all"


@dataclass(frozen=True)
class OutboxView:
    backlog: OutboxBacklog
    given_up: list[OutboxMessage]  # oldest first
    waiting: list[OutboxMessage]  # oldest first
    instansi: list[str]


def scope(uow_factory: UowFactory, principal: Principal, role: Role = Role.OPERATOR) -> WorkflowIds:
    """The workflows of the cycles where the person holds `role`: each cycle's workflow and its appraisals."""
    codes = sorted({grant.instansi_code for grant in principal.grants if grant.role is role})
    exact: list[str] = []
    prefixed: list[tuple[str, int]] = []
    with uow_factory() as uow:
        for code in codes:
            for cycle in uow.cycles.of_instansi(code, limit=CYCLES_COVERED):
                if principal.holds(role, code, cycle.cycle_id):
                    exact.append(cycle_workflow_id(cycle.cycle_id))
                    prefixed.append(appraisal_workflow_ids(cycle.cycle_id))
    return WorkflowIds(exact=tuple(exact), prefixed=tuple(prefixed))


def of_operator(uow_factory: UowFactory, principal: Principal, *, limit: int) -> OutboxView:
    """What the person's instansi's notices wait for: counts, and the first `limit` given up and waiting."""
    about = scope(uow_factory, principal)
    with uow_factory() as uow:
        return OutboxView(
            backlog=uow.outbox.backlog_about(about),
            given_up=uow.outbox.unsent_about(about, given_up=True, limit=limit),
            waiting=uow.outbox.unsent_about(about, given_up=False, limit=limit),
            instansi=sorted({grant.instansi_code for grant in principal.grants if grant.role is Role.OPERATOR}),
        )


def retry(
    uow_factory: UowFactory, principal: Principal, message_ids: Collection[int] | None, *, now: datetime
) -> Requeued:
    """Queue given-up notices of the person's instansi again: those of `message_ids`, or (None) all of them, at most
    MAX_RETRIED at once. A message of another instansi, or none at all, is passed over, as `ulangi --id` passes over
    an id that is not given up."""
    about = scope(uow_factory, principal)
    with uow_factory() as uow:
        if message_ids is None:
            chosen = [m.id for m in uow.outbox.unsent_about(about, given_up=True, limit=MAX_RETRIED)]
        else:
            found = (uow.outbox.get(message_id) for message_id in set(message_ids))
            chosen = [m.id for m in found if m is not None and about.matches(m.workflow_id)]
        ids = [message_id for message_id in chosen if message_id is not None]
        if not ids:
            return Requeued(0, [])
        done = notices.requeue(uow, ids, now=now)
        uow.commit()
    return done
