"""Import files of one instansi, uploaded as `multipart/form-data` (field `berkas`, CSV or XLSX) — the same files and
the same checks as `kinerja impor ...`: the whole file is imported or nothing is, and the answer lists every bad row.

- `POST /instansi/{code}/imports/roster` (nama_instansi the first time), `.../iku` and `.../skp` (periode): admin
  kepegawaian;
- `POST /instansi/{code}/imports/survey` (periode or siklus, zona): admin kepegawaian or pengelola kinerja.

A request larger than an upload may be is refused before it is read (web.body_limit); the file's size, type (by
content) and rows are checked before any parser reads it (services.uploads).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, UploadFile
from starlette.concurrency import run_in_threadpool

from domain.access import Principal
from domain.bounds import MAX_REASON_CHARS, MAX_UPLOAD_BYTES
from domain.stages import Role
from services import import_files
from services.actors import Acting
from services.import_files import ImportKind, ImportOptions, ImportResult, ZoneName
from web.access import Rule
from web.deps import CurrentPrincipal, Svc, guard

router = APIRouter(prefix="/instansi/{instansi_code}/imports", tags=["impor"])
InstansiCode = Annotated[str, Path(min_length=1, max_length=32)]
Upload = Annotated[UploadFile, File(description="berkas CSV atau XLSX (paling besar 5 MB, 100.000 baris)")]
Period = Annotated[int | None, Form(ge=2000, le=2100, description="periode (bawaan: tahun ini)")]
RULES = {
    ImportKind.ROSTER: (Role.ADMIN_KEPEGAWAIAN,),
    ImportKind.IKU: (Role.ADMIN_KEPEGAWAIAN,),
    ImportKind.SKP: (Role.ADMIN_KEPEGAWAIAN,),
    ImportKind.SURVEY: (Role.ADMIN_KEPEGAWAIAN, Role.PENGELOLA_KINERJA),
}


def _acting(principal: Principal, instansi_code: str, allowed: tuple[Role, ...]) -> Acting:
    """The role the person imports in: the first of the route's roles they hold here (the guard saw one)."""
    held = principal.roles_in(instansi_code)
    return Acting(principal.nip, next((role for role in allowed if role in held), allowed[0]))


async def _run(
    svc: Svc, principal: Principal, kind: ImportKind, berkas: UploadFile, options: ImportOptions
) -> ImportResult:
    data = await berkas.read(MAX_UPLOAD_BYTES + 1)
    return await run_in_threadpool(
        import_files.import_upload,
        svc.uow_factory,
        kind,
        data,
        berkas.filename or "berkas",
        options,
        by=_acting(principal, options.instansi_code, RULES[kind]),
        now=svc.clock(),
    )


@router.post(
    "/roster",
    summary="Impor roster: unit kerja dan pegawai",
    **guard(Rule("instansi", RULES[ImportKind.ROSTER], acts=True)),
)
async def import_roster(
    instansi_code: InstansiCode,
    berkas: Upload,
    principal: CurrentPrincipal,
    svc: Svc,
    nama_instansi: Annotated[
        str | None,
        Form(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", description="wajib saat pertama kali"),
    ] = None,
) -> ImportResult:
    options = ImportOptions(instansi_code=instansi_code, instansi_name=nama_instansi)
    return await _run(svc, principal, ImportKind.ROSTER, berkas, options)


@router.post("/iku", summary="Impor IKU satu periode", **guard(Rule("instansi", RULES[ImportKind.IKU], acts=True)))
async def import_iku(
    instansi_code: InstansiCode,
    berkas: Upload,
    principal: CurrentPrincipal,
    svc: Svc,
    periode: Period = None,
    alasan_koreksi: Annotated[
        str | None,
        Form(
            min_length=1,
            max_length=MAX_REASON_CHARS,
            description="koreksi IKU yang sudah diimpor (versi baru) dengan alasan ini; RHK turunannya didaftar",
        ),
    ] = None,
) -> ImportResult:
    options = ImportOptions(instansi_code=instansi_code, period=periode, correction_reason=alasan_koreksi)
    return await _run(svc, principal, ImportKind.IKU, berkas, options)


@router.post("/skp", summary="Impor rancangan SKP", **guard(Rule("instansi", RULES[ImportKind.SKP], acts=True)))
async def import_skp(
    instansi_code: InstansiCode, berkas: Upload, principal: CurrentPrincipal, svc: Svc, periode: Period = None
) -> ImportResult:
    options = ImportOptions(instansi_code=instansi_code, period=periode)
    return await _run(svc, principal, ImportKind.SKP, berkas, options)


@router.post(
    "/survey",
    summary="Impor jawaban Survei Kepuasan Masyarakat dalam masa survei siklus",
    **guard(Rule("instansi", RULES[ImportKind.SURVEY], acts=True)),
)
async def import_survey(
    instansi_code: InstansiCode,
    berkas: Upload,
    principal: CurrentPrincipal,
    svc: Svc,
    periode: Period = None,
    siklus: Annotated[str | None, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")] = None,
    zona: Annotated[ZoneName | None, Form(description="zona kolom waktu yang ditulis tanpa zona")] = None,
) -> ImportResult:
    options = ImportOptions(instansi_code=instansi_code, period=periode, cycle_id=siklus, zone=zona)
    return await _run(svc, principal, ImportKind.SURVEY, berkas, options)
