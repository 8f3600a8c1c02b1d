"""A person at a browser: a fresh Playwright context (its own cookies) on the served app, and signing in as one
would, through the form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.browser.checks import DESKTOP, watch

TIMEOUT_MS = 15_000  # a step that waits on the worker and the dev server on a busy 2-core machine
expect.set_options(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class Site:
    """The app served at `url`, and the browser its visitors use."""

    url: str
    browser: Browser

    @asynccontextmanager
    async def visitor(self, viewport: ViewportSize = DESKTOP) -> AsyncIterator[Page]:
        """A new visitor with no cookies: one tab, watched by tests.browser.checks."""
        context = await self.browser.new_context(
            base_url=self.url, viewport=viewport, locale="id-ID", timezone_id="Asia/Jayapura"
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield watch(await context.new_page())
        finally:
            await context.close()

    @asynccontextmanager
    async def signed_in(self, nip: str, password: str, viewport: ViewportSize = DESKTOP) -> AsyncIterator[Page]:
        """A visitor who signed in as `nip` through the sign-in form and is on Beranda."""
        async with self.visitor(viewport) as page:
            await sign_in(page, nip, password)
            yield page


async def sign_in(page: Page, nip: str, password: str) -> None:
    await page.goto("/masuk")
    await page.get_by_label("NIP").fill(nip)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/(\?.*)?$"))


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Keluar").click()
    await expect(page).to_have_url(re.compile(r"/masuk\?pesan=keluar$"))
