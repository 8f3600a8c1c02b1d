"""Fixtures of the web tests: the office of tests.web.office behind the app, one per test module (tests.web.harness).

The matrix (test_matrix.py) opens its own, to prepare at once every appraisal its collected cells will ask for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.dbs import SqliteDatabases
from tests.web.harness import WebOffice, open_office


@pytest.fixture(scope="module")
async def web_office(sqlite_databases: SqliteDatabases, dev_env: WorkflowEnvironment) -> AsyncIterator[WebOffice]:
    """The seeded office on SQLite, the app over it and a worker on its own task queue of the session's dev server."""
    async with open_office(sqlite_databases, dev_env.client) as office:
        yield office
