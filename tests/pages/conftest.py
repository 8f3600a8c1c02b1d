"""The pages are tested over the same office as the API (tests.web.office), one per module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.dbs import SqliteDatabases
from tests.web.harness import WebOffice, open_office


@pytest.fixture(scope="module")
async def web_office(sqlite_databases: SqliteDatabases, dev_env: WorkflowEnvironment) -> AsyncIterator[WebOffice]:
    async with open_office(sqlite_databases, dev_env.client) as office:
        yield office
