"""Signing in through OpenID Connect, against a real OpenID provider (oidc-provider under Node.js, tests/oidc).

The app reads the provider's real discovery document and JWKS and exchanges real codes at its token endpoint; a
person's browser is driven through the provider's login and consent forms with httpx. Each refusal is a token the
provider itself issued with one fault (wrong issuer, wrong audience, expired, signed by another key, unsigned, the
previous sign-in's token) or a callback replayed: each is a 401 problem+json saying what failed, and no session is
created.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from domain.organisation import Employee, Instansi, Unit
from identity.oidc import LOGIN_MINUTES, safe_next
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from settings import AuthSettings, OidcSettings, Settings
from tests.oidc import server
from tests.oidc.server import OidcTestProvider
from tests.ports import free_port
from web.app import create_app

BASE = "http://kinerja.test"
CALLBACK = f"{BASE}/auth/oidc/callback"  # AUTH__PUBLIC_URL + /auth/oidc/callback, the default redirect URL
INSTANSI = "SSO-KOTA"
SRI = "199001012015032004"
STRANGER = "199902022020121005"  # a valid NIP on no roster, holding no role
PUBLIC_CLIENT = "kinerja"
CONFIDENTIAL_CLIENT = "kinerja-rahasia"
CLIENT_SECRET = secrets.token_urlsafe(32)  # made for this run only

ACCOUNTS = {
    "sri": {"nip": SRI, "name": "Sri Wahyuni"},
    "sri-berspasi": {"nip": "19900101 201503 2 004", "name": "Sri Wahyuni"},  # as printed on a card
    "orang-luar": {"nip": STRANGER, "name": "Orang Luar"},
    "bukan-nip": {"nip": "sri@contoh.go.id", "name": "Salah Isi"},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcTestProvider]:
    clients = [
        {"client_id": PUBLIC_CLIENT, "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"},
        {
            "client_id": CONFIDENTIAL_CLIENT,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [CALLBACK],
            "token_endpoint_auth_method": "client_secret_basic",
        },
    ]
    try:
        started = server.start(clients, ACCOUNTS)
    except server.ProviderMissing as missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing} (CI=true: the OpenID Connect tests must run)", pytrace=False)
        pytest.skip(str(missing))
    yield started
    started.stop()


@dataclass
class Kinerja:
    """The app on one test's database, and a browser of it (its cookie jar is the browser's)."""

    app: FastAPI
    browser: httpx.AsyncClient
    sessions: Callable[[], int]


def _seed(database_url: str) -> Callable[[], int]:
    engine = make_engine(database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        uow.instansi.add(Instansi(code=INSTANSI, name="Dinas Kependudukan Kota"))
        uow.units.add(Unit(code="DUK", name="Dinas"), INSTANSI)
        uow.employees.add(Employee(nip=SRI, name="Sri Wahyuni", jabatan="Analis", unit_code="DUK"), INSTANSI)
        uow.commit()

    def sessions() -> int:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM auth_sessions")).scalar_one())

    return sessions


@asynccontextmanager
async def kinerja(database_url: str, oidc: OidcSettings) -> AsyncIterator[Kinerja]:
    sessions = _seed(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=database_url, auth=AuthSettings(public_url=BASE), oidc=oidc)
    app = create_app(settings, uow_factory=lambda: SqlAlchemyUnitOfWork(factory))
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as browser,
        ):
            yield Kinerja(app=app, browser=browser, sessions=sessions)
    finally:
        engine.dispose()


def configured(provider: OidcTestProvider, *, confidential: bool = False) -> OidcSettings:
    if confidential:
        return OidcSettings(issuer=provider.issuer, client_id=CONFIDENTIAL_CLIENT, client_secret=CLIENT_SECRET)
    return OidcSettings(issuer=provider.issuer, client_id=PUBLIC_CLIENT)


async def begin(site: Kinerja, next_path: str = "/api/v1/me") -> str:
    """Kinerja's sign-in link: the provider's authorization URL it redirects to."""
    response = await site.browser.get("/auth/oidc/login", params={"next": next_path})
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def at_provider(url: str, login: str) -> str:
    """The person signs in at the provider (a browser of its own, with the provider's cookies); the callback URL."""
    async with httpx.AsyncClient(timeout=30) as browser:
        return await server.authorize(browser, url, CALLBACK, login)


async def callback(site: Kinerja, url: str) -> httpx.Response:
    parts = urlsplit(url)
    return await site.browser.get(f"{parts.path}?{parts.query}")


async def sign_in(site: Kinerja, login: str, next_path: str = "/api/v1/me") -> httpx.Response:
    return await callback(site, await at_provider(await begin(site, next_path), login))


def refused(response: httpx.Response, words: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"], response.json()["detail"]
    assert "kinerja_sesi" not in response.cookies


# --- signing in -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("confidential", [False, True], ids=["public-client", "confidential-client"])
async def test_sign_in_starts_a_session_with_the_nip_of_the_token(
    provider: OidcTestProvider, database_url: str, confidential: bool
) -> None:
    async with kinerja(database_url, configured(provider, confidential=confidential)) as site:
        authorization = await begin(site)
        query = parse_qs(urlsplit(authorization).query)
        assert authorization.startswith(f"{provider.issuer}/auth?")
        assert query["code_challenge_method"] == ["S256"]
        assert query["redirect_uri"] == [CALLBACK]
        assert "code_verifier" not in query and query["nonce"] and query["state"]

        response = await callback(site, await at_provider(authorization, "sri"))

        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/api/v1/me"
        cookie = response.headers["set-cookie"].lower()
        assert "kinerja_sesi=" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        me = await site.browser.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["nip"] == SRI
        assert me.json()["instansi"] == INSTANSI
        assert site.sessions() == 1


async def test_a_nip_written_with_spaces_is_the_same_nip(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        response = await sign_in(site, "sri-berspasi")
        assert response.status_code == 303, response.text
        assert (await site.browser.get("/api/v1/me")).json()["nip"] == SRI


async def test_the_provider_rotating_its_key_is_followed(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    """The JWKS is kept between sign-ins; a token under a kid it does not know makes it fetch the JWKS once more."""
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        assert (await sign_in(site, "sri")).status_code == 303
        provider.rotate()
        site.browser.cookies.clear()
        response = await sign_in(site, "sri")
        assert response.status_code == 303, response.text
        assert site.sessions() == 2


async def test_next_leaves_the_site_never(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        response = await sign_in(site, "sri", next_path="https://penipu.example/masuk")
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/api/v1/me", "/api/v1/me"),
        ("/penilaian?siklus=2026", "/penilaian?siklus=2026"),
        (None, "/"),
        ("", "/"),
        ("https://penipu.example/", "/"),
        ("//penipu.example/", "/"),
        ("/\\penipu.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/baris\r\nSet-Cookie: x=1", "/"),
        ("/" + "a" * 400, "/"),
    ],
)
def test_next_is_a_path_on_this_site(given: str | None, kept: str) -> None:
    assert safe_next(given) == kept


# --- refusals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        pytest.param("issuer", "token ID dari penyedia identitas ditolak: penerbit (iss) salah", id="issuer"),
        pytest.param("audience", "token ID dari penyedia identitas ditolak: audiens salah", id="audience"),
        pytest.param("expired", "token ID dari penyedia identitas ditolak: sudah kedaluwarsa", id="expired"),
        pytest.param("signature", "token ID dari penyedia identitas ditolak: tanda tangan tidak sah", id="signature"),
        pytest.param(
            "unknown-key",
            "token ID dari penyedia identitas ditolak: kunci penanda tangannya (kid) tidak ada",
            id="unknown-key",
        ),
        pytest.param(
            "alg-none",
            "token ID dari penyedia identitas ditolak: algoritma tanda tangannya tidak diterima",
            id="alg-none",
        ),
        pytest.param("no-nip", "token ID dari penyedia identitas ditolak: klaim 'nip' (NIP) tidak ada", id="no-nip"),
    ],
)
async def test_a_faulty_id_token_is_refused(
    provider: OidcTestProvider, sqlite_database_url: str, fault: str, words: str
) -> None:
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        authorization = await begin(site)
        back = await at_provider(authorization, "sri")
        provider.fault(fault)  # the token endpoint's next answer
        response = await callback(site, back)
        refused(response, words)
        assert site.sessions() == 0
        assert (await site.browser.get("/api/v1/me")).status_code == 401


async def test_the_previous_sign_ins_id_token_is_refused_by_its_nonce(
    provider: OidcTestProvider, database_url: str
) -> None:
    """A replayed ID token: valid signature, issuer, audience and expiry, but the nonce of another sign-in."""
    async with kinerja(database_url, configured(provider)) as site:
        assert (await sign_in(site, "sri")).status_code == 303
        site.browser.cookies.clear()
        back = await at_provider(await begin(site), "sri")
        provider.fault("replay")
        refused(await callback(site, back), "nonce tidak cocok")
        assert site.sessions() == 1  # the first sign-in's only


async def test_a_replayed_callback_is_refused(provider: OidcTestProvider, database_url: str) -> None:
    async with kinerja(database_url, configured(provider)) as site:
        authorization = await begin(site)
        state_cookie = site.browser.cookies["kinerja_oidc"]
        back = await at_provider(authorization, "sri")
        assert (await callback(site, back)).status_code == 303
        assert site.sessions() == 1

        site.browser.cookies.clear()
        site.browser.cookies.set("kinerja_oidc", state_cookie, domain="kinerja.test", path="/auth/oidc")
        refused(await callback(site, back), "tidak dikenal atau sudah dipakai")
        assert site.sessions() == 1


async def test_a_callback_in_another_browser_is_refused(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    """Login CSRF: someone's own callback link, opened by a victim, signs the victim in as nobody."""
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        back = await at_provider(await begin(site), "sri")
        site.browser.cookies.clear()  # the victim's browser never began this sign-in
        refused(await callback(site, back), "tidak dimulai di peramban ini")
        assert site.sessions() == 0


async def test_a_callback_with_a_forged_code_is_refused(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        back = await at_provider(await begin(site), "sri")
        parts = urlsplit(back)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        query["code"] = "kode-palsu"
        response = await site.browser.get(parts.path, params=query)
        refused(response, "penyedia identitas menolak menukar kode otorisasi (invalid_grant)")
        assert site.sessions() == 0


async def test_the_person_turning_the_provider_down_is_refused(
    provider: OidcTestProvider, sqlite_database_url: str
) -> None:
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        await begin(site)
        state = site.browser.cookies["kinerja_oidc"]
        response = await site.browser.get(
            "/auth/oidc/callback", params={"error": "access_denied", "state": state, "iss": provider.issuer}
        )
        refused(response, "penyedia identitas tidak mengizinkan masuk (access_denied)")


async def test_an_answer_naming_another_issuer_is_refused(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    """RFC 9207: the authorization response says which provider sent it (a defence against mixing providers up)."""
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        back = await at_provider(await begin(site), "sri")
        parts = urlsplit(back)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        assert query["iss"] == provider.issuer
        query["iss"] = "https://penyedia-lain.example"
        refused(await site.browser.get(parts.path, params=query), "parameter iss salah")
        assert site.sessions() == 0


async def test_a_sign_in_left_too_long_is_refused(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        back = await at_provider(await begin(site), "sri")
        services = site.app.state.services
        started = services.clock()
        services.clock = lambda: started + timedelta(minutes=LOGIN_MINUTES, seconds=1)
        refused(await callback(site, back), f"lebih dari {LOGIN_MINUTES} menit")
        assert site.sessions() == 0


async def test_a_nip_that_is_no_nip_is_refused(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        refused(await sign_in(site, "bukan-nip"), "klaim 'nip' bukan NIP 18 angka")
        assert site.sessions() == 0


async def test_a_nip_on_no_roster_is_forbidden(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    async with kinerja(sqlite_database_url, configured(provider)) as site:
        response = await sign_in(site, "orang-luar")
        assert response.status_code == 403, response.text
        assert "tidak terdaftar aktif di roster" in response.json()["detail"]
        assert site.sessions() == 0


async def test_another_nip_claim_is_read_when_configured(provider: OidcTestProvider, sqlite_database_url: str) -> None:
    oidc = configured(provider).model_copy(update={"nip_claim": "nip_asn"})
    async with kinerja(sqlite_database_url, oidc) as site:
        refused(await sign_in(site, "sri"), "klaim 'nip_asn' (NIP) tidak ada")


# --- without a provider ---------------------------------------------------------------------------------------------


async def test_without_oidc_the_routes_are_not_there(sqlite_database_url: str) -> None:
    async with kinerja(sqlite_database_url, OidcSettings()) as site:
        for path in ("/auth/oidc/login", "/auth/oidc/callback?code=x&state=y"):
            response = await site.browser.get(path)
            assert response.status_code == 404, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "tidak diaktifkan" in response.json()["detail"]


async def test_an_unreachable_provider_is_a_503(sqlite_database_url: str) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    async with kinerja(sqlite_database_url, OidcSettings(issuer=nobody)) as site:
        response = await site.browser.get("/auth/oidc/login")
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "penyedia identitas tidak dapat dihubungi" in response.json()["detail"]
