"""Fixtures of the browser tests: Debian's Chromium driven by Playwright (one per session), and the app served over
HTTP on 127.0.0.1 (one per module) with the seeded office of tests.web.office and a worker on the session's dev
server, as tests.web.harness builds it.

Chromium comes from Debian's package (`make setup` installs it) and axe-core from tests/browser's npm lock file;
Playwright's own browser download cannot work here and is never used. Without either, the tests are skipped with the
reason, or fail under CI=true, as a missing PostgreSQL does.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright
from temporalio.testing import WorkflowEnvironment

from tests.browser import story
from tests.browser.checks import AXE
from tests.browser.serving import serve
from tests.browser.site import Site
from tests.dbs import SqliteDatabases
from tests.web.harness import WebOffice, open_office

CHROMIUM = Path("/usr/bin/chromium")
# As root Chromium needs --no-sandbox (Playwright passes it, and a fresh temporary --user-data-dir, by itself); on
# this machine's closed network the background services would fail their connections at every start.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.failed:
        story.failed(item.path, item.name)


def pytest_runtest_setup(item: pytest.Item) -> None:
    stopped = story.stopped_at(item.path, getattr(item, "function", None))
    if stopped is not None:
        pytest.skip(f"the story stopped at {stopped}, which this part needs")


def _missing() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found: run `make setup` (as root it installs Debian's chromium)"
    if not AXE.is_file():
        return f"{AXE} not found: run `make setup` (npm ci --prefix tests/browser)"
    return None


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing} (CI=true: the browser tests must run)", pytrace=False)
        pytest.skip(missing)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="module")
async def web_office(sqlite_databases: SqliteDatabases, dev_env: WorkflowEnvironment) -> AsyncIterator[WebOffice]:
    async with open_office(sqlite_databases, dev_env.client) as office:
        yield office


@pytest.fixture(scope="module")
async def site(chromium: Browser, web_office: WebOffice) -> AsyncIterator[Site]:
    """The seeded office's app on a port of 127.0.0.1, for the browser."""
    async with serve(web_office.app) as url:
        yield Site(url=url, browser=chromium)
