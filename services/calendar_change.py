"""Counting a running cycle's deadlines again after the instansi's working days changed (issue 20), as the admin
kepegawaian does from the cycle's page or the API once the policy's `working_days` holds the new day off: the request
is checked against the cycle and the actor's grant before the cycle workflow's `change_calendar` Update is sent; the
workflow records the new deadlines (services.calendar_record) and has every running appraisal of the cycle take them
up (workflows/appraisal_changes.py). Who is acting comes from the login, never from the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.bounds import Reason, check_text
from domain.errors import NotFound
from domain.officials import CHANGED_BY
from persistence.ports import AbstractUnitOfWork
from services import officials_record
from workflows.calendar_contracts import CalendarChanged, ChangeCalendar
from workflows.contracts import Actor
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import cycle_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
WHAT = "kalender siklus"


class CalendarBody(BaseModel):
    """`POST /cycles/{id}/calendar`: why the deadlines are counted again (e.g. the decree adding a cuti bersama)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alasan: Reason = ""


async def count_again(
    client: Client,
    uow_factory: UowFactory,
    cycle_id: str,
    actor_nip: str,
    *,
    reason: str = "",
    update_id: str | None = None,
) -> CalendarChanged:
    """Have the cycle count its deadlines stated in hari kerja again on the instansi's working days as the policy now
    has them, as the admin kepegawaian `actor_nip`. Raises NotFound (no such cycle, or it has ended) or Forbidden (no
    admin kepegawaian grant for the cycle's instansi) before anything is sent; the workflow refuses a new count that
    breaks the calendar's order, naming the field (WorkflowUpdateFailedError, as every step). Returns once every
    running appraisal has taken the new deadlines up. `update_id` (e.g. from the Idempotency-Key) makes a retry the
    same Update."""

    def check() -> None:  # blocking reads: off the event loop
        with uow_factory() as uow:
            cycle = uow.cycles.get(cycle_id)
            if cycle is None:
                raise NotFound(f"siklus {cycle_id} tidak ditemukan", field="siklus")
            officials_record.check_actor(uow, cycle.instansi_code, cycle_id, actor_nip, what=WHAT)

    await asyncio.to_thread(check)
    check_text(reason, "alasan")
    command = ChangeCalendar(actor=Actor(nip=actor_nip, role=CHANGED_BY), reason=reason)
    handle = client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(cycle_id))
    try:
        return await handle.execute_update(CycleWorkflow.change_calendar, command, id=update_id)
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
        raise NotFound(
            f"siklus {cycle_id} tidak berjalan lagi; kalendernya tidak dihitung ulang", field="siklus"
        ) from None
