"""Limits and headers every answer keeps, whoever asks: a body over the limit is refused before it is read (by its
Content-Length, or while it streams; on a page's path as a page), answers are not cached or sniffed, and the API's
errors are problem+json."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from domain.bounds import MAX_UPLOAD_BYTES
from settings import Settings
from web.app import create_app


def _client(sqlite_database_url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=sqlite_database_url)))


def test_a_body_over_the_limit_is_refused_as_a_problem(sqlite_database_url: str) -> None:
    too_big = MAX_UPLOAD_BYTES + 1024 * 1024

    def streamed() -> Iterator[bytes]:
        for _ in range(too_big // 65536 + 1):
            yield b"x" * 65536

    with _client(sqlite_database_url) as client:
        declared = client.post("/api/v1/auth/login", content=b"x" * too_big, headers={"content-type": "text/plain"})
        unsaid = client.post("/api/v1/auth/login", content=streamed(), headers={"content-type": "application/json"})
    for answer in (declared, unsaid):
        assert answer.status_code == 413
        assert answer.headers["content-type"] == "application/problem+json"
        assert "KiB" in answer.json()["detail"]


def test_a_form_over_the_limit_is_refused_with_the_sites_error_page(sqlite_database_url: str) -> None:
    """A file uploaded through a page that is too large: the page says so, in the site's layout, not in JSON. (A
    browser always sends a form's Content-Length; sent without one to a page that does not read it, such as this one
    for a stranger, who is sent to sign in, nothing more is read.)"""
    page = "/kepegawaian/instansi/DUKCAPIL-JPR/impor/roster"
    with _client(sqlite_database_url) as client:
        answer = client.post(
            page, content=b"x" * (MAX_UPLOAD_BYTES + 1024 * 1024), headers={"content-type": "multipart/form-data; b=x"}
        )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "lebih dari" in answer.text and '<html lang="id"' in answer.text
    assert "default-src 'self'" in answer.headers["content-security-policy"]


def test_answers_are_not_cached_sniffed_or_framed(sqlite_database_url: str) -> None:
    with _client(sqlite_database_url) as client:
        answer = client.get("/api/v1/me")
        unknown = client.get("/api/v1/tidak-ada")
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["x-frame-options"] == "DENY"
    assert unknown.status_code in (401, 404) and unknown.headers["content-type"] == "application/problem+json"
