"""The dependencies every route uses: the app's shared parts, the signed-in person, and the access rule's check.

Who acts comes from exactly two places: a bearer token (`Authorization: Bearer knj_...`, for programs and the
command line) or the session cookie (browsers). A request with a cookie that changes anything must also carry the
session's CSRF token (`X-CSRF-Token`, or the `csrf_token` form field of a page); a bearer token needs none, since a
browser never sends one by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from argon2 import PasswordHasher
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from domain.access import Principal, Scope
from identity.records import SessionRecord
from identity.secrets import same
from identity.sessions import session_principal, token_principal
from persistence.ports import AbstractUnitOfWork
from settings import Settings
from web.access import Rule
from web.gateway import TemporalGateway
from web.problems import PROBLEM_RESPONSES, Problem

SESSION_COOKIE = "kinerja_sesi"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Services:
    """Built once by the app factory (web.app.create_app) and shared by every request."""

    settings: Settings
    uow_factory: Callable[[], AbstractUnitOfWork]
    temporal: TemporalGateway
    hasher: PasswordHasher
    hash_slots: asyncio.Semaphore  # password hashes computed at once (AuthSettings.hash_concurrency)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


# The dependencies that only pick from the request are `async def`: FastAPI runs a plain `def` dependency in its
# thread pool, a hand-off that cost more than the work itself on every request (docs/benchmarks.md, the API).
async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


Svc = Annotated[Services, Depends(services)]


@dataclass(frozen=True)
class Caller:
    principal: Principal
    session: SessionRecord | None  # None: a bearer token


def _authenticate(request: Request, svc: Services) -> Caller | None:
    now = svc.clock()
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        principal = token_principal(svc.uow_factory, secret.strip(), now) if scheme.lower() == "bearer" else None
        if principal is None:
            raise Problem(
                401,
                "token tidak berlaku (salah, kedaluwarsa atau dicabut); masuk lagi dengan `kinerja masuk`",
                headers={"WWW-Authenticate": 'Bearer realm="kinerja"'},
            )
        return Caller(principal, None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > 100:
        return None
    found = session_principal(svc.uow_factory, svc.settings.auth, cookie, now)
    return None if found is None else Caller(found[0], found[1])


async def csrf_token_sent(request: Request) -> str | None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent


def optional_caller(request: Request, svc: Svc) -> Caller | None:
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is None:
        cached = _authenticate(request, svc)
        request.state.caller = cached
    return cached


def _required(caller: Caller | None) -> Caller:
    if caller is None:
        raise Problem(
            401,
            "belum masuk: masuk dengan NIP dan kata sandi (atau SSO instansi), atau kirim token",
            headers={"WWW-Authenticate": 'Bearer realm="kinerja"'},
        )
    return caller


def checker(rule: Rule) -> Callable[..., Any]:
    """The dependency that enforces `rule` before the route runs (the route's own checks come after)."""

    async def check(request: Request, svc: Svc, caller: Annotated[Caller | None, Depends(optional_caller)]) -> None:
        if rule.resource == "public":
            return
        who = _required(caller)
        if rule.resource == "instansi":
            _within(who.principal, request.path_params.get("instansi_code", ""), None, rule)
        elif rule.resource == "cycle":
            cycle_id = request.path_params.get("cycle_id", "")
            instansi = await run_in_threadpool(_instansi_of_cycle, svc, cycle_id)
            _within(who.principal, instansi, cycle_id, rule)
        if rule.acts:
            if Scope.ACT not in who.principal.scopes:
                raise Problem(403, "token ini hanya untuk membaca (cakupan 'baca'); langkah memerlukan 'langkah'")
            if who.session is not None and request.method not in SAFE_METHODS:
                sent = await csrf_token_sent(request)
                if sent is None or not same(sent, who.session.csrf_token):
                    raise Problem(
                        403, "token CSRF tidak ada atau salah; muat ulang halaman lalu coba lagi", field=CSRF_HEADER
                    )
        elif Scope.READ not in who.principal.scopes:
            raise Problem(403, "token ini tidak mencakup membaca (cakupan 'baca')")

    return check


def _instansi_of_cycle(svc: Services, cycle_id: str) -> str | None:
    if not 0 < len(cycle_id) <= 64:
        return None
    with svc.uow_factory() as uow:
        cycle = uow.cycles.get(cycle_id)
    return cycle.instansi_code if cycle is not None else None


def _within(principal: Principal, instansi_code: str | None, cycle_id: str | None, rule: Rule) -> None:
    """The person holds one of the rule's roles in the instansi; NotFound when they have no part in it at all."""
    if instansi_code is None or instansi_code not in principal.instansi():
        what = f"siklus {cycle_id}" if rule.resource == "cycle" else f"instansi {instansi_code}"
        raise Problem(404, f"{what} tidak ditemukan")
    if not principal.roles_in(instansi_code, cycle_id) & set(rule.roles):
        allowed = ", ".join(role.label for role in rule.roles)
        raise Problem(403, f"hanya {allowed} yang dapat melakukan ini", field="peran")


def guard(rule: Rule, responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The keyword arguments that put `rule` on a route: its check, its line in the OpenAPI spec, and the problem
    responses every route may answer with (`responses`: a route's own answers that are not problems)."""
    return {
        "dependencies": [Depends(checker(rule))],
        "openapi_extra": rule.openapi(),
        "responses": {**PROBLEM_RESPONSES, **(responses or {})},
    }


async def current_caller(caller: Annotated[Caller | None, Depends(optional_caller)]) -> Caller:
    return _required(caller)


async def current_principal(caller: Annotated[Caller, Depends(current_caller)]) -> Principal:
    return caller.principal


CurrentCaller = Annotated[Caller, Depends(current_caller)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def client_address(request: Request, svc: Services) -> str:
    """The address a request came from: the socket's peer, or, behind trusted proxies, the nearest address in
    X-Forwarded-For that is not one of them (each proxy appends what it saw; what a client wrote in the header
    itself stands further left and is never believed)."""
    peer = request.client.host if request.client else "unknown"
    proxies = svc.settings.auth.proxies
    if peer in proxies:
        hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
        for hop in reversed(hops):
            if hop not in proxies:
                return hop[:64]
    return peer[:64]


def is_https(request: Request, svc: Services) -> bool:
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return peer in svc.settings.auth.proxies and request.headers.get("x-forwarded-proto") == "https"
