"""The web pages (Jinja2 + htmx): server-rendered HTML from the same app and the same services as the API.

`install(app)` mounts the static files, the templates and every page's router, and makes failures on a page's path
answer as a page (web.problems.describe, rendered by `error_page`) rather than as problem+json.
"""

from __future__ import annotations

import contextlib

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from web.deps import Services, optional_caller
from web.pages import (
    appraisal,
    appraisal_steps,
    auth,
    calibration,
    development_plan,
    home,
    operator,
    periodic,
    realisation,
    review,
    skp,
    staffing,
    staffing_accounts,
    staffing_cycles,
    staffing_follow_up,
    supervision,
    supervision_actions,
    survey,
    survey_admin,
)
from web.pages.deps import CsrfRefused, SignInFirst, render, sign_in_url
from web.pages.templating import STATIC, templates
from web.problems import Described, Problem

PAGE_ROUTERS = (
    # The citizens' survey first: every answer is routed, and each router before it costs its matching (~0.35 ms
    # of CPU for the pages' routers, a tenth of an answer's; docs/benchmarks.md, the survey form).
    survey.router,
    auth.router,
    home.router,
    appraisal.router,
    skp.router,
    realisation.router,
    review.router,
    appraisal_steps.router,
    development_plan.router,
    periodic.router,
    supervision.router,
    supervision_actions.router,
    operator.router,
    calibration.router,
    staffing.router,
    staffing_cycles.router,
    staffing_follow_up.router,
    staffing_accounts.router,
    survey_admin.router,
)
NOT_PAGES = ("/api/", "/auth/", "/codec/", "/static/", "/openapi.json", "/healthz", "/readyz")
# No inline script or style anywhere: htmx and the stylesheet are files of this site.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


async def error_page(request: Request, found: Described) -> Response:
    if found.status == 401:
        return RedirectResponse(sign_in_url("/"), status_code=303)
    if not hasattr(request.state, "caller") and found.status < 500:  # no route ran (an unknown path): who is it?
        svc: Services = request.app.state.services
        with contextlib.suppress(Problem):  # a bad bearer token: the page is shown as to a stranger
            await run_in_threadpool(optional_caller, request, svc)
    return render(request, "galat.html", {"problem": found, "csrf": False}, status=found.status)


def install(app: FastAPI) -> None:
    app.state.templates = templates()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)

    @app.exception_handler(SignInFirst)
    async def _sign_in(_request: Request, error: SignInFirst) -> Response:
        return RedirectResponse(sign_in_url(error.back_to), status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _error: CsrfRefused) -> Response:
        found = Described(403, "formulir ini sudah kedaluwarsa atau tidak dikirim dari halaman Kinerja")
        return render(request, "galat.html", {"problem": found, "csrf": True}, status=403)
