"""Signing in and out in a browser: the same accounts, sessions and limits as `POST /api/v1/auth/login`
(web.routes.auth), with a form instead of JSON.

A wrong NIP or password gets the one refusal wording of identity.accounts, shown on the form with the NIP kept.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.errors import DomainError
from identity import accounts, sessions
from identity.accounts import LoginRefused
from identity.passwords import MIN_PASSWORD_CHARS
from identity.sessions import NoPerson
from web.deps import SESSION_COOKIE, Caller, Svc, client_address, optional_caller
from web.pages.access import PUBLIC, page, signed_in
from web.pages.deps import FormErrors, FormUser, render, safe_next, same_site
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
    same_site(request)  # no session yet, so no CSRF token: a sign-in posted from another site is refused by origin
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
    response = RedirectResponse("/masuk?pesan=keluar", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/akun/kata-sandi", response_class=HTMLResponse, **page(PUBLIC))
async def password_page(request: Request, tautan: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Where a one-time link (identity.accounts) lands: the person chooses their password."""
    return render(request, "pages/kata_sandi.html", {"tautan": tautan, "min_chars": MIN_PASSWORD_CHARS})


@router.post("/akun/kata-sandi", response_class=HTMLResponse, **page(PUBLIC))
async def set_password(
    request: Request,
    svc: Svc,
    tautan: Annotated[str, Form(max_length=100)] = "",
    kata_sandi: Annotated[str, Form(max_length=256)] = "",
    ulangi: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    same_site(request)
    fields = {"tautan", "kata_sandi", "ulangi"}
    if kata_sandi != ulangi:
        errors = FormErrors(fields={"ulangi": "kedua kata sandi tidak sama"})
        context = {"tautan": tautan, "errors": errors, "min_chars": MIN_PASSWORD_CHARS}
        return render(request, "pages/kata_sandi.html", context, status=422)
    try:
        async with svc.hash_slots:
            await run_in_threadpool(
                accounts.set_password, svc.uow_factory, svc.hasher, secret=tautan, password=kata_sandi, now=svc.clock()
            )
    except DomainError as refused:
        errors = FormErrors.of(refused, fields)
        context = {"tautan": tautan, "errors": errors, "min_chars": MIN_PASSWORD_CHARS}
        return render(request, "pages/kata_sandi.html", context, status=errors.status)
    return RedirectResponse("/masuk?pesan=sandi-diatur", status_code=303)


@router.get("/akun/lupa-sandi", response_class=HTMLResponse, **page(PUBLIC))
async def reset_page(request: Request) -> Response:
    return render(request, "pages/lupa_sandi.html")


@router.post("/akun/lupa-sandi", response_class=HTMLResponse, **page(PUBLIC))
async def request_reset(request: Request, svc: Svc, nip: Annotated[str, Form(max_length=40)] = "") -> Response:
    """The same answer whether the NIP has an account or not (identity.accounts.request_reset)."""
    same_site(request)
    nip = "".join(nip.split())
    if not (len(nip) == 18 and nip.isdigit()):
        errors = FormErrors(fields={"nip": "NIP terdiri atas 18 angka"})
        return render(request, "pages/lupa_sandi.html", {"form": {"nip": nip}, "errors": errors}, status=422)
    try:
        await run_in_threadpool(
            partial(
                accounts.request_reset,
                svc.uow_factory,
                svc.settings.auth,
                nip=nip,
                address=client_address(request, svc),
                now=svc.clock(),
            )
        )
    except LoginRefused as refused:
        errors = FormErrors(general=str(refused), status=429)
        return render(request, "pages/lupa_sandi.html", {"form": {"nip": nip}, "errors": errors}, status=429)
    return RedirectResponse("/masuk?pesan=tautan-diminta", status_code=303)
