"""Kalibrasi (SE MenPAN-RB 3/2023), for the pimpinan and the pengelola kinerja: `/kalibrasi` lists the cycles of the
instansi where they hold the role; `/kalibrasi/{cycle}` shows, per unit and for the whole instansi, the distribution
of predicates against the pattern of the organisation predicate (a chart drawn on the server, the same numbers in a
table), the rules broken, the stored minimal-change proposal and, once locked, the committee's decision.

The pimpinan sets the organisation predicate (`/usulan`: the API's proposal, services.cycle_actions.propose) and
decides (`/putusan`: the API's decision, cycle_actions.decide), each change with its justification
(services.calibration_decision); the cycle workflow's validators and activities apply the rules. Both forms work
without JavaScript (a redirect to the page with its message); with htmx the board is swapped in place.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from domain.errors import DomainError
from domain.ratings import OrgPredicate, Predicate
from domain.stages import Role
from persistence.ports import CycleRecord
from services import calibration_board, cycle_actions, cycle_directory
from services.calibration_board import Board, Distribution
from services.calibration_decision import (
    ACCEPT,
    EXTRA_ROWS,
    REJECT,
    DecisionRefused,
    change_field,
    decision_from_form,
    extra_fields,
    reason_field,
)
from services.cycle_actions import ProposalBody
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.charts import Band, Series, bar_chart, ident, percent_text, share
from web.pages.deps import FLASHES, FormErrors, FormUser, PageUser, render
from web.pages.scope import cycle_of, may
from web.pages.skp_form import text_values
from workflows.cycle_contracts import CalibrationState, CyclePhase, CycleRef

router = APIRouter()
ROLES = (Role.PIMPINAN, Role.PENGELOLA_KINERJA)
DECIDES = (Role.PIMPINAN,)
PAGE = "pages/kalibrasi_siklus.html"
BOARD = "pages/kalibrasi_isi.html"
PROPOSAL_FIELDS = frozenset({"predikat_organisasi", "rekomendasi_pengelola", "rekomendasi_pengawasan"})
NOT_FORM = (401, 403, 404)
REFUSALS = (DomainError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError)
# The workflow names the decision's fields as the API's body does not: shown beside the page's own fields.
DECISION_FIELD_NAMES = {"justification": "justifikasi", "keputusan": "keputusan"}
PREDICATES = [(p.value, p.label) for p in Predicate]
ORG_PREDICATES = [(p.value, p.label) for p in OrgPredicate]


def cycle_path(cycle_id: str) -> str:
    return f"/kalibrasi/{quote(cycle_id, safe='')}"


@router.get("/kalibrasi", response_class=HTMLResponse, **page(signed_in(*ROLES)))
async def cycles(request: Request, user: PageUser, svc: Svc) -> Response:
    entries = await run_in_threadpool(cycle_directory.cycles_for, svc.uow_factory, user.principal, ROLES)
    return render(request, "pages/kalibrasi.html", {"cycles": entries}, user=user)


@router.get("/kalibrasi/{cycle_id}", response_class=HTMLResponse, **page(signed_in(*ROLES)))
async def board_page(
    request: Request,
    user: PageUser,
    svc: Svc,
    cycle_id: str,
    pola: Annotated[OrgPredicate | None, Query(description="pola untuk dilihat sebelum predikat ditetapkan")] = None,
    unit_hal: Annotated[int, Query(ge=1, le=100_000, description="halaman daftar unit")] = 1,
    ubah_hal: Annotated[int, Query(ge=1, le=100_000, description="halaman perubahan yang diusulkan")] = 1,
) -> Response:
    record = await cycle_of(svc, user.principal, cycle_id, ROLES)
    return await _show(request, user, svc, record, preview=pola, unit_page=unit_hal, change_page=ubah_hal)


@router.post("/kalibrasi/{cycle_id}/usulan", response_class=HTMLResponse, **page(signed_in(*ROLES)))
async def propose(request: Request, user: FormUser, svc: Svc, cycle_id: str) -> Response:
    """The pimpinan sets the organisation predicate: the pattern is checked and the minimal proposal stored."""
    form = text_values(await request.form())
    record = await cycle_of(svc, user.principal, cycle_id, DECIDES)
    try:
        body = ProposalBody.model_validate({name: form.get(name) or None for name in PROPOSAL_FIELDS})
        client = await svc.temporal.client()
        await cycle_actions.propose(client, cycle_id, user.principal.nip, body, form.get("kunci") or None)
    except ValidationError as invalid:
        errors = FormErrors.of(RequestValidationError(invalid.errors()), PROPOSAL_FIELDS)
        return await _show(request, user, svc, record, form=form, errors=errors, refused="usulan")
    except REFUSALS as refused:
        errors = FormErrors.of(refused, PROPOSAL_FIELDS)
        if errors.status in NOT_FORM:
            raise
        return await _show(request, user, svc, record, form=form, errors=errors, refused="usulan")
    return await _done(request, user, svc, record, "kalibrasi-diusulkan")


@router.post("/kalibrasi/{cycle_id}/putusan", response_class=HTMLResponse, **page(signed_in(*ROLES)))
async def decide(request: Request, user: FormUser, svc: Svc, cycle_id: str) -> Response:
    """The pimpinan accepts or rejects the proposal, each changed predicate with its justification; locked."""
    form = text_values(await request.form())
    record = await cycle_of(svc, user.principal, cycle_id, DECIDES)
    ref = CycleRef(cycle_id=cycle_id, instansi_code=record.instansi_code, period=record.period)
    # The changes on the page the decision was sent from, each with its fields; one on another page is set in the
    # rows for other employees.
    change_page = _page_number(form.get("ubah_hal", ""))
    stored = await run_in_threadpool(calibration_board.stored, svc.uow_factory, ref, change_page)
    try:
        body = decision_from_form(form, calibration_board.changes_of(stored).shown, form.get("usulan", ""))
        client = await svc.temporal.client()
        await cycle_actions.decide(client, cycle_id, user.principal.nip, body, form.get("kunci") or None)
    except DecisionRefused as refused:
        errors = FormErrors(status=422)
        for where, message in refused.problems:
            if where is None:
                errors.general = message if errors.general is None else f"{errors.general}; {message}"
            else:
                errors.fields.setdefault(where, message)
        summary = (
            f"Keputusan belum dikirim: {len(refused.problems)} isian perlu diperbaiki (pesannya di samping isian)."
        )
        errors.general = summary if errors.general is None else f"{summary} {errors.general}"
        return await _show(
            request, user, svc, record, form=form, errors=errors, refused="putusan", change_page=change_page
        )
    except REFUSALS as refused:
        errors = FormErrors.of(refused, set(DECISION_FIELD_NAMES))
        if errors.status in NOT_FORM:
            raise
        errors.fields = {DECISION_FIELD_NAMES.get(name, name): text for name, text in errors.fields.items()}
        return await _show(
            request, user, svc, record, form=form, errors=errors, refused="putusan", change_page=change_page
        )
    return await _done(request, user, svc, record, "kalibrasi-dikunci")


async def _done(request: Request, user: Caller, svc: Svc, record: CycleRecord, message: str) -> Response:
    """Without JavaScript: back to the page with its message; with htmx: the board as it now stands."""
    if request.headers.get("hx-request") == "true":
        return await _show(request, user, svc, record, done=FLASHES[message])
    return RedirectResponse(f"{cycle_path(record.cycle_id)}?pesan={message}", status_code=303)


async def _show(
    request: Request,
    user: Caller,
    svc: Svc,
    record: CycleRecord,
    *,
    preview: OrgPredicate | None = None,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    refused: str = "",
    done: str | None = None,
    unit_page: int = 1,
    change_page: int = 1,
) -> HTMLResponse:
    cycle_id = record.cycle_id
    state = await cycle_actions.calibration_state(await svc.temporal.client(), cycle_id)
    board = await run_in_threadpool(calibration_board.board, svc.uow_factory, state, preview, unit_page, change_page)
    unit_list = board.unit_list
    decides = may(user.principal, state.instansi_code, DECIDES, cycle_id)
    open_ = state.phase is CyclePhase.CALIBRATING and state.outcome is None
    context: dict[str, Any] = {
        "state": state,
        "board": board,
        "base": cycle_path(cycle_id),
        "zone": record.deadlines.utc_offset_hours,
        "share": share,
        "percent": percent_text,
        "ident": ident,
        "charts": _charts(board, state, unit_list.shown),
        "unit_list": unit_list,
        "change_list": calibration_board.changes_of(board.stored),
        "may_propose": decides and open_,
        "may_decide": decides and open_ and state.calibration is not None,
        "predicates": PREDICATES,
        "org_predicates": ORG_PREDICATES,
        "accept": ACCEPT,
        "reject": REJECT,
        "extra_rows": [extra_fields(row) for row in range(EXTRA_ROWS)],
        "change_field": change_field,
        "reason_field": reason_field,
        "kunci": _key(form or {}, errors),
        "refused": refused,
        "done": done,
        "form": form or {},
    }
    if errors is not None:
        context["errors"] = errors
    status = errors.status if errors is not None else 200
    return render(request, PAGE, context, user=user, status=status, fragment=BOARD)


def _page_number(text: str) -> int:
    """A page number sent back by the form (1 when absent or not a number in bounds)."""
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 else 1


def _key(form: dict[str, str], errors: FormErrors | None) -> str:
    """The form's idempotency key: the one just sent when Temporal did not answer (sent again, a step that was
    recorded after all is answered with its first result), else a new one (an Update refused or failed keeps its
    answer under its key, so the corrected form must be a new Update)."""
    sent = form.get("kunci", "")
    if errors is not None and errors.status in (503, 504) and 0 < len(sent) <= 64 and sent.isalnum():
        return sent
    return uuid.uuid4().hex


def _charts(board: Board, state: CalibrationState, units: list[Distribution]) -> dict[str, Markup]:
    """The instansi's chart (with the proposal or the decision beside the predicates as they stand) and one per
    unit shown, keyed by unit code ("" for the instansi)."""
    extra: list[Series] = []
    stored = board.stored
    if stored is not None and stored.proposal is not None:
        extra.append(Series("usulan", "Usulan", _ordered(stored.proposal.counts_after)))
    if state.outcome is not None:
        extra.append(Series("putusan", "Keputusan", _ordered(state.outcome.counts)))
    charts = {"": _chart(board.instansi, board, extra)}
    for unit in units:
        charts[unit.unit] = _chart(unit, board, [])
    return charts


def _chart(found: Distribution, board: Board, extra: list[Series]) -> Markup:
    who = found.name if found.unit == "" else f"unit {found.name}"
    labels = [p.label for p in Predicate]
    described = "; ".join(f"{p.label} {found.counts[p]}" for p in Predicate)
    rules = "; ".join(f"{r.text} ({'terpenuhi' if r.met else 'tidak terpenuhi'})" for r in found.rules)
    return bar_chart(
        chart_id=f"grafik-{found.unit or 'instansi'}",
        title=f"Distribusi predikat {who} terhadap pola capaian organisasi {board.org_predicate.label}",
        description=f"{found.total} pegawai: {described}. Pola: {rules}.",
        categories=labels,
        series=[Series("sekarang", "Hasil penilaian", _ordered(found.counts)), *extra],
        bands=[Band(list(Predicate).index(p), low, high, text) for p, low, high, text in found.bands()],
    )


def _ordered(counts: dict[Predicate, int]) -> tuple[int, ...]:
    return tuple(counts.get(p, 0) for p in Predicate)
