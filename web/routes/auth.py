"""Signing in and out, the person's own tokens, and one-time links (local accounts).

- `POST /auth/login`: NIP and password; a session cookie for a browser (`sesi`: true), or a personal access token for
  the command line and programs (`token`: {...}). The answer carries the CSRF token of a new session.
- `POST /auth/logout`: ends the session (server-side: the cookie is worthless afterwards) or revokes the token used.
- `GET /me`: who is signed in, with their roles.
- `GET/POST/DELETE /me/tokens`: the person's personal access tokens.
- `POST /auth/password`: set a password with a one-time link's secret. `POST /auth/password-reset`: ask for a link
  (answered the same whether the NIP has an account or not).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from fastapi import APIRouter, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.access import Grant, Principal, Scope
from identity import accounts, sessions
from identity.records import TokenRecord
from identity.sessions import NoPerson
from web.access import Rule
from web.deps import SESSION_COOKIE, CurrentCaller, CurrentPrincipal, Services, Svc, client_address, guard, is_https
from web.problems import Problem

router = APIRouter(tags=["masuk"])
PUBLIC, SELF, SELF_ACTS = Rule("public"), Rule("self"), Rule("self", acts=True)


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenRequest(_In):
    nama: str = Field(min_length=1, max_length=100, description="untuk apa token ini, mis. 'laptop kantor'")
    cakupan: list[Scope] = Field(default_factory=lambda: [Scope.READ, Scope.ACT], min_length=1, max_length=2)
    hari: int | None = Field(default=None, ge=1, le=3650, description="masa berlaku (bawaan: kebijakan)")


class LoginRequest(_In):
    nip: str = Field(min_length=1, max_length=40)
    kata_sandi: str = Field(min_length=1, max_length=256)
    token: TokenRequest | None = Field(default=None, description="isi untuk menerima token, bukan cookie sesi")


class Me(BaseModel):
    nip: str
    nama: str
    instansi: str | None
    peran: list[Grant]
    cakupan: list[Scope]


class LoginResult(Me):
    csrf_token: str | None = None  # a session: send it back as X-CSRF-Token with every change
    token: str | None = None  # a token: shown once
    berlaku_sampai: AwareDatetime | None = None


class TokenView(BaseModel):
    id: int
    nama: str
    cakupan: list[Scope]
    dibuat: AwareDatetime
    berlaku_sampai: AwareDatetime
    dicabut: AwareDatetime | None
    terakhir_dipakai: AwareDatetime | None


class NewToken(TokenView):
    token: str


class SetPassword(_In):
    tautan: str = Field(min_length=10, max_length=100)
    kata_sandi: str = Field(min_length=1, max_length=256)


class ResetRequest(_In):
    nip: str = Field(pattern=r"^\d{18}$")


def _me(principal: Principal) -> dict[str, object]:
    return {
        "nip": principal.nip,
        "nama": principal.name,
        "instansi": principal.instansi_code,
        "peran": list(principal.grants),
        "cakupan": sorted(principal.scopes),
    }


def _view(record: TokenRecord) -> TokenView:
    return TokenView(
        id=record.id,
        nama=record.name,
        cakupan=sorted(record.scopes),
        dibuat=record.created_at,
        berlaku_sampai=record.expires_at,
        dicabut=record.revoked_at,
        terakhir_dipakai=record.last_used_at,
    )


async def check_password(svc: Services, request: Request, nip: str, password: str, now: datetime) -> str:
    nip = "".join(nip.split())
    address = client_address(request, svc)
    async with svc.hash_slots:  # argon2id costs memory: a burst of sign-ins queues here
        return await run_in_threadpool(
            accounts.authenticate,
            svc.uow_factory,
            svc.settings.auth,
            svc.hasher,
            nip=nip,
            password=password,
            address=address,
            now=now,
        )


NO_PERSON = "NIP ini tidak terdaftar aktif di roster dan tidak memegang peran apa pun"


def set_session_cookie(response: Response, request: Request, svc: Services, secret: str) -> None:
    """The session cookie of a new session, for every way of signing in (password here, OpenID Connect)."""
    secure = svc.settings.auth.cookie_secure
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=svc.settings.auth.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=is_https(request, svc) if secure is None else secure,
        path="/",
    )


@router.post("/auth/login", summary="Masuk dengan NIP dan kata sandi", **guard(PUBLIC))
async def login(body: LoginRequest, request: Request, response: Response, svc: Svc) -> LoginResult:
    now = svc.clock()
    nip = await check_password(svc, request, body.nip, body.kata_sandi, now)
    try:
        if body.token is not None:
            secret, record = await run_in_threadpool(
                sessions.create_token,
                svc.uow_factory,
                svc.settings.auth,
                nip=nip,
                name=body.token.nama,
                scopes=frozenset(body.token.cakupan),
                days=body.token.hari,
                now=now,
            )
            principal = await run_in_threadpool(sessions.token_principal, svc.uow_factory, secret, now)
            assert principal is not None
            return LoginResult(**_me(principal), token=secret, berlaku_sampai=record.expires_at)
        started = await run_in_threadpool(
            sessions.start_session, svc.uow_factory, svc.settings.auth, nip=nip, method="password", now=now
        )
    except NoPerson:
        raise Problem(403, NO_PERSON) from None
    set_session_cookie(response, request, svc, started.secret)
    return LoginResult(
        **_me(started.principal),
        csrf_token=started.record.csrf_token,
        berlaku_sampai=started.record.expires_at,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Keluar", **guard(SELF_ACTS))
async def logout(request: Request, response: Response, caller: CurrentCaller, svc: Svc) -> Response:
    now = svc.clock()
    if caller.session is not None:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        await run_in_threadpool(sessions.end_session, svc.uow_factory, cookie, now)
    else:
        header = request.headers.get("authorization", "")
        secret = header.partition(" ")[2].strip()
        await run_in_threadpool(_revoke_presented, svc, caller.principal.nip, secret, now)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _revoke_presented(svc: Services, nip: str, secret: str, now: datetime) -> None:
    record = sessions.presented_token(svc.uow_factory, secret)
    if record is not None:
        sessions.revoke_token(svc.uow_factory, nip=nip, token_id=record.id, now=now)


@router.get("/me", summary="Siapa yang masuk, dengan perannya", **guard(SELF))
async def me(principal: CurrentPrincipal) -> Me:
    return Me(**_me(principal))


@router.get("/me/tokens", summary="Token akses pribadi saya", **guard(SELF))
async def my_tokens(principal: CurrentPrincipal, svc: Svc) -> list[TokenView]:
    records = await run_in_threadpool(sessions.tokens_of, svc.uow_factory, principal.nip)
    return [_view(record) for record in records]


@router.post("/me/tokens", status_code=201, summary="Buat token akses pribadi", **guard(SELF_ACTS))
async def create_token(body: TokenRequest, request: Request, caller: CurrentCaller, svc: Svc) -> NewToken:
    principal = caller.principal
    if not set(body.cakupan) <= principal.scopes:
        raise Problem(403, "token baru tidak boleh mencakup lebih dari token yang dipakai", field="cakupan")

    def create() -> tuple[str, TokenRecord]:
        parent = None
        if caller.session is None:  # made with a token: a stolen token must not mint one that outlives it
            secret = request.headers.get("authorization", "").partition(" ")[2].strip()
            parent = sessions.presented_token(svc.uow_factory, secret)
        return sessions.create_token(
            svc.uow_factory,
            svc.settings.auth,
            nip=principal.nip,
            name=body.nama,
            scopes=frozenset(body.cakupan),
            days=body.hari,
            now=svc.clock(),
            not_after=parent.expires_at if parent is not None else None,
        )

    secret, record = await run_in_threadpool(create)
    return NewToken(**_view(record).model_dump(), token=secret)


@router.delete(
    "/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Cabut token", **guard(SELF_ACTS)
)
async def revoke_token(token_id: int, principal: CurrentPrincipal, svc: Svc) -> Response:
    if not 0 < token_id < 2**31:
        raise Problem(404, f"token {token_id} tidak ada atau sudah dicabut", field="token")
    await run_in_threadpool(
        sessions.revoke_token, svc.uow_factory, nip=principal.nip, token_id=token_id, now=svc.clock()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Atur kata sandi dengan tautan sekali pakai",
    **guard(PUBLIC),
)
async def set_password(body: SetPassword, svc: Svc) -> Response:
    async with svc.hash_slots:
        await run_in_threadpool(
            accounts.set_password,
            svc.uow_factory,
            svc.hasher,
            secret=body.tautan,
            password=body.kata_sandi,
            now=svc.clock(),
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Minta tautan atur ulang kata sandi",
    **guard(PUBLIC),
)
async def request_reset(body: ResetRequest, request: Request, svc: Svc) -> dict[str, str]:
    address = client_address(request, svc)
    await run_in_threadpool(
        partial(
            accounts.request_reset,
            svc.uow_factory,
            svc.settings.auth,
            nip=body.nip,
            address=address,
            now=svc.clock(),
        )
    )
    return {"status": "bila NIP ini punya akun dengan alamat e-mail, tautan atur ulang sudah dikirim"}
