"""Beranda: what waits for the signed-in person (the worklist, as `GET /api/v1/me/tasks` reads it) with each step's
deadline in its cycle's zone, the days left or overdue, and how far an overdue one was escalated and to whom; then
their own appraisals, past and present, with the predicate and their unit's IKM (services.my_work)."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from domain.worklist import WorklistQuery
from services.appraisal_view import names_in
from services.my_work import escalations, my_appraisals, zones_of
from services.worklist import names_of, open_steps
from web.deps import Svc
from web.pages.access import page, signed_in
from web.pages.deps import PageUser, render

router = APIRouter()
TASKS_SHOWN = 100


@router.get("/", response_class=HTMLResponse, **page(signed_in()))
async def home(request: Request, user: PageUser, svc: Svc) -> HTMLResponse:
    now = svc.clock()

    def read() -> dict[str, object]:
        found = open_steps(svc.uow_factory, WorklistQuery(assignee=user.principal.nip), limit=TASKS_SHOWN)
        escalated = escalations(svc.uow_factory, found.items)
        told: dict[str, set[str]] = defaultdict(set)
        for item in found.items:
            if item.workflow_id in escalated:
                told[item.instansi_code].update(escalated[item.workflow_id].recipients)
        recipients: dict[str, str] = {}
        for code, nips in told.items():
            recipients.update(names_in(svc.uow_factory, code, nips))
        return {
            "tasks": found.items,
            "total": found.total,
            "names": names_of(svc.uow_factory, found.items),
            "zones": zones_of(svc.uow_factory, {item.cycle_id for item in found.items}),
            "escalated": escalated,
            "recipients": recipients,
            "mine": my_appraisals(svc.uow_factory, user.principal, now=now),
        }

    return render(request, "pages/beranda.html", await run_in_threadpool(read), user=user)
