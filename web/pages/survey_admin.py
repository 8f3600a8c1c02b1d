"""The survey's addresses as the admin kepegawaian and the pengelola kinerja keep them (services.survey_links): each
unit's short address for a cycle, a printable poster with its QR code for the counter (segno, SVG inline: no image
library, nothing loaded from elsewhere), and one-time tokens for units that hand them out on their receipts, shown
once as a printable sheet or a CSV file.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from domain.errors import DomainError, NotFound
from domain.stages import Role
from services import survey_links
from services.actors import Acting
from services.survey_links import KEEPERS, MAX_TOKENS
from web.deps import Svc
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, render

router = APIRouter()
SECTION = page(signed_in(*KEEPERS))
TOKEN_FIELDS = frozenset({"jumlah", "format"})


def cycle_path(cycle_id: str) -> str:
    return f"/survei/kelola/{quote(cycle_id, safe='')}"


def unit_path(cycle_id: str, unit_code: str) -> str:
    return f"{cycle_path(cycle_id)}/{quote(unit_code, safe='')}"


def qr_svg(url: str) -> Markup:
    """The QR code of `url` as inline SVG, scaled by the stylesheet (`svg.qr`)."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", title=f"Kode QR {url}"))


def _acting(user: Any, instansi_code: str, cycle_id: str) -> Acting:
    held = user.principal.roles_in(instansi_code, cycle_id)
    return Acting(user.principal.nip, next((role for role in KEEPERS if role in held), Role.ADMIN_KEPEGAWAIAN))


@router.get("/survei/kelola", response_class=HTMLResponse, **SECTION)
async def kept(request: Request, user: PageUser, svc: Svc) -> Response:
    cycles = await run_in_threadpool(survey_links.cycles_kept, svc.uow_factory, user.principal)
    return render(request, "pages/survei_kelola.html", {"cycles": cycles, "cycle_path": cycle_path}, user=user)


@router.get("/survei/kelola/{cycle_id}", response_class=HTMLResponse, **SECTION)
async def cycle_addresses(request: Request, user: PageUser, svc: Svc, cycle_id: str) -> Response:
    found = await run_in_threadpool(
        survey_links.addresses,
        svc.uow_factory,
        user.principal,
        cycle_id,
        public_url=svc.settings.auth.public_url,
        now=svc.clock(),
    )
    context = {"view": found, "cycle_path": cycle_path(cycle_id), "unit_path": unit_path}
    return render(request, "pages/survei_kelola_siklus.html", context, user=user)


@router.post("/survei/kelola/{cycle_id}/alamat", response_class=HTMLResponse, **SECTION)
async def make_addresses(request: Request, user: FormUser, svc: Svc, cycle_id: str) -> Response:
    def make() -> int:
        with svc.uow_factory() as uow:
            cycle = survey_links.cycle_for(uow, user.principal, cycle_id, KEEPERS)
        by = _acting(user, cycle.instansi_code, cycle_id)
        return survey_links.create_addresses(svc.uow_factory, user.principal, cycle_id, by=by, now=svc.clock())

    await run_in_threadpool(make)
    return RedirectResponse(f"{cycle_path(cycle_id)}?pesan=alamat-survei-dibuat", status_code=303)


@router.get("/survei/kelola/{cycle_id}/{unit_code}", response_class=HTMLResponse, **SECTION)
async def unit_page(request: Request, user: PageUser, svc: Svc, cycle_id: str, unit_code: str) -> Response:
    return await _unit(request, user, svc, cycle_id, unit_code)


@router.get("/survei/kelola/{cycle_id}/{unit_code}/poster", response_class=HTMLResponse, **SECTION)
async def poster(request: Request, user: PageUser, svc: Svc, cycle_id: str, unit_code: str) -> Response:
    found = await run_in_threadpool(
        survey_links.poster,
        svc.uow_factory,
        user.principal,
        cycle_id,
        unit_code,
        public_url=svc.settings.auth.public_url,
    )
    context = {"poster": found, "qr": qr_svg(found.url), "back": unit_path(cycle_id, unit_code)}
    return render(request, "pages/survei_poster.html", context, user=user)


@router.post("/survei/kelola/{cycle_id}/{unit_code}/token", response_class=HTMLResponse, **SECTION)
async def tokens(
    request: Request,
    user: FormUser,
    svc: Svc,
    cycle_id: str,
    unit_code: str,
    jumlah: Annotated[str, Form(max_length=10)] = "",
    format: Annotated[str, Form(max_length=10)] = "cetak",
) -> Response:
    form = {"jumlah": jumlah, "format": format}
    try:
        count = int(jumlah) if jumlah.strip().isdigit() else 0

        def issue() -> tuple[survey_links.Poster, list[str]]:
            with svc.uow_factory() as uow:
                cycle = survey_links.cycle_for(uow, user.principal, cycle_id, KEEPERS)
            return survey_links.issue_tokens(
                svc.uow_factory,
                user.principal,
                cycle_id,
                unit_code,
                count,
                by=_acting(user, cycle.instansi_code, cycle_id),
                now=svc.clock(),
                public_url=svc.settings.auth.public_url,
            )

        found, made = await run_in_threadpool(issue)
    except DomainError as refused:
        errors = FormErrors.of(refused, TOKEN_FIELDS)
        if errors.status in (403, 404):
            raise
        return await _unit(request, user, svc, cycle_id, unit_code, form=form, errors=errors)
    if format == "csv":
        return _csv(found, made)
    context = {"poster": found, "tokens": made, "back": unit_path(cycle_id, unit_code)}
    return render(request, "pages/survei_token.html", context, user=user)


async def _unit(
    request: Request,
    user: Any,
    svc: Svc,
    cycle_id: str,
    unit_code: str,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    view = await run_in_threadpool(
        survey_links.addresses,
        svc.uow_factory,
        user.principal,
        cycle_id,
        public_url=svc.settings.auth.public_url,
        now=svc.clock(),
    )
    unit = next((found for found in view.units if found.unit_code == unit_code and found.code), None)
    if unit is None:
        raise NotFound(f"unit {unit_code} belum mempunyai alamat survei untuk siklus {cycle_id}", field="unit")
    context = {
        "view": view,
        "unit": unit,
        "cycle_path": cycle_path(cycle_id),
        "here": unit_path(cycle_id, unit_code),
        "max_tokens": MAX_TOKENS,
        "form": form or {"jumlah": "", "format": "cetak"},
        "errors": errors or FormErrors(),
    }
    return render(request, "pages/survei_kelola_unit.html", context, user=user, status=errors.status if errors else 200)


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _csv(found: survey_links.Poster, made: list[str]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["token", "unit", "alamat"])
    for token in made:
        writer.writerow([token, _cell(found.unit_name), found.url])
    name = f"token-survei-{found.code}.csv"
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
