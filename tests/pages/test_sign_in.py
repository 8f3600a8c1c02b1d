"""Signing in and out through the pages: the same accounts and refusals as the API, a cookie session, CSRF on every
form, and headers that keep a page's data out of caches and other sites' frames."""

from __future__ import annotations

import httpx

from tests.pages.browsing import signed_in
from tests.web.harness import BASE_URL, WebOffice
from tests.web.office import PEGAWAI_1, PENILAI_1


def _anonymous(office: WebOffice) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=office.app), base_url=BASE_URL)


async def test_a_page_sends_a_stranger_to_the_sign_in_form_and_back(web_office: WebOffice) -> None:
    async with _anonymous(web_office) as http:
        response = await http.get("/?x=1")
        assert response.status_code == 303
        assert response.headers["location"] == "/masuk?lanjut=/%3Fx%3D1"
        page = await http.get(response.headers["location"])
        assert page.status_code == 200
        assert 'lang="id"' in page.text and 'for="f-nip"' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"


async def test_a_wrong_password_is_refused_on_the_form_with_the_nip_kept(web_office: WebOffice) -> None:
    async with _anonymous(web_office) as http:
        response = await http.post("/masuk", data={"nip": PEGAWAI_1, "kata_sandi": "salah", "lanjut": "/"})
        assert response.status_code == 401
        assert f'value="{PEGAWAI_1}"' in response.text
        assert 'role="alert"' in response.text
        assert "kinerja_sesi" not in response.headers.get("set-cookie", "")


async def test_an_empty_field_is_named_beside_it(web_office: WebOffice) -> None:
    async with _anonymous(web_office) as http:
        response = await http.post("/masuk", data={"nip": PEGAWAI_1, "kata_sandi": ""})
        assert response.status_code == 422
        assert 'id="kata_sandi-galat"' in response.text and 'aria-invalid="true"' in response.text


async def test_sign_in_goes_only_to_a_path_of_this_site(web_office: WebOffice) -> None:
    async with _anonymous(web_office) as http:
        response = await http.post(
            "/masuk", data={"nip": PENILAI_1, "kata_sandi": "Matriks-Akses-2026!", "lanjut": "//evil.example/x"}
        )
        assert response.status_code == 303 and response.headers["location"] == "/"


async def test_the_home_page_lists_what_waits_and_sign_out_needs_the_forms_token(web_office: WebOffice) -> None:
    async with signed_in(web_office, PENILAI_1) as browser:
        home = await browser.get("/")
        assert home.status_code == 200 and "Tugas saya" in home.text
        forged = await browser.http.post("/keluar", data={"csrf_token": "palsu"})
        assert forged.status_code == 403 and "kedaluwarsa" in forged.text
        elsewhere = await browser.http.post(
            "/keluar", data={"csrf_token": browser.csrf}, headers={"Origin": "https://evil.example"}
        )
        assert elsewhere.status_code == 403
        out = await browser.post("/keluar", {})
        assert out.status_code == 303
        again = await browser.http.get("/")
        assert again.status_code == 303  # the session ended on the server, not only in the browser


async def test_an_unknown_page_is_a_page_not_json(web_office: WebOffice) -> None:
    async with signed_in(web_office, PEGAWAI_1) as browser:
        response = await browser.get("/tidak-ada")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Keluar" in response.text  # the menu of the signed-in person stays
