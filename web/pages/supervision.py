"""The supervision team's pages (`/pengawasan`, tim pengawasan and pengelola kinerja): one cycle's overdue steps by
unit, stage and how long overdue, with their counts and a page at a time (services.supervision); and the bulk actions
over them (`/pengawasan/{cycle}/massal`): extend the deadlines of what the filter matches, move every appraisal of
one pejabat penilai to another, or move those whose reviewers the roster no longer names (a mutasi from a roster
import) to whom it names now. Each bulk action is first tried (`coba`: services.bulk lists what it would touch
and changes nothing), then confirmed, and the outcome is shown per employee.

The filters are a GET form (htmx swaps the list; without JavaScript the page reloads). The actions go through
services.bulk, as `POST /api/v1/cycles/{id}/bulk/...` does: each appraisal through services.steps on its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from temporalio.service import RPCError

from domain.errors import DomainError
from domain.formats import tanggal
from services import bulk, supervision
from services.bulk import ExtendManyBody, FollowRosterBody, ReassignManyBody
from services.supervision import SUPERVISORS, CycleChoice, OverdueFilter
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, render
from web.pages.supervision_forms import (
    STAGES,
    days_overdue,
    deadline,
    idempotency_key,
    optional,
    refused,
    stage_of,
    text_values,
)

router = APIRouter()
PAGE_SIZE = 50
MAX_PAGE = 100_000
LIST = "pages/pengawasan_daftar.html"
PAGE_FIELDS = ("halaman", "rekap")  # which page of the list, of the tally per unit
FILTER_FIELDS = ("unit", "tahap", "terlambat", *PAGE_FIELDS)
EXTEND_FIELDS = {"unit", "tahap", "terlambat", "tanggal", "jam", "alasan"}
REASSIGN_FIELDS = {"dari", "penilai", "atasan", "unit", "alasan"}
ROSTER_FIELDS = {"unit", "alasan"}
NOT_FORM = (401, 403, 404)
REFUSALS = (DomainError, ValidationError, RPCError)


@router.get("/pengawasan", response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def overdue(request: Request, user: PageUser, svc: Svc) -> Response:
    params = request.query_params
    cycles = await run_in_threadpool(supervision.cycles_held, svc.uow_factory, user.principal, SUPERVISORS)
    chosen_id = params.get("siklus", "").strip() or (cycles[0].cycle_id if cycles else "")
    context: dict[str, Any] = {"cycles": cycles, "cycle": None, "listing": None, "filter_query": {}}
    if not chosen_id:
        return render(request, "pages/pengawasan.html", context, user=user)
    cycle = next((held for held in cycles if held.cycle_id == chosen_id), None)
    if cycle is None:  # older than the cycles listed, or not the person's: the picker still says which one is shown
        cycle = await run_in_threadpool(supervision.cycle_held, svc.uow_factory, user.principal, chosen_id, SUPERVISORS)
        context["cycles"] = [cycle, *cycles]
    form = {name: params.get(name, "").strip() for name in FILTER_FIELDS}
    context.update(cycle=cycle, form=form, stages=STAGES)
    if request.headers.get("hx-request") != "true":  # the filter's fields are outside the list htmx swaps
        context["units"] = await run_in_threadpool(supervision.unit_choices, svc.uow_factory, cycle.instansi_code)
    try:
        chosen, number, tally_number = _filter(params)
        listing = await run_in_threadpool(
            lambda: supervision.overdue_page(
                svc.uow_factory,
                cycle,
                chosen,
                now=svc.clock(),
                limit=PAGE_SIZE,
                offset=(number - 1) * PAGE_SIZE,
                tally_offset=(tally_number - 1) * supervision.TALLY_UNITS,
            )
        )
    except DomainError as error:
        errors = refused(error, "", set(FILTER_FIELDS))
        context.update(errors=errors)
        return render(request, "pages/pengawasan.html", context, user=user, status=errors.status, fragment=LIST)
    query = {"siklus": cycle.cycle_id, **{k: v for k, v in form.items() if v and k not in PAGE_FIELDS}}
    # The tally's links add a unit and a stage to the filter: its other fields encoded once, not in every cell.
    tally_query = urlencode({k: v for k, v in query.items() if k not in ("unit", "tahap")})
    context.update(
        listing=listing, page_number=number, tally_page=tally_number, filter_query=query, tally_query=tally_query
    )
    return render(request, "pages/pengawasan.html", context, user=user, fragment=LIST)


def _filter(params: QueryParams) -> tuple[OverdueFilter, int, int]:
    unit = params.get("unit", "").strip()
    if len(unit) > 32 or any(ord(ch) < 32 or ord(ch) == 127 for ch in unit):
        raise DomainError("kode unit paling panjang 32 karakter, tanpa karakter kendali", field="unit")
    chosen = OverdueFilter(
        unit=unit or None,
        stage=stage_of(params.get("tahap", "").strip()),
        days=days_overdue(params.get("terlambat", "").strip()),
    )
    return chosen, _page_number(params, "halaman"), _page_number(params, "rekap")


def _page_number(params: QueryParams, name: str) -> int:
    text = params.get(name, "").strip() or "1"
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise DomainError(f"halaman 1 sampai {MAX_PAGE}", field=name)
    return int(text)


# --- bulk actions ----------------------------------------------------------------------------------------------------

MASSAL = "/pengawasan/{cycle_id}/massal"


@router.get(MASSAL, response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def bulk_forms(request: Request, user: PageUser, svc: Svc, cycle_id: str) -> Response:
    """The two bulk forms, the extension's filled in with the list's filter it was opened from."""
    cycle = await run_in_threadpool(supervision.cycle_held, svc.uow_factory, user.principal, cycle_id, SUPERVISORS)
    params = request.query_params
    extend = {name: params.get(name, "").strip()[:40] for name in ("unit", "tahap", "terlambat")}
    extend["jam"] = "23:59"
    return await _show_bulk(request, user, svc, cycle, "extend", form=extend)


@router.post(MASSAL + "/perpanjang", response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def bulk_extend(request: Request, user: FormUser, svc: Svc, cycle_id: str) -> Response:
    cycle = await run_in_threadpool(supervision.cycle_held, svc.uow_factory, user.principal, cycle_id, SUPERVISORS)
    sent = await request.form()
    form = text_values(sent, "perpanjang-")
    trial = text_values(sent).get("aksi") != "jalankan"
    try:
        body = ExtendManyBody(
            unit=optional(form.get("unit")),
            tahap=stage_of(form.get("tahap", "")),
            terlambat_sejak=OverdueFilter(days=days_overdue(form.get("terlambat", ""))).age,
            sampai=deadline(form.get("tanggal", ""), form.get("jam", ""), cycle.utc_offset_hours),
            alasan=form.get("alasan", ""),
            coba=trial,
        )
        client = await svc.temporal.client()
        key = None if trial else idempotency_key(form.get("kunci"))
        result = await bulk.extend(
            client, svc.uow_factory, user.principal, cycle.cycle_id, body, key=key, now=svc.clock()
        )
    except REFUSALS as error:
        errors = refused(error, "perpanjang-", EXTEND_FIELDS)
        if errors.status in NOT_FORM:
            raise
        return await _show_bulk(request, user, svc, cycle, "extend", form=form, errors=errors)
    form["kunci"] = uuid.uuid4().hex
    return await _show_bulk(request, user, svc, cycle, "extend", form=form, result=result, until=body.sampai)


@router.post(MASSAL + "/alihkan", response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def bulk_reassign(request: Request, user: FormUser, svc: Svc, cycle_id: str) -> Response:
    cycle = await run_in_threadpool(supervision.cycle_held, svc.uow_factory, user.principal, cycle_id, SUPERVISORS)
    sent = await request.form()
    form = text_values(sent, "alihkan-")
    trial = text_values(sent).get("aksi") != "jalankan"
    try:
        body = ReassignManyBody(
            dari=form.get("dari", ""),
            penilai=form.get("penilai", ""),
            atasan=optional(form.get("atasan")),
            unit=optional(form.get("unit")),
            alasan=form.get("alasan", ""),
            coba=trial,
        )
        client = await svc.temporal.client()
        key = None if trial else idempotency_key(form.get("kunci"))
        result = await bulk.reassign(client, svc.uow_factory, user.principal, cycle.cycle_id, body, key=key)
    except REFUSALS as error:
        errors = refused(error, "alihkan-", REASSIGN_FIELDS)
        if errors.status in NOT_FORM:
            raise
        return await _show_bulk(request, user, svc, cycle, "reassign", form=form, errors=errors)
    form["kunci"] = uuid.uuid4().hex
    return await _show_bulk(request, user, svc, cycle, "reassign", form=form, result=result)


@router.post(MASSAL + "/ikuti-roster", response_class=HTMLResponse, **page(signed_in(*SUPERVISORS)))
async def bulk_follow_roster(request: Request, user: FormUser, svc: Svc, cycle_id: str) -> Response:
    """Move the running appraisals whose reviewers the roster no longer names (after a roster import) to whom it
    names now: tried first, then confirmed, as the other two."""
    cycle = await run_in_threadpool(supervision.cycle_held, svc.uow_factory, user.principal, cycle_id, SUPERVISORS)
    sent = await request.form()
    form = text_values(sent, "roster-")
    trial = text_values(sent).get("aksi") != "jalankan"
    try:
        body = FollowRosterBody(unit=optional(form.get("unit")), alasan=form.get("alasan", ""), coba=trial)
        client = await svc.temporal.client()
        key = None if trial else idempotency_key(form.get("kunci"))
        today = svc.clock().date()
        result = await bulk.follow_roster(
            client, svc.uow_factory, user.principal, cycle.cycle_id, body, key=key, today=today
        )
    except REFUSALS as error:
        errors = refused(error, "roster-", ROSTER_FIELDS)
        if errors.status in NOT_FORM:
            raise
        return await _show_bulk(request, user, svc, cycle, "roster", form=form, errors=errors)
    form["kunci"] = uuid.uuid4().hex
    return await _show_bulk(request, user, svc, cycle, "roster", form=form, result=result)


# Each bulk form: its template (also the fragment htmx swaps in), and the names its state has in the context.
BULK_FORMS = {
    "extend": ("pages/pengawasan_perpanjang.html", "extended"),
    "reassign": ("pages/pengawasan_alihkan.html", "reassigned"),
    "roster": ("pages/pengawasan_roster.html", "followed"),
}


async def _show_bulk(
    request: Request,
    user: Caller,
    svc: Svc,
    cycle: CycleChoice,
    which: str,
    *,
    form: dict[str, str],
    errors: FormErrors | None = None,
    result: bulk.BulkResult | None = None,
    until: datetime | None = None,
) -> Response:
    """The bulk page with the form `which` as it was sent (its errors, or its trial's or run's result) and the other
    forms empty; with htmx, that form's section alone."""
    context: dict[str, Any] = {
        "cycle": cycle,
        "units": await run_in_threadpool(supervision.unit_choices, svc.uow_factory, cycle.instansi_code),
        "stages": STAGES,
        "extend_form": {"jam": "23:59"},
        "reassign_form": {},
        "roster_form": {"alasan": f"Mutasi sesuai roster terbaru (per {tanggal(svc.clock(), cycle.utc_offset_hours)})"},
        "extend_until": until,
    }
    for name, (_, outcome) in BULK_FORMS.items():
        context[f"{name}_errors"] = FormErrors()
        context[outcome] = None
    template, outcome = BULK_FORMS[which]
    context[f"{which}_form"] = form
    context[f"{which}_errors"] = errors or FormErrors()
    context[outcome] = result
    status = errors.status if errors is not None else 200
    fragment = template if errors is not None or result is not None else None
    return render(request, "pages/pengawasan_massal.html", context, user=user, status=status, fragment=fragment)
