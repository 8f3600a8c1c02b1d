"""The pejabat penilai's review (`/penilaian/{cycle}/{nip}/nilai`): each indicator's realisation, evidence and capaian,
the suggested hasil-kerja rating the workflow computed from them (AppraisalState.suggestion) with its reasons, the
unit's IKM (services.surveys.unit_survey), and the form: hasil kerja (the suggestion chosen to begin with), perilaku
kerja, the reason an override needs, feedback. The 3×3 matrix (the cycle's policy, domain.ratings) is drawn as a
table with the predicate of the chosen pair marked: htmx asks `nilai/matriks` as the choices change, a browser without
JavaScript shows it after "Lihat predikat". "Kirim penilaian" sends the step `review`; the workflow refuses an
override without its reason, which comes back beside its field with everything chosen and typed kept.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from domain.ratings import Expectation
from services import evidence, feedback, periodic, steps, surveys
from services.step_views import expectation_or_none, policy_of, predicate_matrix, year_rows
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.appraisal_steps import REFUSALS, Loaded, evidence_context, load, refused, take_step
from web.pages.deps import FormErrors, FormUser, PageUser, base_path, render
from web.pages.skp_form import text_values

router = APIRouter()
PATH = "/penilaian/{cycle_id}/{nip}/nilai"
PAGE = "pages/nilai.html"
MATRIX = "pages/nilai_matriks.html"
STEP = "review"
FIELDS = ("hasil_kerja", "perilaku", "alasan", "umpan_balik")
RATINGS = [(e.value, e.label) for e in Expectation]


@router.get(PATH, response_class=HTMLResponse, **page(signed_in()))
async def review_page(request: Request, user: PageUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    found = await load(svc, user, cycle_id, nip)
    return await _show(request, user, svc, found)


@router.post(PATH, response_class=HTMLResponse, **page(signed_in()))
async def submit(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """With `aksi=kirim`, send the review; otherwise show the page again with the predicate of the chosen pair."""
    form = text_values(await request.form())
    chosen = {name: form.get(name, "") for name in FIELDS}
    if form.get("aksi") != "kirim":
        found = await load(svc, user, cycle_id, nip)
        return await _show(request, user, svc, found, form=chosen)
    body: dict[str, Any] = {**chosen, "alasan": chosen["alasan"] or None}
    for rating in ("hasil_kerja", "perilaku"):
        if not body[rating]:
            del body[rating]  # none chosen: refused as missing, beside its field
    try:
        await take_step(svc, user, cycle_id, nip, STEP, body, form.get("kunci"))
    except (ValidationError, *REFUSALS) as error:
        errors = refused(error, FIELDS)
        found = await load(svc, user, cycle_id, nip)
        return await _show(request, user, svc, found, form=chosen, errors=errors)
    return RedirectResponse(f"{base_path(cycle_id, nip)}/nilai?pesan=terkirim", status_code=303)


@router.post(PATH + "/matriks", response_class=HTMLResponse, **page(signed_in()))
async def matrix(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """The matrix with the chosen pair marked (htmx, as the choices change): the fragment that replaces it."""
    form = text_values(await request.form())
    parties, _period = await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    policy = await run_in_threadpool(policy_of, svc.uow_factory, cycle_id, parties.instansi_code)
    hasil, perilaku = expectation_or_none(form.get("hasil_kerja")), expectation_or_none(form.get("perilaku"))
    context = {
        "matrix": predicate_matrix(policy, hasil, perilaku),
        "suggested": state.suggestion.rating if state.suggestion else None,
    }
    return render(request, MATRIX, context, user=user)


async def _show(
    request: Request,
    user: Caller,
    svc: Svc,
    found: Loaded,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    state, parties = found.state, found.parties
    policy = await run_in_threadpool(policy_of, svc.uow_factory, parties.cycle_id, parties.instansi_code)
    files = await run_in_threadpool(evidence.files_of, svc.uow_factory, parties.cycle_id, state.employee_nip)
    notes = await run_in_threadpool(feedback.notes_of, svc.uow_factory, parties.cycle_id, state.employee_nip)
    periods = await run_in_threadpool(periodic.records_of, svc.uow_factory, parties.cycle_id, state.employee_nip)
    survey = await run_in_threadpool(
        lambda: surveys.unit_survey(svc.uow_factory, parties.cycle_id, state.unit_code, now=svc.clock())
    )
    suggested = state.suggestion.rating if state.suggestion else None
    review = state.review
    if form is None:
        form = {"hasil_kerja": suggested.value if suggested else "", "perilaku": "", "alasan": "", "umpan_balik": ""}
    hasil: Expectation | None
    perilaku: Expectation | None
    if review is not None and not found.may(STEP):
        hasil, perilaku = review.hasil_kerja.chosen, review.perilaku
    else:
        hasil, perilaku = expectation_or_none(form.get("hasil_kerja")), expectation_or_none(form.get("perilaku"))
    context: dict[str, Any] = {
        **found.context(),
        **evidence_context(files),
        "rows": year_rows(state, recorded=True),
        "suggestion": state.suggestion,
        "suggested": suggested,
        "review": review,
        "survey": survey,
        "matrix": predicate_matrix(policy, hasil, perilaku),
        "places": policy.achievement.decimal_places,
        "may_review": found.may(STEP),
        "ratings": RATINGS,
        "form": form,
        "notes": notes,  # the year's continuous feedback, beside the realisations it is about
        "periods": periods,  # the periodic evaluation: each period's realisation so far and its dialog
    }
    if errors is not None:
        context["errors"] = errors
    return render(request, PAGE, context, user=user, status=errors.status if errors else 200)
