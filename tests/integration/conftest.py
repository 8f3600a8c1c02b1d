"""Fixtures of the integration tests that run `kinerja` commands in-process."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kinerja` commands run in this test use the test's database (SQLite or PostgreSQL)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
