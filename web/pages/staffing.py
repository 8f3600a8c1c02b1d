"""Kepegawaian, for the admin kepegawaian and the pengelola kinerja: `/kepegawaian` lists the instansi and cycles where
they hold the role; `/kepegawaian/instansi/{code}/impor` uploads the roster, IKU, SKP and survey files through the
same service and with the same roles as the API (web.routes.imports, services.import_files): the whole file is
stored or nothing is, and a refused file lists every bad line (line, column, message) beside its form.

The cycles (start, progress, status, report) are web.pages.staffing_cycles; accounts and roles
web.pages.staffing_accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from domain.bounds import MAX_UPLOAD_BYTES
from domain.errors import DomainError
from domain.stages import Role
from importing.errors import RowError, ValidationFailed
from services import cycle_directory, import_files
from services.actors import Acting
from services.import_files import ImportKind, ImportResult
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, render
from web.pages.scope import in_instansi, may
from web.pages.skp_form import text_values
from web.pages.staffing_forms import ZONE_CHOICES, FormRefused, import_options
from web.problems import MAX_ROW_ERRORS, Described
from web.routes.imports import RULES

router = APIRouter()
ROLES = (Role.ADMIN_KEPEGAWAIAN, Role.PENGELOLA_KINERJA)
SECTION = page(signed_in(*ROLES))
UPLOAD_PAGE = "pages/kepegawaian_impor.html"
UPLOAD_FORM = "pages/kepegawaian_impor_form.html"
OPTION_FIELDS = frozenset({"berkas", "nama_instansi", "periode", "siklus", "zona", "alasan_koreksi"})
NOT_FORM = (401, 403, 404)


@dataclass(frozen=True)
class UploadKind:
    kind: ImportKind
    title: str
    hint: str


KINDS = (
    UploadKind(ImportKind.ROSTER, "Roster pegawai", "Unit kerja dan pegawai (nip, nama, jabatan, unit, nip_atasan)."),
    UploadKind(
        ImportKind.IKU,
        "IKU",
        "Indikator kinerja utama satu periode. Untuk mengoreksi IKU yang sudah diimpor, isi alasan koreksinya.",
    ),
    UploadKind(ImportKind.SKP, "Rancangan SKP", "Rancangan SKP pegawai satu periode; disimpan sebagai draf."),
    UploadKind(ImportKind.SURVEY, "Survei kepuasan masyarakat", "Jawaban SKM dalam masa survei, satu per token."),
)
BY_SLUG = {upload.kind.value: upload for upload in KINDS}


def instansi_path(code: str) -> str:
    return f"/kepegawaian/instansi/{quote(code, safe='')}"


@router.get("/kepegawaian", response_class=HTMLResponse, **SECTION)
async def overview(request: Request, user: PageUser, svc: Svc) -> Response:
    def read() -> dict[str, Any]:
        return {
            "instansi": cycle_directory.instansi_for(svc.uow_factory, user.principal, ROLES),
            "cycles": cycle_directory.cycles_for(svc.uow_factory, user.principal, ROLES),
        }

    context = await run_in_threadpool(read)
    return render(request, "pages/kepegawaian.html", {**context, "admin": Role.ADMIN_KEPEGAWAIAN}, user=user)


@router.get("/kepegawaian/instansi/{instansi_code}/impor", response_class=HTMLResponse, **SECTION)
async def uploads(request: Request, user: PageUser, svc: Svc, instansi_code: str) -> Response:
    in_instansi(user.principal, instansi_code, ROLES)
    return _show(request, user, instansi_code)


@router.post("/kepegawaian/instansi/{instansi_code}/impor/{jenis}", response_class=HTMLResponse, **SECTION)
async def upload(request: Request, user: FormUser, svc: Svc, instansi_code: str, jenis: str) -> Response:
    chosen = BY_SLUG.get(jenis)
    if chosen is None:
        return render(request, "galat.html", {"problem": _unknown(jenis), "csrf": False}, user=user, status=404)
    role = in_instansi(user.principal, instansi_code, RULES[chosen.kind])
    form = await request.form()
    values = text_values(form)
    berkas = form.get("berkas")
    try:
        options = import_options(chosen.kind, instansi_code, values)
        if not isinstance(berkas, UploadFile) or not berkas.filename:
            raise FormRefused({"berkas": "pilih berkas CSV atau XLSX"})
        data = await berkas.read(MAX_UPLOAD_BYTES + 1)
        result = await run_in_threadpool(
            partial(
                import_files.import_upload,
                svc.uow_factory,
                chosen.kind,
                data,
                berkas.filename,
                options,
                by=Acting(user.principal.nip, role),
                now=svc.clock(),
            )
        )
    except FormRefused as refused:
        return _show(request, user, instansi_code, chosen, values=values, errors=refused.errors())
    except ValidationFailed as refused:
        errors = FormErrors(fields={"berkas": str(refused.message)}, status=422)
        rows = refused.errors[:MAX_ROW_ERRORS]
        return _show(request, user, instansi_code, chosen, values=values, errors=errors, rows=rows, failed=refused)
    except DomainError as refused:
        errors = FormErrors.of(refused, OPTION_FIELDS)
        if errors.status in NOT_FORM and not errors.fields:
            raise
        return _show(request, user, instansi_code, chosen, values=values, errors=errors)
    return _show(request, user, instansi_code, chosen, values=values, result=result)


def _unknown(jenis: str) -> Described:
    return Described(404, f"jenis impor '{jenis[:20]}' tidak ada; pilihan: roster, iku, skp, survey")


def _show(
    request: Request,
    user: Caller,
    instansi_code: str,
    chosen: UploadKind | None = None,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    rows: list[RowError] | None = None,
    failed: ValidationFailed | None = None,
    result: ImportResult | None = None,
) -> HTMLResponse:
    """The uploads page; the outcome (summary, or every bad line) beside the form that was sent."""
    allowed = [u for u in KINDS if may(user.principal, instansi_code, RULES[u.kind])]
    context: dict[str, Any] = {
        "instansi_code": instansi_code,
        "base": instansi_path(instansi_code),
        "kinds": allowed,
        "chosen": chosen.kind.value if chosen else "",
        "upload": chosen,
        "values": values or {},
        "form_errors": errors or FormErrors(),
        "rows": rows or [],
        "failed": failed,
        "result": result,
        "zones": [("", "–"), ("WIB", "WIB"), ("WITA", "WITA"), ("WIT", "WIT")],
        "zone_choices": ZONE_CHOICES,
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    status = errors.status if errors is not None else 200
    return render(request, UPLOAD_PAGE, context, user=user, status=status, fragment=UPLOAD_FORM)
