"""A cycle on the kepegawaian pages: started by the admin kepegawaian (the API's start body as a form; the officials
come from the instansi's grants, services.cycle_start), then its enrolment followed on a progress bar that htmx polls
every 2 s (without JavaScript: a link that loads the page again), its status, and its report as a page and as the
XLSX and CSV files `kinerja siklus laporan` writes (services.cycle_report, services.report_files).

Who may do what is the API's rule for each (web.routes.cycles): the start, and counting a running cycle's deadlines
again on new working days, are the admin kepegawaian's; the status and the report are the admin's and the pengelola
kinerja's, for a cycle of an instansi where they hold the role.
"""

from __future__ import annotations

import io
import uuid
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from documents import archive
from domain.calendar import FIELD_LABELS
from domain.errors import DomainError
from domain.ratings import Predicate
from domain.stages import Role
from persistence.ports import CycleRecord
from services import calendar_change, cycle_actions, cycle_directory, cycle_report, cycle_start, report_files
from services.actors import Acting
from services.calendar_change import CalendarBody
from services.cycle_progress import enrolment
from services.steps import keyed_update_id
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, render
from web.pages.scope import cycle_of, in_instansi, may
from web.pages.skp_form import text_values
from web.pages.staffing import ROLES, instansi_path
from web.pages.staffing_forms import CALENDAR_FIELDS, START_FIELDS, ZONE_CHOICES, FormRefused, start_body
from workflows.cycle_contracts import CyclePhase

router = APIRouter()
SECTION = page(signed_in(*ROLES))
STARTS = (Role.ADMIN_KEPEGAWAIAN,)
CALIBRATES = (Role.PIMPINAN, Role.PENGELOLA_KINERJA)  # who opens the cycle's calibration page
READS = ROLES  # of the API's readers of a cycle and its report, those this section is for
UNIT_LIMIT = 300  # a unit's documents drawn in one request (~45 s of a core here); more: `kinerja siklus dokumen`
PROGRESS = "pages/kepegawaian_kemajuan.html"
REPORT_PAGE_SIZE = 100
ALL = 10_000_000  # a download holds every reviewed employee
NOT_FORM = (401, 403, 404)
REFUSALS = (DomainError, WorkflowAlreadyStartedError, RPCError)
CALENDAR_REFUSALS = (DomainError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError)
CALENDAR_FORM = frozenset({"alasan"})


def cycle_path(cycle_id: str) -> str:
    return f"/kepegawaian/siklus/{quote(cycle_id, safe='')}"


@router.get("/kepegawaian/instansi/{instansi_code}/siklus", response_class=HTMLResponse, **SECTION)
async def cycles(request: Request, user: PageUser, svc: Svc, instansi_code: str) -> Response:
    in_instansi(user.principal, instansi_code, ROLES)
    return await _cycles(request, user, svc, instansi_code)


@router.post("/kepegawaian/instansi/{instansi_code}/siklus", response_class=HTMLResponse, **SECTION)
async def start(request: Request, user: FormUser, svc: Svc, instansi_code: str) -> Response:
    """The admin kepegawaian starts a cycle (safe to repeat: a running one is found again)."""
    in_instansi(user.principal, instansi_code, STARTS)
    form = text_values(await request.form())
    try:
        body = start_body(form)
        started = await cycle_start.start_from_grants(
            await svc.temporal.client(),
            svc.uow_factory,
            body.order(instansi_code),
            task_queue=svc.settings.temporal.task_queue,
            by=Acting(user.principal.nip, Role.ADMIN_KEPEGAWAIAN),
            now=svc.clock(),
        )
    except FormRefused as refused:
        return await _cycles(request, user, svc, instansi_code, form=form, errors=refused.errors())
    except REFUSALS as refused:
        errors = FormErrors.of(refused, START_FIELDS)
        if errors.status in NOT_FORM and not errors.fields:
            raise
        return await _cycles(request, user, svc, instansi_code, form=form, errors=errors)
    return RedirectResponse(f"{cycle_path(started.cycle_id)}?pesan=siklus-dimulai", status_code=303)


@router.get("/kepegawaian/siklus/{cycle_id}", response_class=HTMLResponse, **SECTION)
async def status(request: Request, user: PageUser, svc: Svc, cycle_id: str) -> Response:
    record = await cycle_of(svc, user.principal, cycle_id, READS)
    return await _status(request, user, svc, record, fragment=None)


@router.post("/kepegawaian/siklus/{cycle_id}/kalender", response_class=HTMLResponse, **SECTION)
async def count_calendar_again(request: Request, user: FormUser, svc: Svc, cycle_id: str) -> Response:
    """The admin kepegawaian has the cycle count its deadlines in hari kerja again on the working days the policy now
    holds (services.calendar_change); every running appraisal takes them up."""
    record = await cycle_of(svc, user.principal, cycle_id, STARTS)
    form = text_values(await request.form())
    try:
        body = CalendarBody.model_validate({"alasan": form.get("alasan", "")})
        key = form.get("kunci") or None
        await calendar_change.count_again(
            await svc.temporal.client(),
            svc.uow_factory,
            record.cycle_id,
            user.principal.nip,
            reason=body.alasan,
            update_id=keyed_update_id(user.principal, "calendar", record.cycle_id, "", key) if key else None,
        )
    except ValidationError as invalid:
        errors = FormErrors.of(RequestValidationError(invalid.errors()), CALENDAR_FORM)
        return await _status(request, user, svc, record, fragment=None, form=form, errors=errors)
    except CALENDAR_REFUSALS as refused:
        errors = FormErrors.of(refused, CALENDAR_FORM)
        if errors.status in NOT_FORM and not errors.fields:
            raise
        return await _status(request, user, svc, record, fragment=None, form=form, errors=errors)
    return RedirectResponse(f"{cycle_path(record.cycle_id)}?pesan=kalender-dihitung", status_code=303)


@router.get("/kepegawaian/siklus/{cycle_id}/kemajuan", response_class=HTMLResponse, **SECTION)
async def progress(request: Request, user: PageUser, svc: Svc, cycle_id: str) -> Response:
    """The progress bar alone, for htmx to poll (a browser without it gets the whole status page)."""
    record = await cycle_of(svc, user.principal, cycle_id, READS)
    return await _status(request, user, svc, record, fragment=PROGRESS)


@router.get("/kepegawaian/siklus/{cycle_id}/laporan", response_class=HTMLResponse, **SECTION)
async def report(
    request: Request,
    user: PageUser,
    svc: Svc,
    cycle_id: str,
    mulai: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    record = await cycle_of(svc, user.principal, cycle_id, READS)
    client = await svc.temporal.client()
    view = await cycle_report.of_cycle(client, svc.uow_factory, cycle_id, offset=mulai, limit=REPORT_PAGE_SIZE)
    context = {
        "view": view,
        "base": cycle_path(cycle_id),
        "zone": record.deadlines.utc_offset_hours,
        "predicates": list(Predicate),
        "survey": {u.unit: u for u in view.survei},
        "offset": mulai,
        "size": REPORT_PAGE_SIZE,
    }
    return render(request, "pages/kepegawaian_laporan.html", context, user=user)


@router.get("/kepegawaian/siklus/{cycle_id}/laporan.xlsx", **SECTION)
async def report_xlsx(user: PageUser, svc: Svc, cycle_id: str) -> Response:
    await cycle_of(svc, user.principal, cycle_id, READS)
    view = await cycle_report.of_cycle(await svc.temporal.client(), svc.uow_factory, cycle_id, offset=0, limit=ALL)
    data = await run_in_threadpool(report_files.xlsx_bytes, view)
    return _download(data, report_files.XLSX_TYPE, f"laporan-{cycle_id}.xlsx")


@router.get("/kepegawaian/siklus/{cycle_id}/laporan.csv", **SECTION)
async def report_csv(user: PageUser, svc: Svc, cycle_id: str) -> Response:
    await cycle_of(svc, user.principal, cycle_id, READS)
    view = await cycle_report.of_cycle(await svc.temporal.client(), svc.uow_factory, cycle_id, offset=0, limit=ALL)
    text = await run_in_threadpool(report_files.csv_text, view)
    return _download(text.encode("utf-8"), report_files.CSV_TYPE, f"laporan-{cycle_id}.csv")


@router.get("/kepegawaian/siklus/{cycle_id}/dokumen", **SECTION)
async def documents(
    user: PageUser,
    svc: Svc,
    cycle_id: str,
    unit: Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]+$", description="kode unit")],
) -> Response:
    """One unit's evaluation documents whose result is set, as a ZIP (the whole cycle: `kinerja siklus dokumen`)."""
    await cycle_of(svc, user.principal, cycle_id, READS)
    out = io.BytesIO()
    write = partial(archive.write, svc.uow_factory, cycle_id, out, now=svc.clock(), unit_code=unit, limit=UNIT_LIMIT)
    await run_in_threadpool(write)
    named = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in unit)
    return _download(out.getvalue(), "application/zip", f"dokumen-evaluasi-{cycle_id}-{named}.zip")


def _download(data: bytes, media_type: str, filename: str) -> Response:
    # A cycle id is letters, digits, '.', '_' and '-' (StartBody): safe in the header as it is.
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return Response(content=data, media_type=media_type, headers=headers)


async def _cycles(
    request: Request,
    user: Caller,
    svc: Svc,
    instansi_code: str,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    found = await run_in_threadpool(cycle_directory.cycles_for, svc.uow_factory, user.principal, ROLES)
    context: dict[str, Any] = {
        "instansi_code": instansi_code,
        "base": instansi_path(instansi_code),
        "cycles": [c for c in found if c.instansi_code == instansi_code],
        "may_start": may(user.principal, instansi_code, STARTS),
        "calendar_fields": [(name, FIELD_LABELS[name]) for name in CALENDAR_FIELDS],
        "zone_choices": ZONE_CHOICES,
        "form": form or {},
    }
    if errors is not None:
        context["errors"] = errors
    status = errors.status if errors is not None else 200
    return render(request, "pages/kepegawaian_siklus.html", context, user=user, status=status)


async def _status(
    request: Request,
    user: Caller,
    svc: Svc,
    record: CycleRecord,
    *,
    fragment: str | None,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    state = await cycle_actions.state(await svc.temporal.client(), record.cycle_id)
    context: dict[str, Any] = {
        "state": state,
        "record": record,
        "progress": enrolment(state),
        "base": cycle_path(record.cycle_id),
        "zone": record.deadlines.utc_offset_hours,
        "deadlines": [
            (FIELD_LABELS[name], getattr(record.deadlines, name))
            for name in CALENDAR_FIELDS
            if name not in ("objection_window", "objection_decision_due")
        ],
        "predicates": list(Predicate),
        "calibrates": may(user.principal, record.instansi_code, CALIBRATES, record.cycle_id),
        "may_count_again": may(user.principal, record.instansi_code, STARTS, record.cycle_id)
        and state.phase is not CyclePhase.CLOSED,
        "key": uuid.uuid4().hex,  # sent twice (a double click), the count is taken once
        "polled": fragment is not None,
        "form": form or {},
    }
    if errors is not None:
        context["errors"] = errors
    status = errors.status if errors is not None else 200
    return render(request, "pages/kepegawaian_siklus_status.html", context, user=user, fragment=fragment, status=status)
