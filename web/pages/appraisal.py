"""One appraisal's page (`/penilaian/{cycle}/{nip}`): where it stands (the workflow's state), who must act and by
when in the instansi's zone, how far an overdue step escalated, the predicate, the timeline in words, and a link to
the page of each step this person may take now.

Visible exactly as through the API (services.steps.visible): the employee, their pejabat penilai and atasan, and the
instansi's readers; anyone else is told it does not exist. The step pages live under the same path: `skp`
(web.pages.skp), `realisasi`, `nilai`, `penetapan`, `tindakan` and `riwayat`; once the result is set, the
dokumen evaluasi kinerja as PDF at `dokumen-evaluasi` (services.evaluation_document, documents.evaluation_pdf).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import roles_on
from services import evaluation_document, steps
from services.appraisal_view import last_escalation, names_and_zone, offers, people_in, timeline
from web.deps import Svc
from web.downloads import evaluation_pdf_response
from web.pages.access import page, signed_in
from web.pages.deps import PageUser, render
from web.pages.skp import base_path

router = APIRouter()


@router.get("/penilaian/{cycle_id}/{nip}", response_class=HTMLResponse, **page(signed_in()))
async def appraisal(request: Request, user: PageUser, svc: Svc, cycle_id: str, nip: str) -> HTMLResponse:
    parties, _period = await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    names, zone = await run_in_threadpool(names_and_zone, svc.uow_factory, cycle_id, people_in(state))
    roles = roles_on(user.principal, parties)
    context = {
        "state": state,
        "names": names,
        "zone": zone,
        "base": base_path(cycle_id, nip),
        "offers": offers(state.step, roles, has_deadline=state.deadline is not None),
        "escalation": last_escalation(state),
        "lines": timeline(state.timeline, names),
        "document": state.step in evaluation_document.ISSUED_AT,
    }
    return render(request, "pages/penilaian.html", context, user=user)


@router.get("/penilaian/{cycle_id}/{nip}/dokumen-evaluasi", **page(signed_in()))
async def evaluation_document_pdf(user: PageUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """The dokumen evaluasi kinerja pegawai as PDF, once the result is set, for whoever may see the appraisal."""
    return await evaluation_pdf_response(svc, user.principal, cycle_id, nip)
