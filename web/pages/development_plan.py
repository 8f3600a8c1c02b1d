"""The development plan's steps as forms on the appraisal's page (`/penilaian/{cycle}/{nip}`, section
`#rencana-pengembangan`): the pejabat penilai sends the plan (`rencana`), the employee agrees to it
(`rencana/setuju`) or asks for a change with a reason (`rencana/ubah`), and the supervision team gives it another
penilai (`rencana/alihkan`). Each goes through services.development_plans
as the API's; a refusal comes back as the same page with the message beside the field it names and what was typed
kept; someone who may not see the appraisal is told it does not exist.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from domain.development import PlanAction
from domain.errors import DomainError
from domain.nip import NIP_LENGTH
from services import development_plans
from services.development_plans import AgreeBody, ChangeBody, PlanBody, ReassignPlanBody
from web.deps import Svc
from web.pages.access import page, signed_in
from web.pages.appraisal import show
from web.pages.appraisal_steps import REFUSALS, refused
from web.pages.deps import FormUser, base_path
from web.pages.skp_form import text_values

router = APIRouter()
PLAN_FIELDS = frozenset(
    {"bimbingan", "kompetensi", "pelatihan", "tanggal_target", "alasan", "penilai_nip", "atasan_nip"}
)
PATH = "/penilaian/{cycle_id}/{nip}/rencana"


@router.post(PATH, response_class=HTMLResponse, **page(signed_in()))
async def send_plan(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    form = text_values(await request.form())
    return await _take(request, user, svc, cycle_id, nip, PlanAction.SEND, form)


@router.post(PATH + "/setuju", response_class=HTMLResponse, **page(signed_in()))
async def agree_plan(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    form = text_values(await request.form())
    return await _take(request, user, svc, cycle_id, nip, PlanAction.AGREE, form)


@router.post(PATH + "/ubah", response_class=HTMLResponse, **page(signed_in()))
async def ask_change(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    form = text_values(await request.form())
    return await _take(request, user, svc, cycle_id, nip, PlanAction.ASK_CHANGE, form)


@router.post(PATH + "/alihkan", response_class=HTMLResponse, **page(signed_in()))
async def reassign_plan(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    form = text_values(await request.form())
    return await _take(request, user, svc, cycle_id, nip, PlanAction.REASSIGN, form)


async def _take(
    request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str, action: PlanAction, form: dict[str, str]
) -> Response:
    try:
        prepared = await run_in_threadpool(
            partial(
                development_plans.prepare,
                svc.uow_factory,
                user.principal,
                cycle_id=cycle_id,
                nip=nip,
                action=action,
                body=_body(action, form),
                idempotency_key=form.get("kunci") or None,
                today=await run_in_threadpool(development_plans.today_in_cycle, svc.uow_factory, cycle_id, svc.clock()),
            )
        )
        await development_plans.send(await svc.temporal.client(), prepared)
    except (*REFUSALS, ValidationError) as error:
        errors = refused(error, PLAN_FIELDS)
        return await show(request, user, svc, cycle_id, nip, plan_form=form, plan_errors=errors)
    return RedirectResponse(f"{base_path(cycle_id, nip)}?pesan=rencana#rencana-pengembangan", status_code=303)


def _body(action: PlanAction, form: dict[str, str]) -> development_plans.Body:
    """The form as the API's body (pydantic's ValidationError names a field beyond its bounds)."""
    if action is PlanAction.AGREE:
        return AgreeBody()
    if action is PlanAction.ASK_CHANGE:
        return ChangeBody(alasan=form.get("alasan", ""))
    if action is PlanAction.REASSIGN:
        penilai, atasan = form.get("penilai_nip", "").strip(), form.get("atasan_nip", "").strip() or None
        for field, nip in (("penilai_nip", penilai), ("atasan_nip", atasan)):
            if nip is not None and not (len(nip) == NIP_LENGTH and nip.isascii() and nip.isdigit()):
                raise DomainError(f"NIP terdiri atas {NIP_LENGTH} angka", field=field)  # beside its field
        return ReassignPlanBody(penilai=penilai, atasan=atasan, alasan=form.get("alasan", ""))
    target = _day(form.get("tanggal_target", "").strip())
    if target is None:
        raise DomainError("isi tanggal (contoh: 30-06-2027 atau 2027-06-30)", field="tanggal_target")
    return PlanBody(
        bimbingan=form.get("bimbingan", ""),
        kompetensi=form.get("kompetensi", ""),
        pelatihan=form.get("pelatihan") or None,
        tanggal_target=target,
    )


def _day(typed: str) -> date | None:
    """A date as a date field sends it (2027-06-30) or as a person types it where the browser shows a text box
    (30-06-2027, or with / or .); None when it is neither."""
    parts = typed.replace("/", "-").replace(".", "-").split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    year, month, day = (parts[0], parts[1], parts[2]) if len(parts[0]) == 4 else (parts[2], parts[1], parts[0])
    try:
        return date(int(year), int(month), int(day)) if len(year) == 4 else None
    except ValueError:
        return None
