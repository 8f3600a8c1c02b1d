"""Beranda: what waits for the signed-in person (the worklist, as `GET /api/v1/me/tasks` reads it)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from domain.worklist import WorklistQuery
from services.worklist import names_of, open_steps
from web.deps import Svc
from web.pages.access import page, signed_in
from web.pages.deps import PageUser, render

router = APIRouter()
TASKS_SHOWN = 100


@router.get("/", response_class=HTMLResponse, **page(signed_in()))
async def home(request: Request, user: PageUser, svc: Svc) -> HTMLResponse:
    def read() -> dict[str, object]:
        found = open_steps(svc.uow_factory, WorklistQuery(assignee=user.principal.nip), limit=TASKS_SHOWN)
        return {"tasks": found.items, "total": found.total, "names": names_of(svc.uow_factory, found.items)}

    return render(request, "pages/beranda.html", await run_in_threadpool(read), user=user)
