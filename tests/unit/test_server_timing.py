"""The app's own time on every answer (web.server_timing), as the pages benchmark reads it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from web.server_timing import ServerTiming, server_ms


def test_every_answer_says_how_long_the_app_took() -> None:
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    with TestClient(ServerTiming(app)) as client:
        header = client.get("/").headers["server-timing"]
        missing = client.get("/tidak-ada").headers["server-timing"]
    assert header.startswith("app;dur=") and missing.startswith("app;dur=")
    took = server_ms(header)
    assert took is not None and 0 <= took < 5_000


def test_the_header_is_read_as_sent_and_anything_else_is_none() -> None:
    assert server_ms("app;dur=12.5") == 12.5
    assert server_ms('db;dur=3, app;desc="web";dur=7') == 7.0
    assert server_ms("app;dur=x") is None
    assert server_ms("db;dur=3") is None
    assert server_ms(None) is None and server_ms("") is None
