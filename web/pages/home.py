"""Beranda: what waits for the signed-in person (the worklist, as `GET /api/v1/me/tasks` reads it) with each step's
deadline in its cycle's zone, the days left or overdue, and how far an overdue one was escalated and to whom; the
overdue steps of others escalated to them as a superior (diteruskan kepada Anda); then their own appraisals, past
and present, with the predicate and their unit's IKM (services.my_work.home, one unit of work: every person opens
this page, many times a day)."""

from __future__ import annotations

from dataclasses import fields
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from services.my_work import home as read_home
from web.deps import Svc
from web.pages.access import page, signed_in
from web.pages.deps import PageUser, render

router = APIRouter()
TASKS_SHOWN = 100


@router.get("/", response_class=HTMLResponse, **page(signed_in()))
async def home(request: Request, user: PageUser, svc: Svc) -> HTMLResponse:
    found = await run_in_threadpool(
        partial(read_home, svc.uow_factory, user.principal, now=svc.clock(), limit=TASKS_SHOWN)
    )
    context = {field.name: getattr(found, field.name) for field in fields(found)} | {"shown_limit": TASKS_SHOWN}
    return render(request, "pages/beranda.html", context, user=user)
