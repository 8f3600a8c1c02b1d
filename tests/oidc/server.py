"""Starts `provider.mjs` on a free port, and drives its login and consent forms as a person's browser would.

The provider is oidc-provider from the npm registry, installed by `make setup` (`npm ci --prefix tests/oidc`) at the
versions in package-lock.json. Nothing here imitates it: the code under test reads its discovery document and JWKS
and exchanges codes at its token endpoint. Its two test controls (`fault`, `rotate`) make its next ID token faulty
or replace its signing key, as a misbehaving or rotating provider would.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import httpx

from tests.ports import free_port

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "provider.mjs"
INSTALLED = HERE / "node_modules" / "oidc-provider" / "package.json"
READY_SECONDS = 60.0  # two cores shared with other test runs: Node's start and the first key can be slow


class ProviderMissing(Exception):
    """Node.js or the npm install is not there; the message says what to do."""


@dataclass
class OidcTestProvider:
    issuer: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def fault(self, name: str) -> None:
        """The next token response carries an ID token with this fault (see provider.mjs's FAULTS)."""
        response = httpx.post(f"{self.issuer}/__test/fault", content=name, timeout=10)
        assert response.status_code == 204, response.text

    def rotate(self) -> None:
        """A new signing key with a new kid; the JWKS lists only it from now on."""
        response = httpx.post(f"{self.issuer}/__test/rotate", timeout=30)
        assert response.status_code == 204, response.text

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]


def start(clients: list[dict[str, Any]], accounts: dict[str, dict[str, str]]) -> OidcTestProvider:
    node = shutil.which("node")
    if node is None:
        raise ProviderMissing("Node.js (node) is not installed: the OpenID provider of the tests runs on it")
    if not INSTALLED.exists():
        raise ProviderMissing("oidc-provider is not installed in tests/oidc: run `make setup` (npm ci there)")
    port = free_port()
    env = {**os.environ, "OIDC_CLIENTS": json.dumps(clients), "OIDC_ACCOUNTS": json.dumps(accounts)}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - Node's warnings, kept until stop() for a failure's message
    process = subprocess.Popen([node, str(SCRIPT), str(port)], stdout=subprocess.PIPE, stderr=log, env=env, cwd=HERE)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], READY_SECONDS)
    line = process.stdout.readline().decode() if ready else ""
    provider = OidcTestProvider(issuer=f"http://127.0.0.1:{port}", process=process, log=log)
    if not line.startswith("ready "):
        provider.stop()
        raise RuntimeError(f"the OpenID provider did not start: {line!r}\n{provider.output()}")
    return provider


class _FirstForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        found = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = found.get("action") or ""
        elif tag == "input" and self.action is not None and found.get("name"):
            self.fields[found["name"] or ""] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.action is not None:
            self._done = True


async def authorize(browser: httpx.AsyncClient, url: str, redirect_uri: str, login: str) -> str:
    """Follow the provider's pages from the authorization URL as a person would: sign in as `login` (any password,
    the development login form), consent, and return the URL the provider sends the browser back to."""
    method, data = "GET", None
    for _ in range(12):
        if method == "GET":
            response = await browser.get(url)
        else:
            response = await browser.post(url, data=data)
        if response.is_redirect:
            target = urljoin(url, response.headers["location"])
            if target.startswith(redirect_uri):
                return target
            method, data, url = "GET", None, target
            continue
        assert response.status_code == 200, f"{response.status_code} from the provider at {url}: {response.text[:500]}"
        form = _FirstForm()
        form.feed(response.text)
        assert form.action is not None, f"no form on the provider's page {url}: {response.text[:500]}"
        data = dict(form.fields)
        if data.get("prompt") == "login":
            data.update(login=login, password="apa saja")  # the development form takes any password
        method, url = "POST", urljoin(url, form.action)
    raise AssertionError("the provider never sent the browser back")
