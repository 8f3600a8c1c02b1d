"""Signing in through the instansi's OpenID Connect provider (identity/oidc.py says what is checked).

- `GET /auth/oidc/login?next=/...`: a new sign-in: its state (as a hash), nonce and PKCE verifier are stored, the
  state also goes into a short-lived cookie of this browser, and the browser is sent to the provider.
- `GET /auth/oidc/callback?code=...&state=...`: the provider sends the browser back; the sign-in is taken (once),
  the code exchanged, the ID token verified, and the session cookie set as the password login sets it; then the
  browser goes on to `next` (a path on this site).

The state cookie binds the callback to the browser that began the sign-in: a callback link made by someone else
(to sign a victim in as the attacker) finds no cookie and is refused. Both routes answer 404 when OIDC__ISSUER is
not set; a refusal is a 401 that says what failed, an unreachable provider a 503.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from identity import oidc, sessions
from identity.secrets import same
from identity.sessions import NoPerson
from web.access import Rule
from web.deps import Services, Svc, guard, is_https
from web.problems import Problem
from web.routes.auth import NO_PERSON, set_session_cookie

router = APIRouter(tags=["masuk"])
PUBLIC = Rule("public")
STATE_COOKIE = "kinerja_oidc"
STATE_PATH = "/auth/oidc"
log = logging.getLogger("kinerja.web")


def _provider(request: Request, svc: Services) -> oidc.OidcProvider:
    """The app's one provider client (its discovery document and keys kept between sign-ins); 404 without OIDC."""
    settings = svc.settings
    if not settings.oidc.enabled:
        raise Problem(404, "masuk melalui SSO (OpenID Connect) tidak diaktifkan di layanan ini")
    found: oidc.OidcProvider | None = getattr(request.app.state, "oidc_provider", None)
    if found is None:
        found = oidc.OidcProvider(settings.oidc, oidc.redirect_url(settings.oidc, settings.auth))
        request.app.state.oidc_provider = found
    return found


def _secure(request: Request, svc: Services) -> bool:
    secure = svc.settings.auth.cookie_secure
    return is_https(request, svc) if secure is None else secure


@router.get(
    "/auth/oidc/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Masuk melalui SSO instansi (OpenID Connect): diarahkan ke penyedia identitas",
    **guard(PUBLIC),
)
async def oidc_login(
    request: Request, svc: Svc, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    provider = _provider(request, svc)
    try:
        authorization = await provider.begin(next_path, svc.clock())
    except oidc.ProviderUnavailable as error:
        raise Problem(503, str(error)) from None
    await run_in_threadpool(oidc.remember, svc.uow_factory, authorization)
    response = RedirectResponse(authorization.url, status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        authorization.state,
        max_age=oidc.LOGIN_MINUTES * 60,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, never on a cross-site subrequest
        secure=_secure(request, svc),
        path=STATE_PATH,
    )
    return response


@router.get(
    "/auth/oidc/callback",
    status_code=303,
    response_class=RedirectResponse,
    summary="Kembali dari penyedia identitas: sesi dimulai, lalu diarahkan ke halaman tujuan",
    **guard(PUBLIC),
)
async def oidc_callback(
    request: Request,
    svc: Svc,
    code: str | None = None,
    state: str | None = None,
    iss: str | None = None,
    error: str | None = None,
) -> Response:
    provider = _provider(request, svc)
    now = svc.clock()
    try:
        if not state or len(state) > oidc.MAX_PARAMETER:
            raise oidc.OidcRefused("jawaban penyedia identitas tanpa state; mulai masuk lagi", reason="no_state")
        cookie = request.cookies.get(STATE_COOKIE)
        if not cookie or not same(cookie, state):
            raise oidc.OidcRefused(
                "proses masuk ini tidak dimulai di peramban ini (cookie SSO tidak ada atau lain); mulai masuk lagi",
                reason="state_cookie",
            )
        login = await run_in_threadpool(oidc.take, svc.uow_factory, state, now)
        if error is not None:
            shown = error if error.isascii() and error.replace("_", "").isalnum() and len(error) <= 64 else "galat"
            raise oidc.OidcRefused(f"penyedia identitas tidak mengizinkan masuk ({shown})", reason=f"error:{shown}")
        if not code or len(code) > oidc.MAX_PARAMETER or (iss is not None and len(iss) > oidc.MAX_PARAMETER):
            raise oidc.OidcRefused("jawaban penyedia identitas tanpa kode otorisasi", reason="no_code")
        nip = await provider.finish(code=code, iss=iss, login=login, now=now)
    except oidc.OidcRefused as refused:
        log.info("oidc sign-in refused: %s", refused.reason)
        raise Problem(401, str(refused)) from None
    except oidc.ProviderUnavailable as unavailable:
        raise Problem(503, str(unavailable)) from None
    try:
        started = await run_in_threadpool(
            sessions.start_session, svc.uow_factory, svc.settings.auth, nip=nip, method="oidc", now=now
        )
    except NoPerson:
        raise Problem(403, NO_PERSON) from None
    response = RedirectResponse(login.next_path, status_code=303)
    set_session_cookie(response, request, svc, started.secret)
    response.delete_cookie(STATE_COOKIE, path=STATE_PATH)
    return response
