"""The admin kepegawaian's work in one instansi: who holds which role, the local accounts of its people, and its
appraisal policy. Every change is an audit entry naming the signed-in admin (services.roles, services.account_admin,
services.policy); none of these requests names an actor.

- `GET/POST /instansi/{code}/roles`, `DELETE /instansi/{code}/roles/{grant_id}`
- `POST /instansi/{code}/accounts`, `POST /instansi/{code}/accounts/{nip}/disable|enable|unlock|reset-link`
- `GET/PUT /instansi/{code}/policy`
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.access import Principal
from domain.policy import AppraisalPolicy
from domain.stages import Role
from services import account_admin, policy, roles
from services.account_admin import AccountAction, LinkResult
from services.actors import Acting
from services.roles import GrantView
from web.access import Rule
from web.deps import CurrentPrincipal, Svc, guard
from workflows.contracts import Nip

router = APIRouter(prefix="/instansi/{instansi_code}", tags=["administrasi"])
ADMIN = (Role.ADMIN_KEPEGAWAIAN,)
ADMIN_ACTS = Rule("instansi", ADMIN, acts=True)
InstansiCode = Annotated[str, Path(min_length=1, max_length=32)]
PathNip = Annotated[str, Path(pattern=r"^\d{18}$", description="NIP 18 digit")]
GrantableRole = Literal["pimpinan", "pengawasan", "pengelola_kinerja", "admin_kepegawaian", "operator"]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GrantBody(_In):
    nip: str = Field(min_length=18, max_length=40, pattern=r"^[\d ]+$", description="NIP 18 digit (spasi boleh)")
    peran: GrantableRole
    siklus: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="hanya untuk siklus ini (bawaan: setiap siklus instansi)",
    )


class AccountBody(_In):
    nip: Nip


class PolicyBody(_In):
    penyesuaian: dict[str, Any] = Field(
        description='penyesuaian atas kebijakan bawaan, mis. {"escalation": {"grace": "P3D"}}; {} kembali ke bawaan'
    )


def _admin(principal: Principal) -> Acting:
    return Acting(principal.nip, Role.ADMIN_KEPEGAWAIAN)


# --- roles ----------------------------------------------------------------------------------------------------------


@router.get(
    "/roles",
    summary="Peran yang diberikan di instansi",
    **guard(Rule("instansi", (Role.ADMIN_KEPEGAWAIAN, Role.OPERATOR))),
)
async def list_roles(instansi_code: InstansiCode, svc: Svc) -> list[GrantView]:
    return await run_in_threadpool(roles.list_grants, svc.uow_factory, instansi_code)


@router.post("/roles", status_code=status.HTTP_201_CREATED, summary="Berikan peran", **guard(ADMIN_ACTS))
async def grant_role(instansi_code: InstansiCode, body: GrantBody, principal: CurrentPrincipal, svc: Svc) -> GrantView:
    return await roles.grant(
        svc.uow_factory,
        svc.temporal.client,
        instansi_code=instansi_code,
        nip=body.nip,
        role=Role(body.peran),
        cycle_id=body.siklus,
        by=_admin(principal),
        now=svc.clock(),
    )


@router.delete("/roles/{grant_id}", summary="Cabut peran", **guard(ADMIN_ACTS))
async def revoke_role(
    instansi_code: InstansiCode,
    grant_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: CurrentPrincipal,
    svc: Svc,
) -> GrantView:
    return await roles.revoke(
        svc.uow_factory,
        svc.temporal.client,
        instansi_code=instansi_code,
        grant_id=grant_id,
        by=_admin(principal),
        now=svc.clock(),
    )


# --- accounts -------------------------------------------------------------------------------------------------------


@router.post(
    "/accounts",
    status_code=status.HTTP_201_CREATED,
    summary="Buat akun pegawai dari roster; tautan kata sandi pertama lewat e-mail, atau diserahkan admin",
    **guard(ADMIN_ACTS),
)
async def create_account(
    instansi_code: InstansiCode, body: AccountBody, principal: CurrentPrincipal, svc: Svc
) -> LinkResult:
    return await run_in_threadpool(
        account_admin.create,
        svc.uow_factory,
        svc.settings.auth,
        instansi_code=instansi_code,
        nip=body.nip,
        by=_admin(principal),
        now=svc.clock(),
    )


@router.post("/accounts/{nip}/reset-link", summary="Kirim tautan atur ulang kata sandi", **guard(ADMIN_ACTS))
async def reset_link(instansi_code: InstansiCode, nip: PathNip, principal: CurrentPrincipal, svc: Svc) -> LinkResult:
    return await run_in_threadpool(
        account_admin.reset_link,
        svc.uow_factory,
        svc.settings.auth,
        instansi_code=instansi_code,
        nip=nip,
        by=_admin(principal),
        now=svc.clock(),
    )


def _account_route(action: AccountAction, summary: str) -> None:
    async def change(instansi_code: InstansiCode, nip: PathNip, principal: CurrentPrincipal, svc: Svc) -> Response:
        await run_in_threadpool(
            account_admin.change,
            svc.uow_factory,
            instansi_code=instansi_code,
            nip=nip,
            action=action,
            by=_admin(principal),
            now=svc.clock(),
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    change.__name__ = f"account_{action.value}"
    router.post(
        f"/accounts/{{nip}}/{action.value}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary=summary,
        name=change.__name__,
        **guard(ADMIN_ACTS),
    )(change)


_account_route(AccountAction.DISABLE, "Nonaktifkan akun (setiap sesi dan token berakhir)")
_account_route(AccountAction.ENABLE, "Aktifkan kembali akun (sekaligus membuka kunci)")
_account_route(AccountAction.UNLOCK, "Buka kunci akun setelah terlalu banyak gagal masuk")


# --- policy ---------------------------------------------------------------------------------------------------------


@router.get("/policy", summary="Kebijakan penilaian yang berlaku", **guard(Rule("instansi", ADMIN)))
async def show_policy(instansi_code: InstansiCode, svc: Svc) -> AppraisalPolicy:
    return await run_in_threadpool(policy.show, svc.uow_factory, instansi_code)


@router.put("/policy", summary="Ganti penyesuaian kebijakan instansi", **guard(ADMIN_ACTS))
async def set_policy(
    instansi_code: InstansiCode, body: PolicyBody, principal: CurrentPrincipal, svc: Svc
) -> AppraisalPolicy:
    return await run_in_threadpool(
        policy.set_overrides,
        svc.uow_factory,
        instansi_code,
        body.penyesuaian,
        by=_admin(principal),
        now=svc.clock(),
    )
