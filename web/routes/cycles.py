"""An instansi's appraisal cycle: HR starts it, the leader calibrates, the supervision team follows up what is late.

- `POST /instansi/{code}/cycles`: start (admin kepegawaian); the officials come from the instansi's role grants;
- `GET /cycles/{id}`: its state; `GET /cycles/{id}/report`: the report (so far);
- `POST /cycles/{id}/calibration/proposal|decision`: the pimpinan sets the organisation predicate, then decides;
- `POST /cycles/{id}/calendar`: the admin kepegawaian has its deadlines in hari kerja counted again on the instansi's
  working days as they are now (a new cuti bersama), for every running appraisal;
- `GET /cycles/{id}/overdue`, `POST /cycles/{id}/bulk/extend|reassign|follow-roster`: the supervision team's queue
  and actions.

Who acts is the signed-in person; an `Idempotency-Key` header makes a retried change safe.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, status
from starlette.concurrency import run_in_threadpool

from domain.bounds import MAX_LIST_ITEMS
from domain.stages import Role, Stage
from services import bulk, calendar_change, cycle_actions, cycle_report, cycle_start, overdue
from services.actors import Acting
from services.bulk import BulkResult, ExtendManyBody, FollowRosterBody, ReassignManyBody
from services.calendar_change import CalendarBody
from services.cycle_actions import DecisionBody, ProposalBody
from services.cycle_report import CycleReportView
from services.cycle_start import StartBody, Started
from services.overdue import StepList
from services.steps import MAX_IDEMPOTENCY_KEY, keyed_update_id
from web.access import Rule
from web.deps import CurrentPrincipal, Svc, guard
from workflows.calendar_contracts import CalendarChanged
from workflows.cycle_contracts import CycleState

router = APIRouter(tags=["siklus"])
CycleId = Annotated[str, Path(min_length=1, max_length=64)]
InstansiCode = Annotated[str, Path(min_length=1, max_length=32)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=MAX_IDEMPOTENCY_KEY,
        description="kunci dari pengirim: kirim ulang dengan kunci yang sama bila jawaban tidak sampai",
    ),
]
READERS = (Role.PIMPINAN, Role.PENGAWASAN, Role.PENGELOLA_KINERJA, Role.ADMIN_KEPEGAWAIAN, Role.OPERATOR)
REPORT_READERS = (Role.PIMPINAN, Role.PENGELOLA_KINERJA, Role.ADMIN_KEPEGAWAIAN)
SUPERVISORS = (Role.PENGAWASAN, Role.PENGELOLA_KINERJA)


@router.post(
    "/instansi/{instansi_code}/cycles",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Mulai siklus: setiap pegawai aktif mendapat penilaian kinerjanya (aman diulang)",
    **guard(Rule("instansi", (Role.ADMIN_KEPEGAWAIAN,), acts=True)),
)
async def start_cycle(instansi_code: InstansiCode, body: StartBody, principal: CurrentPrincipal, svc: Svc) -> Started:
    return await cycle_start.start_from_grants(
        await svc.temporal.client(),
        svc.uow_factory,
        body.order(instansi_code),
        task_queue=svc.settings.temporal.task_queue,
        by=Acting(principal.nip, Role.ADMIN_KEPEGAWAIAN),
        now=svc.clock(),
    )


@router.get("/cycles/{cycle_id}", summary="Keadaan siklus", **guard(Rule("cycle", READERS)))
async def cycle_state(cycle_id: CycleId, svc: Svc) -> CycleState:
    return await cycle_actions.state(await svc.temporal.client(), cycle_id)


@router.post(
    "/cycles/{cycle_id}/calibration/proposal",
    summary="Tetapkan predikat organisasi: periksa pola distribusi dan simpan usulan kalibrasi",
    **guard(Rule("cycle", (Role.PIMPINAN,), acts=True)),
)
async def propose_calibration(
    cycle_id: CycleId,
    body: ProposalBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> CycleState:
    client = await svc.temporal.client()
    return await cycle_actions.propose(client, cycle_id, principal.nip, body, idempotency_key)


@router.post(
    "/cycles/{cycle_id}/calibration/decision",
    summary="Putuskan kalibrasi: terima atau tolak usulan; hasilnya dikunci dan dikirim ke setiap penilaian",
    **guard(Rule("cycle", (Role.PIMPINAN,), acts=True)),
)
async def decide_calibration(
    cycle_id: CycleId,
    body: DecisionBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> CycleState:
    client = await svc.temporal.client()
    return await cycle_actions.decide(client, cycle_id, principal.nip, body, idempotency_key)


@router.get(
    "/cycles/{cycle_id}/report",
    summary="Laporan siklus: predikat dan IKM per unit, predikat setiap pegawai, yang ditarik",
    **guard(Rule("cycle", REPORT_READERS)),
)
async def report(
    cycle_id: CycleId,
    svc: Svc,
    mulai: Annotated[int, Query(ge=0, le=10_000_000, description="pegawai ke berapa daftar dimulai")] = 0,
    batas: Annotated[int, Query(ge=1, le=5000, description="paling banyak sekian pegawai")] = 1000,
) -> CycleReportView:
    client = await svc.temporal.client()
    return await cycle_report.of_cycle(client, svc.uow_factory, cycle_id, offset=mulai, limit=batas)


@router.get(
    "/cycles/{cycle_id}/overdue",
    summary="Langkah yang melewati batas waktu dan sudah dieskalasi",
    **guard(Rule("cycle", SUPERVISORS)),
)
async def overdue_steps(
    cycle_id: CycleId,
    svc: Svc,
    unit: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    tahap: Stage | None = None,
    terlambat_sejak: Annotated[
        str | None, Query(max_length=40, pattern=r"^P[0-9A-Z.,]*$", description="mis. P3D, P2W, PT12H")
    ] = None,
    batas: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> StepList:
    return await run_in_threadpool(
        overdue.of_cycle,
        svc.uow_factory,
        cycle_id,
        unit=unit,
        stage=tahap,
        age=terlambat_sejak,
        now=svc.clock(),
        limit=batas,
    )


@router.post(
    "/cycles/{cycle_id}/calendar",
    summary="Hitung ulang batas waktu dalam hari kerja menurut hari kerja instansi sekarang (libur baru)",
    **guard(Rule("cycle", (Role.ADMIN_KEPEGAWAIAN,), acts=True)),
)
async def count_calendar_again(
    cycle_id: CycleId,
    body: CalendarBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> CalendarChanged:
    update_id = keyed_update_id(principal, "calendar", cycle_id, "", idempotency_key) if idempotency_key else None
    client = await svc.temporal.client()
    return await calendar_change.count_again(
        client, svc.uow_factory, cycle_id, principal.nip, reason=body.alasan, update_id=update_id
    )


@router.post(
    "/cycles/{cycle_id}/bulk/extend",
    summary=f"Perpanjang batas waktu langkah yang terlambat (paling banyak {MAX_LIST_ITEMS} sekaligus)",
    **guard(Rule("cycle", SUPERVISORS, acts=True)),
)
async def bulk_extend(
    cycle_id: CycleId,
    body: ExtendManyBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> BulkResult:
    client = await svc.temporal.client()
    return await bulk.extend(client, svc.uow_factory, principal, cycle_id, body, key=idempotency_key, now=svc.clock())


@router.post(
    "/cycles/{cycle_id}/bulk/reassign",
    summary=f"Alihkan semua penilaian seorang pejabat penilai (paling banyak {MAX_LIST_ITEMS} sekaligus)",
    **guard(Rule("cycle", SUPERVISORS, acts=True)),
)
async def bulk_reassign(
    cycle_id: CycleId,
    body: ReassignManyBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> BulkResult:
    client = await svc.temporal.client()
    return await bulk.reassign(client, svc.uow_factory, principal, cycle_id, body, key=idempotency_key)


@router.post(
    "/cycles/{cycle_id}/bulk/follow-roster",
    summary="Alihkan penilaian berjalan kepada pejabat penilai dan atasan yang kini disebut roster (mutasi)",
    **guard(Rule("cycle", SUPERVISORS, acts=True)),
)
async def bulk_follow_roster(
    cycle_id: CycleId,
    body: FollowRosterBody,
    principal: CurrentPrincipal,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> BulkResult:
    client = await svc.temporal.client()
    today = svc.clock().date()
    return await bulk.follow_roster(
        client, svc.uow_factory, principal, cycle_id, body, key=idempotency_key, today=today
    )
