"""The web app as the tests drive it: the seeded office (tests.web.office) in a database of its own, a worker on its
own task queue of the session's dev server, the app built with both and spoken to over HTTP through its ASGI
interface, and a bearer token for every persona.

`open_office` is one per test module (a module-scoped fixture): seeding, the worker and the appraisals a module needs
cost seconds, and the tests of a module share them without sharing state they change (a call that changes an
appraisal gets a fresh one).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine
from temporalio.client import Client

from domain.access import ALL_SCOPES, Scope
from domain.stages import Role
from identity import sessions
from persistence.db import make_engine, make_session_factory
from persistence.uow import SqlAlchemyUnitOfWork
from settings import Settings, TemporalSettings
from tests.dbs import Databases
from tests.web.appraisals import AppraisalPool
from tests.web.office import PERSONAS, TEST_AUTH, Persona, seed, test_hasher
from tests.web.writes import Recorder
from web.app import create_app
from worker import build_activities, build_cycle_activities, build_worker

BASE_URL = "http://kinerja.test"
_PARAMETER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class Call:
    """One request as a request builder makes it: the path's parameters, the body, and anything else it needs."""

    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    query: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] | None = None
    data: dict[str, str] | None = None
    token: str | None = None  # present this token instead of the caller's own (a call that spends its credential)
    watch: tuple[str, ...] = ()  # workflows besides the target's whose history a refused call must leave alone
    settle: Callable[[], Awaitable[None]] | None = None  # after an allowed call: wait for what it set going


def fill(path: str, params: dict[str, str]) -> str:
    return _PARAMETER.sub(lambda match: params[match.group(1)], path)


@dataclass
class WebOffice:
    backend: str
    engine: Engine
    uow_factory: Any  # Callable[[], SqlAlchemyUnitOfWork]
    settings: Settings
    temporal: Client
    task_queue: str
    app: FastAPI
    http: httpx.AsyncClient
    tokens: dict[Role, str]  # a token with every scope, per persona
    read_tokens: dict[Role, str]  # a token that may only read ('baca'), per persona
    appraisals: AppraisalPool
    recorder: Recorder

    def new_token(self, nip: str, scopes: frozenset[Scope] = ALL_SCOPES) -> tuple[str, int]:
        secret, record = sessions.create_token(
            self.uow_factory,
            self.settings.auth,
            nip=nip,
            name=f"uji {uuid.uuid4().hex[:6]}",
            scopes=scopes,
            days=None,
            now=datetime.now(UTC),
        )
        return secret, record.id

    async def send(self, method: str, path: str, call: Call, caller: Persona | None) -> httpx.Response:
        """The request, with the caller's bearer token (none for anonymous); the cookie jar is emptied after it, so
        a session a call opened is never presented by the next."""
        headers = dict(call.headers)
        token = call.token or (self.tokens[caller.role] if caller is not None else None)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return await self.http.request(
                method,
                fill(path, call.params),
                json=call.json,
                params=call.query,
                headers=headers,
                files=call.files,
                data=call.data,
            )
        finally:
            self.http.cookies.clear()


@asynccontextmanager
async def open_office(databases: Databases, client: Client) -> AsyncIterator[WebOffice]:
    url = databases.fresh()
    engine = make_engine(url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    now = datetime.now(UTC)
    with uow_factory() as uow:
        seed(uow, test_hasher(), now)
        uow.commit()
    task_queue = f"kinerja-web-{uuid.uuid4().hex[:8]}"
    address = client.service_client.config.target_host
    settings = Settings(
        database_url=url, temporal=TemporalSettings(address=address, task_queue=task_queue), auth=TEST_AUTH
    )
    tag = f"W{uuid.uuid4().hex[:6]}"
    worker = build_worker(
        client,
        TemporalSettings(task_queue=task_queue),
        build_activities(engine),
        build_cycle_activities(engine, client),
    )
    app = create_app(settings, uow_factory=uow_factory, client=client)
    try:
        async with worker, app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
                office = WebOffice(
                    backend=databases.backend,
                    engine=engine,
                    uow_factory=uow_factory,
                    settings=settings,
                    temporal=client,
                    task_queue=task_queue,
                    app=app,
                    http=http,
                    tokens={},
                    read_tokens={},
                    appraisals=AppraisalPool(client, uow_factory, engine, task_queue, tag),
                    recorder=Recorder(engine, client),
                )
                for persona in PERSONAS:
                    office.tokens[persona.role] = office.new_token(persona.nip)[0]
                    office.read_tokens[persona.role] = office.new_token(persona.nip, frozenset({Scope.READ}))[0]
                try:
                    yield office
                finally:
                    await office.appraisals.close()
    finally:
        engine.dispose()
        databases.drop(url)
