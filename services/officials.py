"""Changing who holds a running cycle's roles (domain.officials), as the admin kepegawaian does through the API: the
request is checked against the cycle, the actor's grant and the roster before the cycle workflow's `change_officials`
Update is sent; the workflow records the change and has every running appraisal of the cycle take it up
(workflows/cycle.py). Who is acting comes from the login, never from the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.bounds import check_text
from domain.errors import NotFound
from domain.officials import CHANGED_BY, Officials
from persistence.ports import AbstractUnitOfWork
from services import officials_record
from workflows.contracts import Actor
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import ChangeOfficials, OfficialsChanged, cycle_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]


async def change_officials(
    client: Client,
    uow_factory: UowFactory,
    cycle_id: str,
    officials: Officials,
    actor_nip: str,
    *,
    reason: str = "",
    update_id: str | None = None,
) -> OfficialsChanged:
    """Give the cycle `officials` (every list, those kept included) as the admin kepegawaian `actor_nip`, with the
    reason (e.g. the decree). Raises NotFound (no such cycle, or it has ended), Forbidden (the actor holds no admin
    kepegawaian grant for the cycle's instansi) or DomainError (someone not an active employee of the instansi, a
    list too long, nothing changed) before anything is sent; the workflow's validator may still refuse it
    (WorkflowUpdateFailedError, as every step). Returns once every running appraisal has taken the change up.
    `update_id` (e.g. from the sender's Idempotency-Key) makes a retry the same Update."""

    def check() -> None:  # blocking reads: off the event loop
        with uow_factory() as uow:
            cycle = uow.cycles.get(cycle_id)
            if cycle is None:
                raise NotFound(f"siklus {cycle_id} tidak ditemukan", field="siklus")
            officials_record.check_actor(uow, cycle.instansi_code, cycle_id, actor_nip)
            officials_record.check_roster(uow, cycle.instansi_code, officials)

    await asyncio.to_thread(check)
    check_text(reason, "alasan")
    command = ChangeOfficials(actor=Actor(nip=actor_nip, role=CHANGED_BY), officials=officials, reason=reason)
    handle = client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(cycle_id))
    try:
        return await handle.execute_update(CycleWorkflow.change_officials, command, id=update_id)
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
        ended = f"siklus {cycle_id} tidak berjalan lagi; pejabatnya tidak dapat diubah"
        raise NotFound(ended, field="siklus") from None
