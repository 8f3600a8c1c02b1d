"""Development plans (tindak lanjut, issue 20) through the API, on the services the pages use
(services.development_plans): read the plan that follows an appraisal, take its steps as the signed-in person (the
penilai sends it, the employee agrees or asks for a change, the supervision team gives it another penilai), and list a
cycle's plans for HR and the supervision team.
The plan exists once the appraisal has ended with a predicate the instansi's policy lists; before, the read answers
`null` and a step is refused naming `rencana`.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.development import PlanAction, PlanRecord
from services import development_plans
from services.development_plans import AgreeBody, ChangeBody, PlanBody, ReassignPlanBody
from web.access import Rule
from web.deps import CurrentPrincipal, Svc, guard
from web.routes.appraisals import READERS, IdempotencyKey
from web.routes.cycles import CycleId

router = APIRouter(tags=["tindak lanjut"])
PLAN = "/cycles/{cycle_id}/appraisals/{nip}/development-plan"


class PlanShown(BaseModel):
    """Where the plan stands and what it holds."""

    nip: str
    nama: str
    unit: str
    predikat: str = Field(description="predikat akhir yang membuka rencana ini")
    tahap: str = Field(description="drafting, agreement, agreed")
    menunggu: str | None = Field(description="NIP yang harus bertindak sekarang")
    batas_waktu: datetime | None
    terlambat: bool
    tingkat_eskalasi: int
    bimbingan: str | None
    kompetensi: str | None
    pelatihan: str | None
    tanggal_target: date | None
    perubahan_diminta: int
    alasan_perubahan: str | None
    disepakati: datetime | None


def _shown(record: PlanRecord) -> PlanShown:
    plan = record.plan
    return PlanShown(
        nip=record.employee_nip,
        nama=record.employee_name,
        unit=record.unit_code,
        predikat=record.predicate.value,
        tahap=record.step.value,
        menunggu=record.assignee_nip,
        batas_waktu=record.deadline,
        terlambat=record.overdue,
        tingkat_eskalasi=record.escalation_level,
        bimbingan=plan.coaching if plan else None,
        kompetensi=plan.competency if plan else None,
        pelatihan=plan.training if plan else None,
        tanggal_target=plan.target_date if plan else None,
        perubahan_diminta=record.change_requests,
        alasan_perubahan=record.change_reason,
        disepakati=record.agreed_at,
    )


@router.get(PLAN, summary="Rencana pengembangan kinerja (tindak lanjut)", **guard(Rule("appraisal", READERS)))
async def plan(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> PlanShown | None:
    found = await run_in_threadpool(development_plans.plan_of, svc.uow_factory, principal, cycle_id, nip)
    return _shown(found) if found is not None else None


async def _take(
    svc: Svc,
    principal: CurrentPrincipal,
    cycle_id: str,
    nip: str,
    action: PlanAction,
    body: development_plans.Body,
    idempotency_key: str | None,
) -> PlanShown:
    today = partial(development_plans.today_in_cycle, svc.uow_factory, cycle_id, svc.clock())
    prepared = await run_in_threadpool(
        partial(
            development_plans.prepare,
            svc.uow_factory,
            principal,
            cycle_id=cycle_id,
            nip=nip,
            action=action,
            body=body,
            today=await run_in_threadpool(today),
            idempotency_key=idempotency_key,
        )
    )
    state = await development_plans.send(await svc.temporal.client(), prepared)
    return _shown(state.record)


@router.post(
    PLAN + "/send",
    summary="Kirim rencana pengembangan kepada pegawai (pejabat penilai)",
    **guard(Rule("appraisal", (development_plans.ACTORS[PlanAction.SEND],), acts=True)),
)
async def send_plan(
    cycle_id: str,
    nip: str,
    body: PlanBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> PlanShown:
    return await _take(svc, principal, cycle_id, nip, PlanAction.SEND, body, idempotency_key)


@router.post(
    PLAN + "/agree",
    summary="Setujui rencana pengembangan (pegawai)",
    **guard(Rule("appraisal", (development_plans.ACTORS[PlanAction.AGREE],), acts=True)),
)
async def agree_plan(
    cycle_id: str,
    nip: str,
    body: AgreeBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> PlanShown:
    return await _take(svc, principal, cycle_id, nip, PlanAction.AGREE, body, idempotency_key)


@router.post(
    PLAN + "/change",
    summary="Minta perubahan rencana pengembangan, dengan alasan (pegawai)",
    **guard(Rule("appraisal", (development_plans.ACTORS[PlanAction.ASK_CHANGE],), acts=True)),
)
async def ask_change(
    cycle_id: str,
    nip: str,
    body: ChangeBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> PlanShown:
    return await _take(svc, principal, cycle_id, nip, PlanAction.ASK_CHANGE, body, idempotency_key)


@router.post(
    PLAN + "/reviewer",
    summary="Alihkan rencana pengembangan kepada pejabat penilai lain, dengan alasan (tim pengawasan)",
    **guard(Rule("appraisal", (development_plans.ACTORS[PlanAction.REASSIGN],), acts=True)),
)
async def reassign_plan(
    cycle_id: str,
    nip: str,
    body: ReassignPlanBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> PlanShown:
    return await _take(svc, principal, cycle_id, nip, PlanAction.REASSIGN, body, idempotency_key)


@router.get(
    "/cycles/{cycle_id}/development-plans",
    summary="Rencana pengembangan siklus, per unit",
    **guard(Rule("cycle", development_plans.LISTERS)),
)
async def plans_of_cycle(cycle_id: CycleId, principal: CurrentPrincipal, svc: Svc) -> list[PlanShown]:
    found = await run_in_threadpool(development_plans.of_cycle, svc.uow_factory, principal, cycle_id)
    return [_shown(record) for record in found]
