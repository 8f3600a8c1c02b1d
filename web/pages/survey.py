"""The citizens' survey (SKM), public, no sign-in: a unit's form at its short address (`/s/{code}`), open only in the
cycle's survey window, and each cycle's results once its IKM is computed (`/survei/hasil/{instansi}/{cycle or year}`).

The page needs no JavaScript and stays small (a cheap phone on a slow connection): its own layout, no htmx, the one
stylesheet. A refused answer comes back as the same form with what was typed kept and the message beside the field;
the rules are services.survey_form's, the questionnaire domain.survey_form's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.errors import DomainError, NotFound
from domain.survey_form import (
    EDUCATIONS,
    FIELDS,
    MAX_AGE,
    MAX_COMMENT,
    MIN_AGE,
    OCCUPATIONS,
    QUESTIONS,
    SEXES,
    normal_code,
    read_form,
)
from services import survey_form, survey_results
from services.survey_form import FormStatus, FormView, LimitReached, Submission, SurveyClosed
from web.deps import Svc, client_address, is_https
from web.pages.access import PUBLIC, page
from web.pages.deps import FormErrors, render, same_site
from web.pages.survey_guard import DEVICE_COOKIE, FORM_FIELD, SurveyKeys, survey_keys

router = APIRouter()
FORM = "pages/survei_isi.html"
STATUS = "pages/survei_status.html"
SHOWN = frozenset({*FIELDS, "token"})
MAX_FIELDS = 100  # a form holds about 20; more is not a person's browser
MAX_FIELD = 4000  # a value longer than any field holds is cut before the rules read it (they refuse it then)
DEVICE_COOKIE_AGE = timedelta(days=2)


@router.get("/s/{code}", response_class=HTMLResponse, **page(PUBLIC))
async def survey_page(request: Request, svc: Svc, code: str) -> Response:
    view = await run_in_threadpool(survey_form.form_view, svc.uow_factory, code, now=svc.clock())
    if view.status is not FormStatus.OPEN:
        return _status(request, view)
    return await _form(request, svc, view)


@router.post("/s/{code}", response_class=HTMLResponse, **page(PUBLIC))
async def answer(request: Request, svc: Svc, code: str) -> Response:
    same_site(request)
    now = svc.clock()
    normal = normal_code(code)
    if normal is None:
        raise NotFound("alamat survei ini tidak dikenal", field="alamat")
    keys = await survey_keys(request, svc)
    fields = await _fields(request)
    device_answers = keys.device_answers(request.cookies.get(DEVICE_COOKIE), now)
    if not keys.form_token_ok(
        normal, fields.get(FORM_FIELD, ""), now, max_age_seconds=svc.settings.survey.form_hours * 3600
    ):
        refused = FormErrors(
            general="Formulir ini sudah terlalu lama terbuka atau tidak dikirim dari halaman survei ini. Jawaban Anda"
            " masih ada di bawah: periksa lalu kirim lagi.",
            status=403,
        )
        return await _again(request, svc, normal, fields, refused)
    try:
        accepted = await run_in_threadpool(
            survey_form.submit,
            svc.uow_factory,
            Submission(
                code=normal,
                answers=read_form(fields),
                token=fields.get("token"),
                address_key=keys.address_key(client_address(request, svc)),
                device_answers=device_answers,
                per_address_per_hour=svc.settings.survey.per_address_per_hour,
                per_device_per_day=svc.settings.survey.per_device_per_day,
            ),
            now=now,
        )
    except SurveyClosed as closed:
        return _status(request, closed.view, status=409)
    except LimitReached as limited:
        errors = FormErrors(general=str(limited).removeprefix(f"{limited.field}: "), status=429)
        return await _again(request, svc, normal, fields, errors)
    except DomainError as refused:  # a field at fault (FormRefused lists them all), or the token
        errors = FormErrors.of(refused, SHOWN)
        if errors.status in (403, 404):
            raise
        return await _again(request, svc, normal, fields, errors)
    response = RedirectResponse(f"/s/{normal}/terima-kasih", status_code=303)
    if accepted.counted_on_device:
        _count_device(response, request, svc, keys, device_answers + 1)
    return response


@router.get("/s/{code}/terima-kasih", response_class=HTMLResponse, **page(PUBLIC))
async def thanks(request: Request, svc: Svc, code: str) -> Response:
    view = await run_in_threadpool(survey_form.form_view, svc.uow_factory, code, now=svc.clock())
    return render(request, "pages/survei_terima.html", {"view": view})


@router.get("/survei/hasil/{instansi_code}/{key}", response_class=HTMLResponse, **page(PUBLIC))
async def results(request: Request, svc: Svc, instansi_code: str, key: str) -> Response:
    found = await run_in_threadpool(survey_results.results, svc.uow_factory, instansi_code, key, now=svc.clock())
    return render(request, "pages/survei_hasil.html", {"results": found})


async def _again(request: Request, svc: Svc, code: str, fields: dict[str, str], errors: FormErrors) -> HTMLResponse:
    """The form again with what was typed and why it was refused; the window's page if it is not open."""
    view = await run_in_threadpool(survey_form.form_view, svc.uow_factory, code, now=svc.clock())
    if view.status is not FormStatus.OPEN:
        return _status(request, view, status=409)
    return await _form(request, svc, view, fields=fields, errors=errors)


def _status(request: Request, view: FormView, *, status: int = 200) -> HTMLResponse:
    return render(request, STATUS, {"view": view}, status=status)


async def _form(
    request: Request,
    svc: Svc,
    view: FormView,
    *,
    fields: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    keys = await survey_keys(request, svc)
    context: dict[str, Any] = {
        "view": view,
        "questions": QUESTIONS,
        "sexes": SEXES,
        "educations": EDUCATIONS,
        "occupations": OCCUPATIONS,
        "min_age": MIN_AGE,
        "max_age": MAX_AGE,
        "max_comment": MAX_COMMENT,
        "form_token": keys.form_token(view.code, svc.clock()),
        "form": {name: value for name, value in (fields or {}).items() if name in SHOWN},
        "errors": errors or FormErrors(),
    }
    return render(request, FORM, context, status=errors.status if errors else 200)


async def _fields(request: Request) -> dict[str, str]:
    """The form's fields, the first value of each, every value cut to MAX_FIELD. The page posts urlencoded UTF-8,
    read here with the standard library (a third of the time of the multipart parser behind `request.form()`, on
    the path every answer takes); anything else goes through `request.form()`."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        text = (await request.body()).decode("utf-8", errors="replace")
        try:
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:  # more fields than any form of ours: refused as a form not from this page
            return {}
    else:
        pairs = [(name, value) for name, value in (await request.form()).multi_items() if isinstance(value, str)]
    found: dict[str, str] = {}
    for name, value in pairs:
        if name not in found:
            found[name] = value[:MAX_FIELD]
    return found


def _count_device(response: Response, request: Request, svc: Svc, keys: SurveyKeys, answers: int) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        keys.device_cookie(answers, svc.clock()),
        max_age=int(DEVICE_COOKIE_AGE.total_seconds()),
        path="/s/",
        httponly=True,
        samesite="lax",
        secure=is_https(request, svc),
    )
