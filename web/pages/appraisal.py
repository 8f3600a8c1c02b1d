"""One appraisal's page (`/penilaian/{cycle}/{nip}`): where it stands (the workflow's state), who must act and by
when in the instansi's zone, how far an overdue step escalated, the predicate, the timeline in words, and a link to
the page of each step this person may take now.

Visible exactly as through the API (services.steps.visible): the employee, their pejabat penilai and atasan, and the
instansi's readers; anyone else is told it does not exist. The step pages live under the same path: `skp`
(web.pages.skp), `realisasi`, `nilai`, `penetapan`, `tindakan` and `riwayat`; once the result is set, the
dokumen evaluasi kinerja as PDF at `dokumen-evaluasi` (services.evaluation_document, documents.evaluation_pdf).

The page also holds the year's continuous feedback (services.feedback): the penilai's dated notes and the employee's
answers, each written from a form here (`umpan-balik`) while the appraisal runs; and, after a final predicate that
calls for one, the development plan with the forms of its steps (web.pages.development_plan); and the periodic
evaluation's periods, with the form of the step waiting on this person (web.pages.periodic).
"""

from __future__ import annotations

import uuid
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import roles_on
from domain.errors import DomainError
from domain.ratings import Expectation
from domain.stages import Role
from services import development_plans, evaluation_document, feedback, periodic, steps
from services.appraisal_view import last_escalation, names_and_zone, offers, people_in, timeline
from services.step_views import year_rows
from web.deps import Caller, Svc
from web.downloads import evaluation_pdf_response
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, base_path, render
from web.pages.supervision_forms import text_values

NOT_FORM = (401, 403, 404)

router = APIRouter()


FEEDBACK_FIELDS = frozenset({"teks", "menjawab"})


@router.get("/penilaian/{cycle_id}/{nip}", response_class=HTMLResponse, **page(signed_in()))
async def appraisal(request: Request, user: PageUser, svc: Svc, cycle_id: str, nip: str) -> HTMLResponse:
    return await show(request, user, svc, cycle_id, nip)


@router.post("/penilaian/{cycle_id}/{nip}/umpan-balik", response_class=HTMLResponse, **page(signed_in()))
async def write_feedback(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """A note of continuous feedback from the penilai, or the employee's answer; the page again, with the message
    beside the field and what was typed kept, when it is refused."""
    form = text_values(await request.form())
    answers = form.get("menjawab", "")
    number = int(answers) if answers.isascii() and answers.isdigit() and len(answers) <= 9 else None
    try:
        await run_in_threadpool(
            partial(
                feedback.write,
                svc.uow_factory,
                user.principal,
                cycle_id,
                nip,
                form.get("teks", ""),
                number,
                now=svc.clock(),
            )
        )
    except DomainError as error:
        errors = FormErrors.of(error, FEEDBACK_FIELDS)
        if errors.status in NOT_FORM:
            raise
        return await show(request, user, svc, cycle_id, nip, form=form, errors=errors)
    return RedirectResponse(f"{base_path(cycle_id, nip)}?pesan=umpan-balik#umpan-balik", status_code=303)


async def show(
    request: Request,
    user: Caller,
    svc: Svc,
    cycle_id: str,
    nip: str,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    plan_form: dict[str, str] | None = None,
    plan_errors: FormErrors | None = None,
    period_form: dict[str, str] | None = None,
    period_errors: FormErrors | None = None,
) -> HTMLResponse:
    """The page; with what a refused form held and why (`form`/`errors`: the feedback's, `plan_*`: the plan's,
    `period_*`: the periodic evaluation's)."""
    parties, _period = await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    notes = await run_in_threadpool(feedback.notes_of, svc.uow_factory, cycle_id, nip)
    plan = await run_in_threadpool(development_plans.record_of, svc.uow_factory, cycle_id, nip)
    periods = await run_in_threadpool(periodic.records_of, svc.uow_factory, cycle_id, nip)
    open_period = periodic.open_for(periods, user.principal.nip)
    writers = {note.author_nip for note in notes}
    names, zone = await run_in_threadpool(names_and_zone, svc.uow_factory, cycle_id, people_in(state) | writers)
    roles = roles_on(user.principal, parties)
    open_ = not state.step.closed
    context = {
        "state": state,
        "names": names,
        "zone": zone,
        "base": base_path(cycle_id, nip),
        "offers": offers(state.step, roles, has_deadline=state.deadline is not None),
        "escalation": last_escalation(state),
        "lines": timeline(state.timeline, names),
        "document": state.step in evaluation_document.ISSUED_AT,
        "notes": notes,
        "gives": open_ and Role.PENILAI in roles,
        "answers": open_ and Role.PEGAWAI in roles,
        "answerable": [(str(n.id), f"Catatan {n.id}") for n in notes if n.writer == "penilai"],
        "form": form or {},
        "errors": errors or FormErrors(),
        "plan": plan,
        "plan_acts": development_plans.actions_of(plan, user.principal.nip, roles),
        "plan_form": plan_form or {},
        "plan_errors": plan_errors or FormErrors(),
        "periods": periods,
        "open_period": open_period,
        # Every version's indicators, as the period's form is read back (web.pages.periodic): rows match by place.
        "period_rows": year_rows(state) if open_period is not None else [],
        "ratings": [(e.value, e.label) for e in Expectation],
        "period_form": period_form or {},
        "period_errors": period_errors or FormErrors(),
        "key": uuid.uuid4().hex,  # a plan's or period's step sent twice from this page (a double click) is taken once
    }
    refused = errors or plan_errors or period_errors
    status = refused.status if refused is not None else 200
    return render(request, "pages/penilaian.html", context, user=user, status=status)


@router.get("/penilaian/{cycle_id}/{nip}/dokumen-evaluasi", **page(signed_in()))
async def evaluation_document_pdf(user: PageUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """The dokumen evaluasi kinerja pegawai as PDF, once the result is set, for whoever may see the appraisal."""
    return await evaluation_pdf_response(svc, user.principal, cycle_id, nip)
