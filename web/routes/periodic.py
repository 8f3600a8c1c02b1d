"""The periodic evaluation through the API, on the services the pages use (services.periodic): read an appraisal's
periods, record a period's realisation so far (the employee) and hold its dialog kinerja (the pejabat penilai). A
period opens once it has ended; before, its steps are refused naming `periode`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.periods import PeriodRecord
from domain.stages import Role
from services import periodic
from services.periodic import DialogBody, PeriodRealisationBody
from web.access import Rule
from web.deps import CurrentPrincipal, Svc, guard
from web.downloads import period_pdf_response
from web.routes.appraisals import READERS, IdempotencyKey

router = APIRouter(tags=["evaluasi periodik"])
PERIODS = "/cycles/{cycle_id}/appraisals/{nip}/periods"
Number = Annotated[int, Path(ge=1, le=12, description="nomor periode: 1 untuk Triwulan I")]


class RealisedShown(BaseModel):
    indikator: str
    realisasi: Decimal
    bukti: list[str]
    catatan: str


class PeriodShown(BaseModel):
    nomor: int
    periode: str = Field(description="Triwulan I, Semester I, Bulan I, ...")
    sampai: date = Field(description="hari terakhir periode")
    tahap: str = Field(description="realisation, dialog, done")
    menunggu: str | None = Field(description="NIP yang harus bertindak sekarang")
    batas_waktu: datetime | None
    terlambat: bool
    tingkat_eskalasi: int
    realisasi: list[RealisedShown]
    dicatat: datetime | None
    umpan_balik: str | None
    rating: str | None
    dialog: datetime | None


def _shown(record: PeriodRecord) -> PeriodShown:
    return PeriodShown(
        nomor=record.number,
        periode=record.label,
        sampai=record.last_day,
        tahap=record.step.value,
        menunggu=record.assignee_nip,
        batas_waktu=record.deadline,
        terlambat=record.overdue,
        tingkat_eskalasi=record.escalation_level,
        realisasi=[
            RealisedShown(indikator=r.indicator_id, realisasi=r.value, bukti=r.evidence, catatan=r.note)
            for r in record.realisations
        ],
        dicatat=record.realised_at,
        umpan_balik=record.feedback,
        rating=record.rating.value if record.rating is not None else None,
        dialog=record.dialog_at,
    )


@router.get(PERIODS, summary="Evaluasi kinerja periodik", **guard(Rule("appraisal", READERS)))
async def periods(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> list[PeriodShown]:
    found = await run_in_threadpool(periodic.periods_of, svc.uow_factory, principal, cycle_id, nip)
    return [_shown(record) for record in found]


async def _take(
    svc: Svc,
    principal: CurrentPrincipal,
    cycle_id: str,
    nip: str,
    number: int,
    body: PeriodRealisationBody | DialogBody,
    idempotency_key: str | None,
) -> PeriodShown:
    prepared = await run_in_threadpool(
        partial(
            periodic.prepare,
            svc.uow_factory,
            principal,
            cycle_id=cycle_id,
            nip=nip,
            number=number,
            body=body,
            idempotency_key=idempotency_key,
        )
    )
    state = await periodic.send(await svc.temporal.client(), prepared)
    record = state.current if state.current is not None and state.current.number == number else None
    record = record or next(p for p in state.done if p.number == number)
    return _shown(record)


@router.get(
    PERIODS + "/{number}/evaluation-document",
    summary="Dokumen evaluasi kinerja satu periode (PDF), setelah dialog kinerjanya",
    response_class=Response,
    **guard(Rule("appraisal", READERS), {200: {"content": {"application/pdf": {}}, "description": "berkas PDF"}}),
)
async def period_document(cycle_id: str, nip: str, number: Number, principal: CurrentPrincipal, svc: Svc) -> Response:
    return await period_pdf_response(svc, principal, cycle_id, nip, number)


@router.post(
    PERIODS + "/{number}/realisation",
    summary="Catat realisasi periode (pegawai)",
    **guard(Rule("appraisal", (Role.PEGAWAI,), acts=True)),
)
async def record_realisation(
    cycle_id: str,
    nip: str,
    number: Number,
    body: PeriodRealisationBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> PeriodShown:
    return await _take(svc, principal, cycle_id, nip, number, body, idempotency_key)


@router.post(
    PERIODS + "/{number}/dialog",
    summary="Catat dialog kinerja periode: umpan balik dan rating (pejabat penilai)",
    **guard(Rule("appraisal", (Role.PENILAI,), acts=True)),
)
async def hold_dialog(
    cycle_id: str,
    nip: str,
    number: Number,
    body: DialogBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> PeriodShown:
    return await _take(svc, principal, cycle_id, nip, number, body, idempotency_key)
