"""The operator's pages (read only, but for queuing notices again): the outbox of their instansi's appraisals
(`/operator`: waiting, given up with the last error, retry), a search for one appraisal by cycle and NIP, and its
whole history (`/penilaian/{cycle}/{nip}/riwayat`: what `kinerja riwayat` prints, services.history) with a link to
its workflow in Temporal's Web UI (TEMPORAL__UI_URL).

The operator takes no step: the step pages' roles do not include them, so their forms answer 403.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.errors import DomainError
from domain.stages import Role
from services import history, outbox_view, steps
from services.appraisal_view import names_and_zone, people_in
from web.deps import Svc
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, base_path, render
from web.pages.supervision_forms import refused, text_values
from workflows.contracts import appraisal_workflow_id

router = APIRouter()
SHOWN = 50  # messages listed per kind
_CYCLE = re.compile(r"^[^\x00-\x1f\x7f/]{1,64}$")
_NIP = re.compile(r"^\d{18}$")
_ID = re.compile(r"^\d{1,18}$")


@router.get("/operator", response_class=HTMLResponse, **page(signed_in(Role.OPERATOR)))
async def outbox(request: Request, user: PageUser, svc: Svc) -> Response:
    """The outbox; with `siklus` and `nip`, the appraisal's history (or the search refused beside its field)."""
    params = request.query_params
    search = {name: params.get(name, "").strip() for name in ("siklus", "nip")}
    errors, status = FormErrors(), 200
    if any(search.values()):
        try:
            cycle_id, nip = _searched(search)
            await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
            return RedirectResponse(f"{base_path(cycle_id, nip)}/riwayat", status_code=303)
        except DomainError as error:
            errors = refused(error, "", {"siklus", "nip"})
            if error.field == "penilaian":
                errors = FormErrors(fields={"nip": str(error).removeprefix("penilaian: ")}, status=404)
            status = errors.status
    view = await run_in_threadpool(lambda: outbox_view.of_operator(svc.uow_factory, user.principal, limit=SHOWN))
    retried = params.get("diulang", "")  # after a retry: how many were queued again (a count, never words)
    context = {
        "view": view,
        "form": search,
        "errors": errors,
        "shown": SHOWN,
        "retried": int(retried) if _ID.match(retried) else None,
    }
    return render(request, "pages/operator.html", context, user=user, status=status)


def _searched(search: dict[str, str]) -> tuple[str, str]:
    if not _CYCLE.match(search["siklus"]):
        raise DomainError("id siklus 1 sampai 64 karakter, tanpa karakter kendali atau '/'", field="siklus")
    if not _NIP.match(search["nip"]):
        raise DomainError("NIP 18 angka", field="nip")
    return search["siklus"], search["nip"]


@router.post("/operator/ulangi", response_class=HTMLResponse, **page(signed_in(Role.OPERATOR)))
async def retry(request: Request, user: FormUser, svc: Svc) -> Response:
    """Queue given-up notices again: one (`id`), or every one of the person's instansi (`semua`)."""
    form = text_values(await request.form())
    if form.get("semua"):
        chosen: list[int] | None = None
    elif _ID.match(form.get("id", "")):
        chosen = [int(form["id"])]
    else:
        raise DomainError("pilih pesan yang diulang", field="id")
    done = await run_in_threadpool(lambda: outbox_view.retry(svc.uow_factory, user.principal, chosen, now=svc.clock()))
    return RedirectResponse(f"/operator?diulang={done.queued}", status_code=303)


@router.get("/penilaian/{cycle_id}/{nip}/riwayat", response_class=HTMLResponse, **page(signed_in(Role.OPERATOR)))
async def appraisal_history(request: Request, user: PageUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)  # 404 unless theirs
    state, timers = await history.of_appraisal(await svc.temporal.client(), cycle_id, nip)
    names, zone = await run_in_threadpool(names_and_zone, svc.uow_factory, cycle_id, people_in(state))
    temporal = svc.settings.temporal
    workflow_id = appraisal_workflow_id(cycle_id, nip)
    context = {
        "state": state,
        "entries": history.timeline(state, timers, names),
        "zone": zone,
        "names": names,
        "base": base_path(cycle_id, nip),
        "workflow_id": workflow_id,
        "web_ui": history.web_ui_link(temporal.ui_url, temporal.namespace, workflow_id),
    }
    return render(request, "pages/riwayat.html", context, user=user)
