"""One appraisal: read it, and take its human steps as the signed-in person.

Every step is `POST /cycles/{cycle_id}/appraisals/{nip}/steps/{step}` with the step's body; the actor is whoever is
signed in, in the role they hold on this appraisal (services.steps). Send an `Idempotency-Key` header to make a retry
safe: the same key is the same Update, answered with the first result and recorded once.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Header
from starlette.concurrency import run_in_threadpool

from domain.stages import Role
from services import steps
from services.steps import STEPS, StepKind
from web.access import Rule
from web.deps import CurrentPrincipal, Svc, guard
from workflows.contracts import AppraisalState, TimelineEvent

router = APIRouter(prefix="/cycles/{cycle_id}/appraisals/{nip}", tags=["penilaian"])
READERS = (
    Role.PEGAWAI,
    Role.PENILAI,
    Role.ATASAN_PENILAI,
    Role.PIMPINAN,
    Role.PENGAWASAN,
    Role.PENGELOLA_KINERJA,
    Role.OPERATOR,
)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=steps.MAX_IDEMPOTENCY_KEY,
        description="kunci dari pengirim: kirim ulang dengan kunci yang sama bila jawaban tidak sampai",
    ),
]


@router.get("", summary="Keadaan penilaian", **guard(Rule("appraisal", READERS)))
async def appraisal(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> AppraisalState:
    await run_in_threadpool(steps.visible, svc.uow_factory, principal, cycle_id, nip)
    return await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)


@router.get("/history", summary="Riwayat langkah", **guard(Rule("appraisal", READERS)))
async def history(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> list[TimelineEvent]:
    await run_in_threadpool(steps.visible, svc.uow_factory, principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    return state.timeline


def _route(kind: StepKind) -> None:
    async def take(
        cycle_id: str,
        nip: str,
        body: Any,
        principal: CurrentPrincipal,
        svc: Svc,
        idempotency_key: IdempotencyKey = None,
    ) -> AppraisalState:
        prepared = await run_in_threadpool(
            partial(
                steps.prepare_step,
                svc.uow_factory,
                principal,
                cycle_id=cycle_id,
                nip=nip,
                kind=kind,
                body=body,
                idempotency_key=idempotency_key,
            )
        )
        return await steps.send_step(await svc.temporal.client(), prepared)

    take.__name__ = f"step_{kind.name.replace('-', '_')}"
    # This module's annotations are strings (PEP 563): give FastAPI the step's own body model to parse and document.
    take.__annotations__["body"] = kind.body
    router.post(
        f"/steps/{kind.name}",
        summary=kind.summary,
        name=take.__name__,
        **guard(Rule("appraisal", kind.roles, acts=True)),
    )(take)


for _kind in STEPS:
    _route(_kind)
