"""check_page itself: a page that breaks each rule it enforces is refused, each fault named (a checker that never
fails would pass every journey)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Route

from tests.browser.checks import PHONE, check_page, watch

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'"
BAD_PAGE = """<!doctype html><html lang="id"><head><title>Rusak</title><link rel="stylesheet" href="/gaya.css"></head>
<body><main><h1>Halaman rusak</h1><p class="pale">Teks pucat di atas putih</p><div class="wide">Terlalu lebar</div>
<p style="color: red">Gaya sebaris</p><img src="/tidak-ada.png" alt="Gambar yang hilang"></main></body></html>"""
STYLES = ".pale { color: #ddd; background: #fff; } .wide { width: 900px; }"


async def _answer(route: Route) -> None:
    path = route.request.url.removeprefix("http://rusak.test")
    if path == "/":
        await route.fulfill(body=BAD_PAGE, content_type="text/html", headers={"Content-Security-Policy": CSP})
    elif path == "/gaya.css":
        await route.fulfill(body=STYLES, content_type="text/css")
    else:
        await route.fulfill(status=404, body="")


async def test_a_page_that_breaks_the_rules_is_refused_with_each_fault_named(chromium: Browser) -> None:
    context = await chromium.new_context(viewport=PHONE)
    try:
        await context.route("http://rusak.test/**", _answer)
        page = watch(await context.new_page())
        await page.goto("http://rusak.test/")
        with pytest.raises(AssertionError) as refused:
            await check_page(page, "uji-pemeriksa-rusak")
    finally:
        await context.close()
    message = str(refused.value)
    assert "color-contrast" in message  # axe, impact serious
    assert "scrolls sideways" in message and "div.wide" in message
    assert "CSP on http://rusak.test/: " in message and "inline style" in message
    assert "image http://rusak.test/tidak-ada.png: HTTP 404" in message
