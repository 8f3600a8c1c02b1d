"""The one-time link's page (identity.accounts: `/akun/kata-sandi?tautan=...`) and the request for a new link."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx

from identity import accounts
from tests.web.harness import BASE_URL, WebOffice
from tests.web.office import CADANGAN, PEGAWAI_1

NEW_PASSWORD = "Kopi-Tubruk-Pagi-7"


async def test_a_link_sets_the_password_once_and_its_refusals_stay_on_the_form(web_office: WebOffice) -> None:
    link = accounts.send_reset_link(
        web_office.uow_factory, web_office.settings.auth, nip=CADANGAN, actor="operator", now=datetime.now(UTC)
    )
    address = urlsplit(link.url)
    secret = parse_qs(address.query)["tautan"][0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web_office.app), base_url=BASE_URL) as http:
        form = await http.get(f"{address.path}?{address.query}")
        assert form.status_code == 200 and f'value="{secret}"' in form.text

        differ = await http.post(
            "/akun/kata-sandi", data={"tautan": secret, "kata_sandi": NEW_PASSWORD, "ulangi": "lain"}
        )
        assert differ.status_code == 422 and 'id="ulangi-galat"' in differ.text

        short = await http.post("/akun/kata-sandi", data={"tautan": secret, "kata_sandi": "pendek", "ulangi": "pendek"})
        assert short.status_code == 422 and 'id="kata_sandi-galat"' in short.text  # the link is not spent by it

        done = await http.post(
            "/akun/kata-sandi", data={"tautan": secret, "kata_sandi": NEW_PASSWORD, "ulangi": NEW_PASSWORD}
        )
        assert done.status_code == 303 and done.headers["location"] == "/masuk?pesan=sandi-diatur"
        shown = await http.get(done.headers["location"])
        assert "Kata sandi sudah diatur" in shown.text

        again = await http.post(
            "/akun/kata-sandi", data={"tautan": secret, "kata_sandi": NEW_PASSWORD, "ulangi": NEW_PASSWORD}
        )
        assert again.status_code == 422 and "Minta tautan baru" in again.text

        signed = await http.post("/masuk", data={"nip": CADANGAN, "kata_sandi": NEW_PASSWORD, "lanjut": "/"})
        assert signed.status_code == 303


async def test_asking_for_a_link_answers_alike_and_only_known_messages_are_shown(web_office: WebOffice) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web_office.app), base_url=BASE_URL) as http:
        bad = await http.post("/akun/lupa-sandi", data={"nip": "123"})
        assert bad.status_code == 422 and 'id="nip-galat"' in bad.text
        known = await http.post("/akun/lupa-sandi", data={"nip": PEGAWAI_1})
        unknown = await http.post("/akun/lupa-sandi", data={"nip": "199901012020011999"})
        assert known.status_code == unknown.status_code == 303
        assert known.headers["location"] == unknown.headers["location"]
        spoofed = await http.get("/masuk?pesan=Hubungi+0812+untuk+verifikasi")
        assert "0812" not in spoofed.text
