"""The periodic evaluation (domain.periods) as the signed-in person sees and acts on it: who acts comes from their
session or token, never from the request; the evaluation's workflow (workflows/periodic.py) has the last word.

Whoever may see the appraisal sees its periods (services.steps.visible; anyone else is told it does not exist). The
employee records a period's realisation so far (evidence links as in the self-assessment, checked the same way), the
pejabat penilai holds the dialog kinerja: feedback, and a rating where the instansi's policy asks. The pages and the
API both come through here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError

from domain.access import Principal, Scope, acting_role, roles_on
from domain.bounds import MAX_LIST_ITEMS, Feedback
from domain.errors import Forbidden, NotFound
from domain.periods import PERIOD_RULE, PeriodRecord, PeriodStep
from domain.ratings import Expectation
from domain.skp import Realisation
from domain.stages import Role
from persistence.ports import AbstractUnitOfWork
from services.evidence_refs import check_references
from services.steps import STEP_WAIT, RealisationBody, keyed_update_id, visible
from workflows.contracts import Actor
from workflows.period_contracts import HoldDialog, PeriodicState, RecordPeriodRealisation, periodic_workflow_id
from workflows.periodic import PeriodicEvaluationWorkflow

UowFactory = Callable[[], AbstractUnitOfWork]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PeriodRealisationBody(_Body):
    """The realisation so far of the period's indicators (those recorded; not every one is required)."""

    realisasi: list[RealisationBody] = Field(min_length=1, max_length=MAX_LIST_ITEMS)


class DialogBody(_Body):
    umpan_balik: Feedback = Field(min_length=1, description="hasil dialog kinerja untuk pegawai")
    rating: Expectation | None = Field(default=None, description="rating periodik, bila kebijakan instansi memintanya")


def periods_of(uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str) -> list[PeriodRecord]:
    """The appraisal's periods opened so far, in order (NotFound for whoever may not see it)."""
    visible(uow_factory, principal, cycle_id, nip)
    return records_of(uow_factory, cycle_id, nip)


def records_of(uow_factory: UowFactory, cycle_id: str, nip: str) -> list[PeriodRecord]:
    """The same, for a page that has already checked who may see the appraisal."""
    with uow_factory() as uow:
        return uow.periods.of_appraisal(cycle_id, nip)


def open_for(records: list[PeriodRecord], nip: str) -> PeriodRecord | None:
    """The period waiting on `nip` now, if one is (its employee's realisation, or its penilai's dialog)."""
    for record in records:
        if record.step is not PeriodStep.DONE and record.assignee_nip == nip:
            return record
    return None


@dataclass(frozen=True)
class PreparedPeriodStep:
    cycle_id: str
    nip: str
    update_id: str | None  # from the sender's Idempotency-Key: a retry with the same key is the same Update
    command: RecordPeriodRealisation | HoldDialog


def prepare(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    cycle_id: str,
    nip: str,
    number: int,
    body: PeriodRealisationBody | DialogBody,
    idempotency_key: str | None = None,
) -> PreparedPeriodStep:
    """Who may take the step and the command to send (blocking: reads the database)."""
    if Scope.ACT not in principal.scopes:
        raise Forbidden("token ini hanya untuk membaca (cakupan 'baca'); langkah memerlukan cakupan 'langkah'")
    parties, _period = visible(uow_factory, principal, cycle_id, nip)
    wanted = Role.PEGAWAI if isinstance(body, PeriodRealisationBody) else Role.PENILAI
    role = acting_role(roles_on(principal, parties), (wanted,))
    if role is None:
        raise Forbidden(f"langkah ini dilakukan oleh {wanted.label} pegawai ini", field="peran", rule=PERIOD_RULE)
    if not any(record.number == number for record in records_of(uow_factory, cycle_id, nip)):
        raise NotFound(f"periode {number} penilaian NIP {nip} belum dibuka", field="periode")
    actor = Actor(nip=principal.nip, role=role)
    command: RecordPeriodRealisation | HoldDialog
    if isinstance(body, PeriodRealisationBody):
        check_references(uow_factory, parties, ((r.indikator, r.bukti) for r in body.realisasi))
        realisations = [
            Realisation(indicator_id=r.indikator, value=r.realisasi, evidence=list(r.bukti), note=r.catatan)
            for r in body.realisasi
        ]
        command = RecordPeriodRealisation(actor=actor, number=number, realisations=realisations)
    else:
        command = HoldDialog(actor=actor, number=number, feedback=body.umpan_balik, rating=body.rating)
    name = f"period-{number}-{'realisation' if isinstance(body, PeriodRealisationBody) else 'dialog'}"
    key = keyed_update_id(principal, name, cycle_id, nip, idempotency_key) if idempotency_key else None
    return PreparedPeriodStep(cycle_id=cycle_id, nip=nip, update_id=key, command=command)


async def send(client: Client, step: PreparedPeriodStep) -> PeriodicState:
    """Send the prepared step as its Update (waits STEP_WAIT at most, as an appraisal's step)."""
    handle = client.get_workflow_handle_for(
        PeriodicEvaluationWorkflow.run, periodic_workflow_id(step.cycle_id, step.nip)
    )
    command = step.command
    try:
        async with asyncio.timeout(STEP_WAIT.total_seconds()):
            if isinstance(command, RecordPeriodRealisation):
                return await handle.execute_update(
                    PeriodicEvaluationWorkflow.record_realisation, command, id=step.update_id
                )
            return await handle.execute_update(PeriodicEvaluationWorkflow.hold_dialog, command, id=step.update_id)
    except TimeoutError:
        raise WorkflowUpdateRPCTimeoutOrCancelledError() from None
