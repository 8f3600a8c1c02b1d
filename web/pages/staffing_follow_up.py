"""Tindak lanjut on the kepegawaian pages (`/kepegawaian/siklus/{cycle}/tindak-lanjut`): a cycle's development plans
by unit (who, the final predicate, where the plan stands, its deadline) and, per unit, who asked for which training,
so HR can arrange it (services.development_plans). For the admin kepegawaian and the pengelola kinerja of the cycle's
instansi; anyone else of it is refused, anyone outside told it does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from services import development_plans
from web.deps import Svc
from web.pages.access import page, signed_in
from web.pages.deps import PageUser, render
from web.pages.scope import cycle_of
from web.pages.staffing import ROLES
from web.pages.staffing_cycles import cycle_path

router = APIRouter()


@router.get("/kepegawaian/siklus/{cycle_id}/tindak-lanjut", response_class=HTMLResponse, **page(signed_in(*ROLES)))
async def follow_up(request: Request, user: PageUser, svc: Svc, cycle_id: str) -> HTMLResponse:
    record = await cycle_of(svc, user.principal, cycle_id, ROLES)
    plans = await run_in_threadpool(development_plans.of_cycle, svc.uow_factory, user.principal, cycle_id)
    context = {
        "cycle_id": cycle_id,
        "base": cycle_path(cycle_id),
        "zone": record.deadlines.utc_offset_hours,
        "plans": plans,
        "needs": development_plans.training_needs(plans),
        "limit": development_plans.MAX_LISTED,
    }
    return render(request, "pages/kepegawaian_tindak_lanjut.html", context, user=user)
