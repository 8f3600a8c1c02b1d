"""A browser's conversation with the pages, over the app's ASGI interface: sign in through the form, keep the
cookie, read the CSRF token a page carries and send it back with the next form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from tests.web.harness import BASE_URL, WebOffice
from tests.web.office import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    http: httpx.AsyncClient
    csrf: str = ""

    async def get(self, path: str) -> httpx.Response:
        response = await self.http.get(path)
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, data: dict[str, str], **kwargs: object) -> httpx.Response:
        return await self.http.post(path, data={"csrf_token": self.csrf, **data}, **kwargs)  # type: ignore[arg-type]


@asynccontextmanager
async def signed_in(office: WebOffice, nip: str) -> AsyncIterator[Browser]:
    """A browser signed in as `nip` through the sign-in form (every test account has PASSWORD)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=office.app), base_url=BASE_URL) as http:
        response = await http.post("/masuk", data={"nip": nip, "kata_sandi": PASSWORD, "lanjut": "/"})
        assert response.status_code == 303, response.text
        browser = Browser(http)
        await browser.get("/")
        yield browser
