"""What every page uses: the signed-in person (a browser session; none sends the browser to the sign-in page), the
CSRF check of a form, and `render`, which fills in what the layout needs.

A page's form posts to a normal URL and works without JavaScript; with htmx (`HX-Request`) the same route answers
with the fragment to swap (`render(..., fragment=...)`). A refused step comes back as the same form, with the typed
values kept and the message beside the field the rule names (`FormErrors`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from domain.access import Principal
from domain.stages import Role
from identity.secrets import same
from web.deps import Caller, Services, Svc, csrf_token_sent, optional_caller
from web.problems import Described, describe


class SignInFirst(Exception):
    """No browser session: the page answers with a redirect to the sign-in page, which comes back here."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


async def page_caller(request: Request, caller: Annotated[Caller | None, Depends(optional_caller)]) -> Caller:
    """The person signed in with a browser session (a bearer token is for programs, not for pages)."""
    if caller is None or caller.session is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInFirst(back if request.method == "GET" else "/")
    return caller


PageUser = Annotated[Caller, Depends(page_caller)]


def same_site(request: Request) -> None:
    """A form posted from another site's page is refused (browsers send Origin with every cross-site POST)."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.url.netloc:
        raise CsrfRefused()


async def checked_form(request: Request, user: PageUser) -> Caller:
    """A form that changes something: it carries the session's CSRF token and comes from this site's own page."""
    same_site(request)
    sent = await csrf_token_sent(request)
    if user.session is None or sent is None or not same(sent, user.session.csrf_token):
        raise CsrfRefused()
    return user


class CsrfRefused(Exception):
    """A form without this session's CSRF token, or posted from another site: answered 403 with a page that says to
    reload it."""


FormUser = Annotated[Caller, Depends(checked_form)]


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site (`//evil.example` included)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/"
    return value


def sign_in_url(back_to: str) -> str:
    return "/masuk" + ("" if back_to == "/" else f"?lanjut={quote(back_to, safe='/')}")


@dataclass
class FormErrors:
    """A refused form: the message per field the rule named, and one for the form when it named none (or a field
    the form does not show)."""

    fields: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    status: int = 422

    @classmethod
    def of(cls, error: BaseException, shown: set[str] | frozenset[str] = frozenset()) -> FormErrors:
        found = describe(error)
        return cls.described(found, shown)

    @classmethod
    def described(cls, found: Described, shown: set[str] | frozenset[str] = frozenset()) -> FormErrors:
        errors = cls(status=found.status)
        for item in found.errors or ():
            name = str(item.get("field", ""))
            if name in shown and name not in errors.fields:
                errors.fields[name] = str(item.get("message", ""))
        if found.field is not None and found.field in shown and found.field not in errors.fields:
            errors.fields[found.field] = found.detail
        elif found.field not in shown or not found.errors:
            errors.general = _general(found)
        return errors

    def __bool__(self) -> bool:
        return bool(self.fields) or self.general is not None


def _general(found: Described) -> str:
    if found.status in (503, 504):
        return f"Gangguan layanan, bukan penolakan: {found.detail}"
    if found.field and not found.detail.startswith(found.field):
        return f"{found.field}: {found.detail}"
    return found.detail


# What a page says after a redirect (`?pesan=<code>`): only these, so that nobody can make a link that puts their own
# words on a Kinerja page. A page adds its own codes here.
FLASHES: dict[str, str] = {
    "keluar": "Anda sudah keluar.",
    "sandi-diatur": "Kata sandi sudah diatur. Silakan masuk dengan NIP dan kata sandi baru.",
    "tautan-diminta": "Bila NIP ini punya akun dengan alamat e-mail, tautan atur ulang sudah dikirim ke sana.",
    "tersimpan": "Tersimpan.",
    "terkirim": "Langkah sudah tercatat.",
    "skp-tersimpan": "Draf SKP tersimpan. Ajukan SKP bila sudah lengkap.",
    "perubahan-diajukan": "Perubahan SKP diajukan kepada pejabat penilai. Sampai disetujui, SKP yang berlaku tetap"
    " berlaku.",
    "kalibrasi-diusulkan": "Predikat organisasi ditetapkan dan usulan kalibrasi tersimpan.",
    "kalibrasi-dikunci": "Keputusan kalibrasi dikunci dan sedang dikirim ke setiap penilaian.",
    "siklus-dimulai": "Siklus dimulai. Pendaftaran pegawai berjalan.",
    "kalender-dihitung": "Batas waktu dalam hari kerja yang belum lewat dihitung ulang dan berlaku bagi setiap"
    " penilaian yang berjalan; perubahannya tercatat.",
    "alamat-survei-dibuat": "Alamat survei dibuat. Cetak poster setiap unit untuk loketnya.",
    "umpan-balik": "Umpan balik tercatat pada penilaian ini.",
    "rencana": "Langkah rencana pengembangan tercatat.",
    "periodik": "Langkah evaluasi periodik tercatat.",
}


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str


_NAV: tuple[tuple[str, str, frozenset[Role] | None], ...] = (
    ("/", "Beranda", None),
    ("/pengawasan", "Pengawasan", frozenset({Role.PENGAWASAN, Role.PENGELOLA_KINERJA})),
    ("/kalibrasi", "Kalibrasi", frozenset({Role.PIMPINAN, Role.PENGELOLA_KINERJA})),
    ("/kepegawaian", "Kepegawaian", frozenset({Role.ADMIN_KEPEGAWAIAN, Role.PENGELOLA_KINERJA})),
    ("/survei/kelola", "Survei", frozenset({Role.ADMIN_KEPEGAWAIAN, Role.PENGELOLA_KINERJA})),
    ("/operator", "Operator", frozenset({Role.OPERATOR})),
)


def navigation(principal: Principal) -> list[NavItem]:
    """The sections of the site this person has a part in (the pages check again: this only hides links)."""
    held = {grant.role for grant in principal.grants}
    return [NavItem(path, label) for path, label, roles in _NAV if roles is None or held & roles]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: Caller | None = None,
    status: int = 200,
    fragment: str | None = None,
) -> HTMLResponse:
    """The page `name` (or, for an htmx request, the template `fragment`), with the layout's context."""
    svc: Services = request.app.state.services
    if user is None:  # an error page of a signed-in person keeps their menu
        seen: Caller | None = getattr(request.state, "caller", None)
        user = seen if seen is not None and seen.session is not None else None
    templates: Jinja2Templates = request.app.state.templates
    values: dict[str, Any] = {
        "user": user.principal if user is not None else None,
        "csrf_token": user.session.csrf_token if user is not None and user.session is not None else "",
        "nav": navigation(user.principal) if user is not None else [],
        "now": svc.clock(),
        "path": request.url.path,
        "errors": FormErrors(),
        "form": {},
        "flash": FLASHES.get(request.query_params.get("pesan", "")),
    }
    values.update(context or {})
    chosen = fragment if fragment is not None and request.headers.get("hx-request") == "true" else name
    return templates.TemplateResponse(request, chosen, values, status_code=status)


def page_services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


__all__ = [
    "CsrfRefused",
    "FormErrors",
    "FormUser",
    "PageUser",
    "SignInFirst",
    "Svc",
    "render",
    "safe_next",
    "sign_in_url",
]


def base_path(cycle_id: str, nip: str) -> str:
    """Where one appraisal's pages are: `/penilaian/{cycle}/{nip}`, each part quoted."""
    return f"/penilaian/{quote(cycle_id, safe='')}/{quote(nip, safe='')}"
