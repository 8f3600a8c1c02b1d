"""Accounts and roles of one instansi, for its admin kepegawaian, as the admin API does them (web.routes.admin):
create an account from the roster, disable, enable, unlock, send a reset link (services.account_admin); grant and
revoke the instansi's roles (services.roles, which carries a change of officials to the running cycles). Every
change is an audit entry naming the signed-in admin.

A one-time link is shown on the page that made it (for the admin to hand over when the roster has no e-mail address)
and never put in a URL.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import GRANTABLE
from domain.errors import DomainError
from domain.nip import normalize_nip
from domain.stages import Role
from services import account_admin, roles
from services.account_admin import AccountAction, LinkResult
from services.actors import Acting
from services.roles import GrantView
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, render
from web.pages.scope import in_instansi
from web.pages.skp_form import text_values
from web.pages.staffing import ROLES, instansi_path
from web.pages.staffing_forms import CYCLE_ID

router = APIRouter()
SECTION = page(signed_in(*ROLES))
ADMIN = (Role.ADMIN_KEPEGAWAIAN,)
NOT_FORM = (401, 403, 404)
MAX_NIP_TEXT = 40
ACTIONS = {
    "nonaktifkan": (AccountAction.DISABLE, "Akun {nip} dinonaktifkan; setiap sesi dan tokennya berakhir."),
    "aktifkan": (AccountAction.ENABLE, "Akun {nip} aktif kembali (kuncinya sekaligus dibuka)."),
    "buka-kunci": (AccountAction.UNLOCK, "Kunci akun {nip} dibuka."),
}
GrantId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _admin(user: Caller) -> Acting:
    return Acting(user.principal.nip, Role.ADMIN_KEPEGAWAIAN)


def _nip(text: str, field: str) -> str:
    if len(text) > MAX_NIP_TEXT:
        raise DomainError(f"paling panjang {MAX_NIP_TEXT} karakter", field=field)
    try:
        return normalize_nip(text)
    except DomainError as error:
        raise DomainError(str(error).removeprefix("nip: "), field=field) from None


# --- accounts -------------------------------------------------------------------------------------------------------


@router.get("/kepegawaian/instansi/{instansi_code}/akun", response_class=HTMLResponse, **SECTION)
async def accounts(request: Request, user: PageUser, instansi_code: str) -> Response:
    in_instansi(user.principal, instansi_code, ADMIN)
    return _accounts(request, user, instansi_code)


@router.post("/kepegawaian/instansi/{instansi_code}/akun", response_class=HTMLResponse, **SECTION)
async def account_action(request: Request, user: FormUser, svc: Svc, instansi_code: str) -> Response:
    """`aksi` buat (with `nip_baru`), or nonaktifkan, aktifkan, buka-kunci, atur-ulang (with `nip`)."""
    in_instansi(user.principal, instansi_code, ADMIN)
    form = text_values(await request.form())
    action = form.get("aksi", "")
    field = "nip_baru" if action == "buat" else "nip"
    now = svc.clock()
    try:
        nip = _nip(form.get(field, ""), field)
        if action in ("buat", "atur-ulang"):
            service = account_admin.create if action == "buat" else account_admin.reset_link
            link = await run_in_threadpool(
                partial(
                    service, svc.uow_factory, svc.settings.auth, instansi_code=instansi_code, nip=nip, by=_admin(user),
                    now=now,
                )
            )  # fmt: skip
            done = "Akun dibuat." if action == "buat" else "Tautan atur ulang kata sandi dibuat."
            return _accounts(request, user, instansi_code, done=done, link=link)
        if action not in ACTIONS:
            raise DomainError("pilih tindakan: nonaktifkan, aktifkan, buka kunci atau tautan atur ulang", field="aksi")
        change, words = ACTIONS[action]
        await run_in_threadpool(
            partial(
                account_admin.change, svc.uow_factory, instansi_code=instansi_code, nip=nip, action=change,
                by=_admin(user), now=now,
            )
        )  # fmt: skip
    except DomainError as refused:
        errors = FormErrors.of(refused, {"nip", "nip_baru", "aksi"})
        if field == "nip_baru" and "nip" in errors.fields:
            errors.fields["nip_baru"] = errors.fields.pop("nip")
        if errors.status in NOT_FORM and not errors.fields:
            raise
        return _accounts(request, user, instansi_code, form=form, errors=errors)
    return _accounts(request, user, instansi_code, done=words.format(nip=nip))


def _accounts(
    request: Request,
    user: Caller,
    instansi_code: str,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    done: str | None = None,
    link: LinkResult | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "instansi_code": instansi_code,
        "base": instansi_path(instansi_code),
        "form": form or {},
        "done": done,
        "link": link,
    }
    if errors is not None:
        context["errors"] = errors
    status = errors.status if errors is not None else 200
    return render(request, "pages/kepegawaian_akun.html", context, user=user, status=status)


# --- roles ----------------------------------------------------------------------------------------------------------


@router.get("/kepegawaian/instansi/{instansi_code}/peran", response_class=HTMLResponse, **SECTION)
async def grants(request: Request, user: PageUser, svc: Svc, instansi_code: str) -> Response:
    in_instansi(user.principal, instansi_code, ADMIN)
    return await _grants(request, user, svc, instansi_code)


@router.post("/kepegawaian/instansi/{instansi_code}/peran", response_class=HTMLResponse, **SECTION)
async def grant(request: Request, user: FormUser, svc: Svc, instansi_code: str) -> Response:
    in_instansi(user.principal, instansi_code, ADMIN)
    form = text_values(await request.form())
    try:
        nip = _nip(form.get("nip", ""), "nip")
        role = _role(form.get("peran", ""))
        cycle_id = form.get("siklus", "").strip() or None
        if cycle_id is not None and (len(cycle_id) > 64 or not CYCLE_ID.match(cycle_id)):
            raise DomainError("id siklus: huruf, angka, titik, garis bawah atau tanda hubung", field="siklus")
        view = await roles.grant(
            svc.uow_factory,
            svc.temporal.client,
            instansi_code=instansi_code,
            nip=nip,
            role=role,
            cycle_id=cycle_id,
            by=_admin(user),
            now=svc.clock(),
        )
    except DomainError as refused:
        errors = FormErrors.of(refused, {"nip", "peran", "siklus"})
        if errors.status in NOT_FORM and not errors.fields:
            raise
        return await _grants(request, user, svc, instansi_code, form=form, errors=errors)
    done = f"Peran {view.peran.label} diberikan kepada {view.nama or view.nip}."
    return await _grants(request, user, svc, instansi_code, done=done, changed=view)


@router.post("/kepegawaian/instansi/{instansi_code}/peran/{grant_id}/cabut", response_class=HTMLResponse, **SECTION)
async def revoke(request: Request, user: FormUser, svc: Svc, instansi_code: str, grant_id: GrantId) -> Response:
    in_instansi(user.principal, instansi_code, ADMIN)
    try:
        view = await roles.revoke(
            svc.uow_factory,
            svc.temporal.client,
            instansi_code=instansi_code,
            grant_id=grant_id,
            by=_admin(user),
            now=svc.clock(),
        )
    except DomainError as refused:
        errors = FormErrors.of(refused)
        if errors.status in NOT_FORM:
            raise
        return await _grants(request, user, svc, instansi_code, errors=errors, refused_grant=grant_id)
    done = f"Peran {view.peran.label} {view.nama or view.nip} dicabut."
    return await _grants(request, user, svc, instansi_code, done=done, changed=view)


def _role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role not in GRANTABLE:
        raise DomainError("pilih salah satu peran", field="peran")
    assert role is not None
    return role


async def _grants(
    request: Request,
    user: Caller,
    svc: Svc,
    instansi_code: str,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    done: str | None = None,
    changed: GrantView | None = None,
    refused_grant: int | None = None,
) -> HTMLResponse:
    listed = await run_in_threadpool(roles.list_grants, svc.uow_factory, instansi_code)
    context: dict[str, Any] = {
        "instansi_code": instansi_code,
        "base": instansi_path(instansi_code),
        "grants": listed,
        "role_choices": [(role.value, role.label) for role in GRANTABLE],
        "form": form or {},
        "done": done,
        "changed": changed,
        "refused_grant": refused_grant,
    }
    if errors is not None:
        context["errors"] = errors
    status = errors.status if errors is not None else 200
    return render(request, "pages/kepegawaian_peran.html", context, user=user, status=status)
