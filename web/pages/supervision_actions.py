"""One appraisal's supervision page (`/penilaian/{cycle}/{nip}/tindakan`, tim pengawasan and pengelola kinerja): its
timeline, and the forms of what this person may do to it now — extend the deadline (a date and time in the cycle's
zone), reassign the pejabat penilai (and atasan), take over the employee's current step on their behalf, withdraw
the employee from the cycle (pengelola kinerja only) — each with its reason.

Every form is a step of services.steps (`deadline`, `reviewer`, `skp-submit`/`acknowledge` taken over,
`withdrawal`) sent through prepare_step and send_step as the API sends it; the workflow's validator has the last
word. A refusal comes back as the page with the message beside the field it names and what was typed kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from domain.access import acting_role, roles_on
from domain.errors import DomainError
from domain.stages import Role, Step
from domain.withdrawal import WithdrawalCause
from services import history, steps
from services.appraisal_view import names_and_zone, people_in
from services.steps import AcknowledgeBody, ExtendBody, ReassignBody, SubmitSkpBody, WithdrawBody
from services.supervision import SUPERVISORS
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, base_path, render
from web.pages.supervision_forms import day_of, deadline, idempotency_key, optional, refused, text_values
from workflows.contracts import AppraisalState

router = APIRouter()
PATH = "/penilaian/{cycle_id}/{nip}/tindakan"
PAGE = "pages/tindakan.html"
NOT_FORM = (401, 403, 404)
REFUSALS = (
    DomainError,
    ValidationError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    RPCError,
)
# The employee's step a take-over sends at each step (self-assessment is taken over on the realisasi page, where the
# realisations are typed).
TAKE_OVER_STEPS = {
    Step.SKP_DRAFTING: "skp-submit",
    Step.SELF_ASSESSMENT: "self-assessment",
    Step.OBJECTION_WINDOW: "acknowledge",
}
TAKEN_HERE = {"skp-submit", "acknowledge"}
CAUSES = [(cause.value, cause.label) for cause in WithdrawalCause]


@router.get(PATH, response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def actions(request: Request, user: PageUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    return await _show(request, user, svc, cycle_id, nip)


@router.post(PATH + "/perpanjang", response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def extend(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    def body(form: dict[str, str], zone: int | None) -> BaseModel:
        return ExtendBody(sampai=deadline(form.get("tanggal", ""), form.get("jam", ""), zone), alasan=form["alasan"])

    return await _take(request, user, svc, cycle_id, nip, "perpanjang", "deadline", body)


@router.post(PATH + "/alihkan", response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def reassign(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    def body(form: dict[str, str], _zone: int | None) -> BaseModel:
        return ReassignBody(
            penilai=form.get("penilai", ""), atasan=optional(form.get("atasan")), alasan=form.get("alasan", "")
        )

    return await _take(request, user, svc, cycle_id, nip, "alihkan", "reviewer", body)


@router.post(PATH + "/ambil-alih", response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def take_over(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """The employee's step the page offered (`langkah`), on their behalf: if the appraisal moved on meanwhile, the
    workflow refuses it at its new step rather than taking another."""
    chosen = text_values(await request.form(), "ambil-").get("langkah", "")
    if chosen not in TAKEN_HERE:
        chosen = "skp-submit"

    def body(form: dict[str, str], _zone: int | None) -> BaseModel:
        reason = form.get("alasan") or None
        return SubmitSkpBody(alasan=reason) if chosen == "skp-submit" else AcknowledgeBody(alasan=reason)

    return await _take(request, user, svc, cycle_id, nip, "ambil", chosen, body)


@router.post(PATH + "/tarik", response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def withdraw(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    def body(form: dict[str, str], _zone: int | None) -> BaseModel:
        return WithdrawBody.model_validate(
            {"sebab": form.get("sebab", ""), "tmt": day_of(form.get("tmt", "")), "alasan": form.get("alasan", "")}
        )

    return await _take(request, user, svc, cycle_id, nip, "tarik", "withdrawal", body)


FIELDS = {
    "perpanjang": {"tanggal", "jam", "alasan"},
    "alihkan": {"penilai", "atasan", "alasan"},
    "ambil": {"alasan"},
    "tarik": {"sebab", "tmt", "alasan"},
}


async def _take(
    request: Request,
    user: Caller,
    svc: Svc,
    cycle_id: str,
    nip: str,
    form_name: str,
    step_name: str,
    build: Callable[[dict[str, str], int | None], BaseModel],
) -> Response:
    """Send the step `step_name` built from the form `form_name`'s fields; the page again on a refusal."""
    form = text_values(await request.form(), f"{form_name}-")
    kind = steps.STEP_BY_NAME[step_name]
    try:
        await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
        zone = await run_in_threadpool(_zone_of, svc, cycle_id)
        prepared = await run_in_threadpool(
            partial(
                steps.prepare_step,
                svc.uow_factory,
                user.principal,
                cycle_id=cycle_id,
                nip=nip,
                kind=kind,
                body=build(form, zone),
                idempotency_key=idempotency_key(form.get("kunci")),
            )
        )
        await steps.send_step(await svc.temporal.client(), prepared)
    except REFUSALS as error:
        errors = refused(error, f"{form_name}-", FIELDS[form_name])
        if errors.status in NOT_FORM:
            raise
        if errors.status != 504:  # unanswered: sent again with the same key it is the same step, recorded once
            form.pop("kunci", None)
        return await _show(
            request, user, svc, cycle_id, nip, forms={form_name: form}, errors={form_name: errors}, status=errors.status
        )
    return RedirectResponse(f"{base_path(cycle_id, nip)}/tindakan?pesan=terkirim", status_code=303)


def _zone_of(svc: Svc, cycle_id: str) -> int | None:
    with svc.uow_factory() as uow:
        cycle = uow.cycles.get(cycle_id)
    return cycle.deadlines.utc_offset_hours if cycle is not None else None


def offered(state: AppraisalState, roles: set[Role]) -> dict[str, Any]:
    """Which forms this person may use now, by their roles on the appraisal (services.steps.STEPS) and its step;
    the workflow's validator still decides."""

    def may(name: str) -> bool:
        return acting_role(roles, steps.STEP_BY_NAME[name].roles) is not None

    open_now = not state.step.closed
    take_over = TAKE_OVER_STEPS.get(state.step)
    return {
        "perpanjang": open_now
        and state.deadline is not None
        and state.step is not Step.OBJECTION_WINDOW
        and may("deadline"),
        "alihkan": open_now and may("reviewer"),
        # An employee on the supervision team acts on their own appraisal as pegawai, never on their own behalf.
        "ambil": take_over
        if take_over is not None and acting_role(roles, steps.STEP_BY_NAME[take_over].roles) in SUPERVISORS
        else None,
        "tarik": open_now and may("withdrawal"),
    }


async def _show(
    request: Request,
    user: Caller,
    svc: Svc,
    cycle_id: str,
    nip: str,
    *,
    forms: dict[str, dict[str, str]] | None = None,
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
) -> Response:
    parties, _period = await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    names, zone = await run_in_threadpool(names_and_zone, svc.uow_factory, cycle_id, people_in(state))
    shown = {"perpanjang": {"jam": "23:59"}, "alihkan": {}, "ambil": {}, "tarik": {}}
    for name, values in (forms or {}).items():
        shown[name] = values
    for values in shown.values():
        values["kunci"] = values.get("kunci") or uuid.uuid4().hex
    context = {
        "state": state,
        "names": names,
        "zone": zone,
        "base": base_path(cycle_id, nip),
        "offer": offered(state, roles_on(user.principal, parties)),
        "entries": list(reversed(history.timeline(state, [], names))),
        "forms": shown,
        "form_errors": {name: (errors or {}).get(name, FormErrors()) for name in shown},
        "causes": CAUSES,
    }
    return render(request, PAGE, context, user=user, status=status)
