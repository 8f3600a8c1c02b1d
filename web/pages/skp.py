"""The SKP of one appraisal (`/penilaian/{cycle}/{nip}/skp`): read by whoever may see the appraisal; drafted by the
employee (or taken over, with a reason, by the supervision team or a pengelola kinerja) while the appraisal is at SKP
drafting, including after the pejabat penilai returned it; submitted (`skp-submit`), then approved (`skp-approve`) or
returned with a note (`skp-return`) by the pejabat penilai. During the year the same editor proposes a new version
(`skp-change`, at the self-assessment: a new position, a reorganisation; domain.skp_versions), which the pejabat penilai
approves or returns the same way; the versions it replaced are listed with their days.

The draft is stored through services.skp_drafts, by the SKP import's rules; the steps go through
services.steps.prepare_step and send_step, as the API's. A refusal comes back as the same page with the message
beside the field it names and what was typed kept.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from domain.access import acting_role, roles_on
from domain.errors import DomainError
from domain.skp import Aspect, Polarity, RhkKind
from domain.stages import Step
from importing.values import validation_messages
from services import skp_drafts, steps
from services.skp_drafts import DraftView
from services.skp_edit import BEHAVIOURS, DraftRefused, SkpDraft, draft_of, fresh_rows, shown_number
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.appraisal_steps import take_step
from web.pages.deps import FormErrors, FormUser, PageUser, base_path, render
from web.pages.skp_form import blank_rhk, draft_from_form, text_values, with_row_added, with_row_removed
from workflows.contracts import AppraisalState

router = APIRouter()
PATH = "/penilaian/{cycle_id}/{nip}/skp"
PAGE = "pages/skp.html"
FORM = "pages/skp_form.html"
KINDS = [(RhkKind.UTAMA.value, "Utama"), (RhkKind.TAMBAHAN.value, "Tambahan")]
ASPECTS = [(aspect.value, aspect.value.capitalize()) for aspect in Aspect]
POLARITIES = [
    (Polarity.HIGHER_IS_BETTER.value, "Maksimal (semakin tinggi semakin baik)"),
    (Polarity.LOWER_IS_BETTER.value, "Minimal (semakin rendah semakin baik)"),
    (Polarity.RANGE.value, "Rentang (antara target dan target atas)"),
]
# A refused step is shown beside these fields; any other refusal above the form.
STEP_FIELDS = {"alasan", "catatan"}
CHANGE_FIELDS = {"alasan", "berlaku_sejak"}
# Refusals that are not about what was typed: the error page says them (the person may not see or do this).
NOT_FORM = (401, 403, 404)
REVIEWED = (Step.SKP_APPROVAL, Step.SKP_CHANGE_APPROVAL)  # the pejabat penilai approves or returns the SKP, or a change
REFUSALS = (DomainError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError)


@router.get(PATH, response_class=HTMLResponse, **page(signed_in()))
async def skp_page(request: Request, user: PageUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    view = await run_in_threadpool(skp_drafts.draft_view, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    return _show(request, user, view, state)


@router.post(PATH, response_class=HTMLResponse, **page(signed_in()))
async def save_draft(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """Save the draft; or, with `tambah`/`hapus`, show the form again with a row added or removed (nothing stored)."""
    form = text_values(await request.form())
    draft = draft_from_form(form)
    if "tambah" in form or "hapus" in form:
        draft = with_row_added(draft, form["tambah"]) if "tambah" in form else with_row_removed(draft, form["hapus"])
        view = await run_in_threadpool(skp_drafts.draft_view, svc.uow_factory, user.principal, cycle_id, nip)
        state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
        return _show(request, user, view, state, draft=draft, form=form, changed=True, fragment=FORM)
    try:
        await run_in_threadpool(
            partial(
                skp_drafts.save_draft,
                svc.uow_factory,
                user.principal,
                cycle_id,
                nip,
                draft.compact(),
                version=_version(form.get("versi", "")),
                reason=form.get("alasan") or None,
                now=svc.clock(),
            )
        )
    except DomainError as refused:
        errors = _draft_errors(refused)
        if errors.status in NOT_FORM:
            raise
        # The rows are shown as they were checked (empty ones left out), so each message is beside its own field.
        shown = draft.compact() if isinstance(refused, DraftRefused) else draft
        view = await run_in_threadpool(skp_drafts.draft_view, svc.uow_factory, user.principal, cycle_id, nip)
        state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
        return _show(request, user, view, state, draft=shown, form=form, errors=errors, status=errors.status)
    return RedirectResponse(f"{base_path(cycle_id, nip)}/skp?pesan=skp-tersimpan", status_code=303)


@router.post(PATH + "/ubah", response_class=HTMLResponse, **page(signed_in()))
async def propose_change(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """Propose a new version of the SKP (step `skp-change`); or, with `tambah`/`hapus`, show the form again with a
    row added or removed (nothing sent)."""
    form = text_values(await request.form())
    draft = draft_from_form(form)
    if "tambah" in form or "hapus" in form:
        draft = with_row_added(draft, form["tambah"]) if "tambah" in form else with_row_removed(draft, form["hapus"])
        return await _again(request, user, svc, cycle_id, nip, draft, form, changed=True, fragment=FORM)
    body = {"berlaku_sejak": form.get("berlaku_sejak") or None, "alasan": form.get("alasan", ""), "skp": draft}
    try:
        await take_step(svc, user, cycle_id, nip, "skp-change", body, form.get("kunci"))
    except ValidationError as invalid:
        errors = FormErrors(fields=dict(validation_messages(invalid)))
        return await _again(request, user, svc, cycle_id, nip, draft, form, errors=errors)
    except REFUSALS as refused:
        errors = _draft_errors(refused, CHANGE_FIELDS)
        if errors.status in NOT_FORM:
            raise
        shown = draft.compact() if isinstance(refused, DraftRefused) else draft
        return await _again(request, user, svc, cycle_id, nip, shown, form, errors=errors)
    return RedirectResponse(f"{base_path(cycle_id, nip)}/skp?pesan=perubahan-diajukan", status_code=303)


async def _again(
    request: Request,
    user: Caller,
    svc: Svc,
    cycle_id: str,
    nip: str,
    draft: SkpDraft,
    form: dict[str, str],
    *,
    errors: FormErrors | None = None,
    changed: bool = False,
    fragment: str | None = None,
) -> Response:
    """The page again with the change's form as typed (and its refusals beside their fields)."""
    view = await run_in_threadpool(skp_drafts.draft_view, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    status = errors.status if errors is not None else 200
    return _show(
        request,
        user,
        view,
        state,
        draft=draft,
        form=form,
        errors=errors,
        changed=changed,
        status=status,
        fragment=fragment,
    )


@router.post(PATH + "/ajukan", response_class=HTMLResponse, **page(signed_in()))
async def submit(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    return await _step(request, user, svc, cycle_id, nip, "skp-submit", "alasan")


@router.post(PATH + "/setujui", response_class=HTMLResponse, **page(signed_in()))
async def approve(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    return await _step(request, user, svc, cycle_id, nip, "skp-approve", "catatan")


@router.post(PATH + "/kembalikan", response_class=HTMLResponse, **page(signed_in()))
async def give_back(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    return await _step(request, user, svc, cycle_id, nip, "skp-return", "catatan")


async def _step(request: Request, user: Caller, svc: Svc, cycle_id: str, nip: str, name: str, field: str) -> Response:
    """Take the step `name` with the form's one text field (`alasan` or `catatan`), as the API takes it."""
    form = text_values(await request.form())
    text = form.get(field, "")
    body = {field: text or None} if field == "alasan" else {field: text}
    try:
        await take_step(svc, user, cycle_id, nip, name, body, form.get("kunci"))
    except ValidationError as invalid:
        errors = FormErrors(fields=dict(validation_messages(invalid)))
        return await _refused(request, user, svc, cycle_id, nip, form, errors, name)
    except REFUSALS as refused:
        errors = FormErrors.of(refused, STEP_FIELDS)
        if errors.status in NOT_FORM:
            raise
        return await _refused(request, user, svc, cycle_id, nip, form, errors, name)
    return RedirectResponse(f"{base_path(cycle_id, nip)}/skp?pesan=terkirim", status_code=303)


async def _refused(
    request: Request,
    user: Caller,
    svc: Svc,
    cycle_id: str,
    nip: str,
    form: dict[str, str],
    errors: FormErrors,
    step: str,
) -> Response:
    view = await run_in_threadpool(skp_drafts.draft_view, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    return _show(
        request, user, view, state, step_form=form, step_errors=errors, refused_step=step, status=errors.status
    )


def _show(
    request: Request,
    user: Caller,
    view: DraftView,
    state: AppraisalState,
    *,
    draft: SkpDraft | None = None,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    changed: bool = False,
    step_form: dict[str, str] | None = None,
    step_errors: FormErrors | None = None,
    refused_step: str = "",
    status: int = 200,
    fragment: str | None = None,
) -> HTMLResponse:
    roles = roles_on(user.principal, view.parties)
    stored = view.record.skp if view.record is not None else None
    may = {
        name: view.step in at and acting_role(roles, steps.STEP_BY_NAME[name].roles) is not None
        for name, at in (
            ("skp-submit", (Step.SKP_DRAFTING,)),
            ("skp-approve", REVIEWED),
            ("skp-return", REVIEWED),
            ("skp-change", (Step.SELF_ASSESSMENT,)),
        )
    }
    may_change = may["skp-change"] and state.skp is not None
    if draft is None:
        if may_change and state.skp is not None:
            draft = fresh_rows(draft_of(state.skp))  # the version in force as a start, its rows given new ids
        else:
            draft = draft_of(stored) if stored is not None else SkpDraft(rhk=[blank_rhk()])
    proposal = state.skp_change if view.step is Step.SKP_CHANGE_APPROVAL else None
    in_force = state.skp if view.step is not Step.SKP_DRAFTING and state.skp is not None else stored
    context: dict[str, Any] = {
        "view": view,
        "state": state,
        "stored": stored,
        "shown_skp": proposal.skp if proposal is not None else in_force,
        "proposal": proposal,
        "in_force": in_force,
        "draft": draft,
        "base": base_path(view.parties.cycle_id, view.parties.employee_nip),
        "zone": view.utc_offset_hours,
        "version": view.record.version if view.record is not None and view.record.version is not None else "",
        "may_submit": may["skp-submit"] and stored is not None,
        "may_review": may["skp-approve"] or may["skp-return"],
        "may_change": may_change,
        "change_returned": view.step is Step.SELF_ASSESSMENT and state.skp_change_returned,
        "change_open": may_change and (changed or errors is not None),
        "behaviours": BEHAVIOURS,
        "number": shown_number,
        "kinds": KINDS,
        "aspects": ASPECTS,
        "polarities": POLARITIES,
        "form": form or {},
        "changed": changed,
        "step_form": step_form or {},
        "step_errors": step_errors or FormErrors(),
        "refused_step": refused_step,
        "key": uuid.uuid4().hex,  # a step sent twice from this page (a double click, a reload) is taken once
    }
    if errors is not None:
        context["errors"] = errors
    return render(request, PAGE, context, user=user, status=status, fragment=fragment)


def _version(text: str) -> int | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    if not cleaned.isdigit() or len(cleaned) > 12:
        raise DomainError("versi formulir tidak sah; muat ulang halaman", field="versi")
    return int(cleaned)


def _draft_errors(refused: Exception, fields: set[str] | None = None) -> FormErrors:
    if not isinstance(refused, DraftRefused):
        return FormErrors.of(refused, fields or {"alasan"})
    errors = FormErrors(status=422)
    for where, message in refused.problems:
        if where is None:
            errors.general = message if errors.general is None else f"{errors.general}; {message}"
        else:
            errors.fields.setdefault(where, message)
    count = len(refused.problems)
    summary = f"SKP belum disimpan: {count} isian perlu diperbaiki (pesannya di samping isian)."
    errors.general = summary if errors.general is None else f"{summary} {errors.general}"
    return errors
