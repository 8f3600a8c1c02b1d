"""The self-assessment (`/penilaian/{cycle}/{nip}/realisasi`): per indicator of the approved SKP, its target and
polarity, the realisation typed with its capaian computed as typed (domain.achievement, lower-is-better and ranges
included; htmx asks `realisasi/capaian` as one types, a browser without JavaScript shows it after "Hitung capaian"),
evidence files (PDF, JPG, PNG by content, bounded: services.evidence) and links. "Kirim realisasi" sends the step
`self-assessment`, which names each stored file by its reference, never its bytes.

Files are stored as soon as they are sent, even when the rest of the form is refused, and stay ticked on the form
that comes back; an evidence file is downloaded from `bukti/{sha256}` by whoever may see the appraisal, and deleted
by its "Hapus" button (`aksi=hapus-<sha256>`) until the realisation is sent.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from domain.bounds import MAX_EVIDENCE_BYTES_PER_APPRAISAL, MAX_EVIDENCE_FILE_BYTES
from domain.errors import DomainError, NotFound
from domain.evidence import download_name, reference
from domain.stages import Step
from services import evidence, steps
from services.step_views import CapaianPreview, IndicatorRow, policy_of, preview_capaian, year_rows
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.appraisal_steps import (
    NOT_FORM,
    REFUSALS,
    Loaded,
    evidence_context,
    load,
    size,
    take_step,
    validation_messages,
)
from web.pages.deps import FormErrors, FormUser, PageUser, base_path, render
from web.pages.realisation_form import (
    RowInput,
    body_field,
    body_of,
    parse_values,
    read_rows,
    uploads,
    workflow_field,
)
from web.problems import describe

router = APIRouter()
PATH = "/penilaian/{cycle_id}/{nip}/realisasi"
PAGE = "pages/realisasi.html"
CAPAIAN = "pages/realisasi_capaian.html"
STEP = "self-assessment"
_TYPED = re.compile(r"^realisasi-(\d{1,4})$")
REMOVE = "hapus-"  # the value of the delete button of a stored file: hapus-<sha256>


@router.get(PATH, response_class=HTMLResponse, **page(signed_in()))
async def realisation_page(request: Request, user: PageUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    found = await load(svc, user, cycle_id, nip)
    return await _show(request, user, svc, found)


@router.post(PATH, response_class=HTMLResponse, **page(signed_in()))
async def submit(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """Store the files sent, read the values; with `aksi=kirim` and nothing refused, send the step."""
    form = await request.form()
    found = await load(svc, user, cycle_id, nip)
    if found.state.skp is None or found.state.step is not Step.SELF_ASSESSMENT:
        errors = FormErrors(general=f"Realisasi tidak dapat dikirim pada langkah '{found.state.step.label}'.")
        return await _show(request, user, svc, found, errors=errors, status=409)
    inputs = read_rows(form, year_rows(found.state))
    action = form.get("aksi")
    if isinstance(action, str) and action.startswith(REMOVE):
        return await _remove(request, user, svc, found, inputs, form, action.removeprefix(REMOVE))
    errors = await _store_files(svc, user, found, form, inputs)
    for name, message in parse_values(inputs, required=form.get("aksi") == "kirim").items():
        errors.fields.setdefault(name, message)
    reason = form.get("alasan")
    reason_text = reason if isinstance(reason, str) else ""
    if errors or form.get("aksi") != "kirim":
        return await _show(request, user, svc, found, inputs=inputs, reason=reason_text, errors=_summed(errors))
    key = form.get("kunci")
    try:
        body = body_of(inputs, reason_text)
        await take_step(svc, user, cycle_id, nip, STEP, body, key if isinstance(key, str) else None)
    except ValidationError as invalid:
        errors = FormErrors()
        for location, message in validation_messages(invalid):
            _put(errors, body_field(location, inputs), message)
    except REFUSALS as error:
        described = describe(error)
        if described.status in NOT_FORM:
            raise
        errors = FormErrors(status=described.status)
        shown = workflow_field(described.field, inputs)
        if shown is None:
            errors = FormErrors.described(described)
        else:
            errors.fields[shown] = described.detail
    else:
        return RedirectResponse(f"{base_path(cycle_id, nip)}/realisasi?pesan=terkirim", status_code=303)
    found = await load(svc, user, cycle_id, nip)
    return await _show(request, user, svc, found, inputs=inputs, reason=reason_text, errors=_summed(errors))


@router.post(PATH + "/capaian", response_class=HTMLResponse, **page(signed_in()))
async def capaian(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    """The capaian of one row as typed (htmx, on each pause in typing): the fragment that replaces its output."""
    form = await request.form()
    parties, _period = await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    rows = year_rows(state)
    typed = next(((int(m.group(1)), v) for n, v in form.items() if (m := _TYPED.match(n)) and isinstance(v, str)), None)
    if typed is None or typed[0] >= len(rows):
        raise NotFound("indikator tidak ditemukan pada SKP ini", field="realisasi")
    policy = await run_in_threadpool(policy_of, svc.uow_factory, cycle_id, parties.instansi_code)
    row = rows[typed[0]]
    preview = preview_capaian(row.indicator, typed[1], policy.achievement)
    context = {"row": row, "preview": preview, "places": policy.achievement.decimal_places}
    return render(request, CAPAIAN, context, user=user)


@router.get("/penilaian/{cycle_id}/{nip}/bukti/{sha256}", **page(signed_in()))
async def evidence_file(user: PageUser, svc: Svc, cycle_id: str, nip: str, sha256: str) -> Response:
    """An evidence file, for whoever may see the appraisal (anyone else: not found), saved rather than shown."""
    file, content = await run_in_threadpool(evidence.download, svc.uow_factory, user.principal, cycle_id, nip, sha256)
    name = download_name(file.name, file.media_type)
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in name)
    headers = {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        # Were it ever opened in the browser, it runs nothing and reaches nothing.
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
    return Response(content, media_type=file.media_type.value, headers=headers)


async def _remove(
    request: Request, user: Caller, svc: Svc, found: Loaded, inputs: list[RowInput], form: Any, sha256: str
) -> HTMLResponse:
    """Delete a stored file (its button is in the form, so what was typed comes back as it was, the file no longer
    ticked); a refusal above the form. Files chosen meanwhile are not stored: the person chose to delete."""
    reason = form.get("alasan")
    reason_text = reason if isinstance(reason, str) else ""
    remove = partial(
        evidence.remove,
        svc.uow_factory,
        user.principal,
        found.parties.cycle_id,
        found.parties.employee_nip,
        sha256,
        now=svc.clock(),
    )
    try:
        removed = await run_in_threadpool(remove)
    except DomainError as error:
        described = describe(error)
        if described.status in (401, 403):
            raise
        errors = FormErrors(general=described.detail, status=described.status)
        return await _show(request, user, svc, found, inputs=inputs, reason=reason_text, errors=errors)
    gone = reference(removed.sha256)
    for row in inputs:
        row.kept = [kept for kept in row.kept if kept != gone]
    flash = f"Berkas bukti \u201c{removed.name}\u201d sudah dihapus."
    return await _show(request, user, svc, found, inputs=inputs, reason=reason_text, flash=flash)


async def _store_files(svc: Svc, user: Caller, found: Loaded, form: Any, inputs: list[RowInput]) -> FormErrors:
    """Store each file sent with its row, ticking it there; the refusal of a file beside its row's file field."""
    errors = FormErrors()
    for row in inputs:
        for upload in uploads(form, row.index):
            data = await upload.read(MAX_EVIDENCE_FILE_BYTES + 1)
            store = partial(
                evidence.upload,
                svc.uow_factory,
                user.principal,
                found.parties.cycle_id,
                found.parties.employee_nip,
                data,
                upload.filename or "bukti",
                now=svc.clock(),
            )
            try:
                stored = await run_in_threadpool(store)
            except DomainError as error:
                described = describe(error)
                if described.status in NOT_FORM:
                    raise
                name = f"berkas-{row.index}" if described.field == "berkas" else None
                _put(errors, name, described.detail)
                continue
            if stored.reference not in row.kept:
                row.kept.append(stored.reference)
    return errors


def _put(errors: FormErrors, name: str | None, message: str) -> None:
    if name is None:
        errors.general = message if errors.general is None else f"{errors.general}; {message}"
    elif name in errors.fields:
        errors.fields[name] = f"{errors.fields[name]}; {message}"
    else:
        errors.fields[name] = message


def _summed(errors: FormErrors) -> FormErrors:
    """A refused form says above it how many fields need fixing (a screen reader hears it first)."""
    if errors.fields:
        summary = f"Realisasi belum dikirim: {len(errors.fields)} isian perlu diperbaiki (pesannya di samping isian)."
        errors.general = summary if errors.general is None else f"{summary} {errors.general}"
    return errors


async def _show(
    request: Request,
    user: Caller,
    svc: Svc,
    found: Loaded,
    *,
    inputs: list[RowInput] | None = None,
    reason: str = "",
    errors: FormErrors | None = None,
    status: int | None = None,
    flash: str | None = None,
) -> HTMLResponse:
    state = found.state
    rows: list[IndicatorRow] = year_rows(state, recorded=True)
    if inputs is None:
        inputs = [RowInput(index=row.index, indicator_id=row.indicator.id) for row in rows]
    files = await run_in_threadpool(evidence.files_of, svc.uow_factory, found.parties.cycle_id, state.employee_nip)
    policy = await run_in_threadpool(policy_of, svc.uow_factory, found.parties.cycle_id, found.parties.instansi_code)
    previews: dict[int, CapaianPreview] = {
        row.index: preview_capaian(rows[row.index].indicator, row.typed, policy.achievement)
        for row in inputs
        if row.index < len(rows)
    }
    context: dict[str, Any] = {
        **found.context(),
        **evidence_context(files),
        "rows": rows,
        "inputs": inputs,
        "previews": previews,
        "places": policy.achievement.decimal_places,
        "may_submit": found.may(STEP),
        "on_behalf": found.on_behalf(STEP),
        "reason": reason,
        "file_limit": size(MAX_EVIDENCE_FILE_BYTES),
        "appraisal_limit": size(MAX_EVIDENCE_BYTES_PER_APPRAISAL),
        "suggestion": state.suggestion,
    }
    if errors is not None:
        context["errors"] = errors
    if flash is not None:
        context["flash"] = flash
    code = status if status is not None else errors.status if errors else 200
    return render(request, PAGE, context, user=user, status=code)
