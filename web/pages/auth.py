"""Signing in and out in a browser: the same accounts, sessions and limits as `POST /api/v1/auth/login`
(web.routes.auth), with a form instead of JSON.

A wrong NIP or password gets the one refusal wording of identity.accounts, shown on the form with the NIP kept.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from identity import sessions
from identity.accounts import LoginRefused
from identity.sessions import NoPerson
from web.deps import SESSION_COOKIE, Caller, Svc, optional_caller
from web.pages.access import PUBLIC, page, signed_in
from web.pages.deps import FormErrors, FormUser, render, safe_next
from web.routes.auth import NO_PERSON, check_password, set_session_cookie

router = APIRouter()


@router.get("/masuk", response_class=HTMLResponse, **page(PUBLIC))
async def sign_in_page(
    request: Request, svc: Svc, lanjut: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    caller: Caller | None = optional_caller(request, svc)
    if caller is not None and caller.session is not None:
        return RedirectResponse(safe_next(lanjut), status_code=303)
    return render(request, "pages/masuk.html", {"lanjut": safe_next(lanjut), "oidc": svc.settings.oidc.enabled})


@router.post("/masuk", response_class=HTMLResponse, **page(PUBLIC))
async def sign_in(
    request: Request,
    svc: Svc,
    nip: Annotated[str, Form(max_length=40)] = "",
    kata_sandi: Annotated[str, Form(max_length=256)] = "",
    lanjut: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    back = safe_next(lanjut)
    context = {"lanjut": back, "oidc": svc.settings.oidc.enabled, "form": {"nip": nip}}
    if not nip.strip() or not kata_sandi:
        missing = {"nip": "NIP wajib diisi"} if not nip.strip() else {"kata_sandi": "kata sandi wajib diisi"}
        return render(request, "pages/masuk.html", {**context, "errors": FormErrors(fields=missing)}, status=422)
    now = svc.clock()
    try:
        person = await check_password(svc, request, nip, kata_sandi, now)
        started = await run_in_threadpool(
            sessions.start_session, svc.uow_factory, svc.settings.auth, nip=person, method="password", now=now
        )
    except LoginRefused as refused:
        status = 429 if refused.rate_limited else 401
        return render(
            request, "pages/masuk.html", {**context, "errors": FormErrors(general=str(refused))}, status=status
        )
    except NoPerson:
        return render(request, "pages/masuk.html", {**context, "errors": FormErrors(general=NO_PERSON)}, status=403)
    response = RedirectResponse(back, status_code=303)
    set_session_cookie(response, request, svc, started.secret)
    return response


@router.post("/keluar", **page(signed_in()))
async def sign_out(request: Request, _user: FormUser, svc: Svc) -> Response:
    await run_in_threadpool(sessions.end_session, svc.uow_factory, request.cookies.get(SESSION_COOKIE, ""), svc.clock())
    response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
