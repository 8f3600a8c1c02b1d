"""The periodic evaluation's steps as forms on the appraisal's page (`/penilaian/{cycle}/{nip}`, section
`#evaluasi-periodik`): once a period has ended, the employee records its realisation so far, one row per indicator of
the approved SKP (values as the page shows them, 1.210 or 98,2; rows left blank are not recorded; links as
evidence), at `periodik/{n}/realisasi`; the pejabat penilai then records the dialog kinerja (feedback, and a rating
where the policy asks) at `periodik/{n}/dialog`; once held, the period's evaluation document at
`periodik/{n}/dokumen`. Both steps go through services.periodic as the API's; a refusal comes back as the same page
with the message beside the field it names and what was typed kept.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from services import periodic, steps
from services.periodic import DialogBody, PeriodRealisationBody
from services.step_views import year_rows
from web.deps import Svc
from web.downloads import period_pdf_response
from web.pages.access import page, signed_in
from web.pages.appraisal import show
from web.pages.appraisal_steps import REFUSALS, refused, validation_messages
from web.pages.deps import FormErrors, FormUser, PageUser, base_path
from web.pages.realisation_form import body_field, parse_values, read_rows
from web.pages.skp_form import text_values

router = APIRouter()
PATH = "/penilaian/{cycle_id}/{nip}/periodik/{number}"
Number = Annotated[int, Path(ge=1, le=12)]
DIALOG_FIELDS = frozenset({"umpan_balik", "rating", "periode"})


@router.post(PATH + "/realisasi", response_class=HTMLResponse, **page(signed_in()))
async def record_realisation(
    request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str, number: Number
) -> Response:
    form = await request.form()
    typed = text_values(form)
    await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    rows = year_rows(state)
    inputs = read_rows(form, rows)
    errors = FormErrors(fields=parse_values(inputs, required=False), status=422)
    filled = [row for row in inputs if row.value is not None]
    if not errors.fields and not filled:
        errors.general = "isi realisasi sedikitnya satu indikator"
    if errors:
        return await show(request, user, svc, cycle_id, nip, period_form=typed, period_errors=errors)
    body = {
        "realisasi": [
            {"indikator": row.indicator_id, "realisasi": row.value, "bukti": row.links, "catatan": row.note}
            for row in filled
        ]
    }
    try:
        checked = PeriodRealisationBody.model_validate(body)
        await _send(svc, user, cycle_id, nip, number, checked, typed.get("kunci"))
    except ValidationError as error:
        found = FormErrors(status=422)
        for location, message in validation_messages(error):
            name = body_field(location, filled)
            if name is None:
                found.general = found.general or message
            else:
                found.fields.setdefault(name, message)
        return await show(request, user, svc, cycle_id, nip, period_form=typed, period_errors=found)
    except REFUSALS as error:
        shown = {f"{part}-{row.index}" for row in inputs for part in ("realisasi", "catatan", "tautan")}
        return await show(request, user, svc, cycle_id, nip, period_form=typed, period_errors=refused(error, shown))
    return _done(cycle_id, nip)


@router.post(PATH + "/dialog", response_class=HTMLResponse, **page(signed_in()))
async def hold_dialog(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str, number: Number) -> Response:
    typed = text_values(await request.form())
    try:
        body = DialogBody.model_validate(
            {"umpan_balik": typed.get("umpan_balik", ""), "rating": typed.get("rating") or None}
        )
        await _send(svc, user, cycle_id, nip, number, body, typed.get("kunci"))
    except (*REFUSALS, ValidationError) as error:
        errors = refused(error, DIALOG_FIELDS)
        return await show(request, user, svc, cycle_id, nip, period_form=typed, period_errors=errors)
    return _done(cycle_id, nip)


async def _send(
    svc: Svc,
    user: FormUser,
    cycle_id: str,
    nip: str,
    number: int,
    body: PeriodRealisationBody | DialogBody,
    key: str | None,
) -> None:
    prepared = await run_in_threadpool(
        partial(
            periodic.prepare,
            svc.uow_factory,
            user.principal,
            cycle_id=cycle_id,
            nip=nip,
            number=number,
            body=body,
            idempotency_key=key or None,
        )
    )
    await periodic.send(await svc.temporal.client(), prepared)


@router.get(PATH + "/dokumen", **page(signed_in()))
async def period_document(user: PageUser, svc: Svc, cycle_id: str, nip: str, number: Number) -> Response:
    """The period's dokumen evaluasi kinerja as PDF, once its dialog is held, for whoever may see the appraisal."""
    return await period_pdf_response(svc, user.principal, cycle_id, nip, number)


def _done(cycle_id: str, nip: str) -> Response:
    return RedirectResponse(f"{base_path(cycle_id, nip)}?pesan=periodik#evaluasi-periodik", status_code=303)
