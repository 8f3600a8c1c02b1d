"""What every page a browser test reaches must pass: axe-core's WCAG 2.1 A/AA rules with no violation of impact
serious or critical, no horizontal scroll on a 360 px phone, no Content-Security-Policy violation, no script error
and no missing stylesheet or script; and its screenshots at 360 and 1280 px, kept as artifacts (.artifacts/, not
committed).

axe-core is injected with `page.evaluate` (the DevTools protocol's own evaluation, which the page's CSP does not
govern) rather than a `<script>` tag, so the pages keep their strict CSP (`script-src 'self'`, `style-src 'self'`)
while tested: Playwright's `bypass_csp=True`, the other way in, would switch the policy off for the whole context and
hide an inline style or script that the browser refuses in production. A refusal is logged on the console, which
`watch` records and `check_page` fails on.
"""

from __future__ import annotations

import functools
import re
import weakref
from pathlib import Path
from typing import Any

from playwright.async_api import ConsoleMessage, Page, Response, ViewportSize

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE.parents[1] / ".artifacts" / "screenshots"
README_SHOTS = HERE.parents[1] / ".artifacts" / "readme"  # docs/screenshots/ are made from these
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
NODES_LISTED = 5
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_faults: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def watch(page: Page) -> Page:
    """Record what the page does wrong from now on: CSP refusals, uncaught script errors, a stylesheet, script or
    image the server did not give (a page's own 4xx, such as a refused sign-in, is its answer, not a fault)."""
    faults = _faults.setdefault(page, [])

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            faults.append(f"CSP on {page.url}: {message.text} ({message.location['url']})")

    def on_response(response: Response) -> None:
        kind = response.request.resource_type
        if response.status >= 400 and kind in {"stylesheet", "script", "image", "font"}:
            faults.append(f"{kind} {response.url}: HTTP {response.status}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: faults.append(f"script error: {error}"))
    page.on("response", on_response)
    return page


async def check_page(page: Page, name: str) -> None:
    """Check the page as it is now (a state a journey reached) at 360 and 1280 px, and save its screenshots as
    .artifacts/screenshots/<name>-360.png and -1280.png."""
    assert _NAME.fullmatch(name), f"screenshot name {name!r}: lower-case letters, digits and hyphens"
    await page.wait_for_load_state("load")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    where = page.url
    before = page.viewport_size
    found: list[str] = []
    try:
        for size in (PHONE, DESKTOP):
            await page.set_viewport_size(size)
            width = size["width"]
            if width == PHONE["width"]:
                scroll = await page.evaluate("document.scrollingElement.scrollWidth")
                if scroll > width:
                    found.append(f"at {width} px the page scrolls sideways: {scroll} px wide ({await _widest(page)})")
            found += _readable(await page.evaluate(_RUN_AXE, WCAG_21_AA), width)
            # Playwright's own `animations="disabled"` and `caret="hide"` work by injecting a style, which the CSP
            # refuses (and watch would report): the pages have no animation, and the caret is left as it is.
            await page.screenshot(
                path=SCREENSHOTS / f"{name}-{width}.png", full_page=True, animations="allow", caret="initial"
            )
    finally:
        if before is not None:
            await page.set_viewport_size(before)
    found += _faults.get(page, [])
    _faults.get(page, []).clear()
    assert not found, f"{name} ({where}):\n  " + "\n  ".join(found)


async def phone_shot(page: Page, name: str) -> None:
    """What a phone shows of the page (360x740, no scrolling), for the README: .artifacts/readme/<name>.png."""
    assert _NAME.fullmatch(name), f"screenshot name {name!r}: lower-case letters, digits and hyphens"
    README_SHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    await page.set_viewport_size(PHONE)
    await page.evaluate("window.scrollTo(0, 0)")
    try:
        await page.screenshot(path=README_SHOTS / f"{name}.png", animations="allow", caret="initial")
    finally:
        if before is not None:
            await page.set_viewport_size(before)


_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
  }));
}"""

_WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > limit + 0.5);
  const label = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  return wide.slice(-3).map(label).join(', ');
}"""


async def _widest(page: Page) -> str:
    found: str = await page.evaluate(_WIDEST)
    return f"wider than the screen: {found}" if found else "no element found wider than the screen"


def _readable(violations: list[dict[str, Any]], width: int) -> list[str]:
    lines = []
    for violation in violations:
        if violation["impact"] not in BLOCKING:
            continue
        nodes = violation["nodes"]
        lines.append(
            f"axe {violation['impact']} at {width} px: {violation['id']} — {violation['help']} ({violation['url']})"
        )
        for node in nodes[:NODES_LISTED]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
        if len(nodes) > NODES_LISTED:
            lines.append(f"    ... and {len(nodes) - NODES_LISTED} more")
    return lines
