"""The web app's composition root: `create_app(settings)` builds everything a request needs once, in the lifespan.

    uvicorn --factory web.app:app_from_environment     (what `kinerja web` runs)

Tests build the app with their own database and Temporal client (`create_app(settings, uow_factory=..., client=...)`);
nothing here is created at import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client

from domain.bounds import MAX_UPLOAD_BYTES
from identity.passwords import hasher
from persistence.db import make_engine, make_session_factory
from persistence.ports import AbstractUnitOfWork
from persistence.uow import SqlAlchemyUnitOfWork
from settings import Settings, load_settings
from web import pages, problems
from web.body_limit import BodyLimit
from web.deps import Services
from web.gateway import TemporalGateway
from web.routes import (
    admin,
    appraisals,
    auth,
    codec,
    cycles,
    development_plans,
    health,
    imports,
    oidc,
    periodic,
    tasks,
)
from web.server_timing import ServerTiming

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings,
    *,
    uow_factory: Callable[[], AbstractUnitOfWork] | None = None,
    client: Client | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        factory = uow_factory
        if factory is None:
            engine = make_engine(settings.database_url)
            sessions = make_session_factory(engine)
            factory = lambda: SqlAlchemyUnitOfWork(sessions)  # noqa: E731
        app.state.services = Services(
            settings=settings,
            uow_factory=factory,
            temporal=TemporalGateway(settings.temporal, client),
            hasher=hasher(settings.auth),
            hash_slots=asyncio.Semaphore(settings.auth.hash_concurrency),
        )
        try:
            yield
        finally:
            if engine is not None:
                engine.dispose()

    app = FastAPI(
        title="Kinerja",
        version="1",
        summary="Penilaian kinerja ASN (PermenPANRB 6/2022): API untuk setiap langkah, atas nama yang masuk",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    problems.install(app, page=pages.error_page, is_page=pages.is_page)
    # Larger bodies are refused (413) before they are read: an import file is the largest thing anyone sends. Inside
    # SecurityHeaders, so that the refusal (a page, on a page's path) carries the same headers as every answer.
    app.add_middleware(BodyLimit, limit=MAX_UPLOAD_BYTES + 64 * 1024, page=pages.error_page, is_page=pages.is_page)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ServerTiming)  # added last, so outermost: it times every other layer
    app.include_router(health.router)
    app.include_router(auth.router, prefix=API_PREFIX)
    app.include_router(oidc.router)  # /auth/oidc/...: the provider redirects browsers here, outside the API
    app.include_router(codec.router)  # /codec/decode: Temporal's Web UI decrypts histories here (operators)
    app.include_router(tasks.router, prefix=API_PREFIX)
    app.include_router(appraisals.router, prefix=API_PREFIX)
    app.include_router(admin.router, prefix=API_PREFIX)
    app.include_router(imports.router, prefix=API_PREFIX)
    app.include_router(cycles.router, prefix=API_PREFIX)
    app.include_router(development_plans.router, prefix=API_PREFIX)
    app.include_router(periodic.router, prefix=API_PREFIX)
    pages.install(app)  # the pages for people (/, /masuk, ...), after the API: its paths are all under /api
    return app


class SecurityHeaders:
    """Answers are never cached by a shared proxy, never sniffed as another type, and never framed elsewhere.

    Plain ASGI: as `app.middleware("http")` (starlette's BaseHTTPMiddleware) it cost ~0.15 ms of CPU on every request,
    as much as the rest of the app spends on /healthz (docs/benchmarks.md, the API)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        no_store = not path.startswith("/static/")  # a page shows one person's data: never kept by a proxy
        page = pages.is_page(path)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
                if page:
                    headers.setdefault("Content-Security-Policy", pages.CSP)
            await send(message)

        await self.app(scope, receive, with_headers)


def app_from_environment() -> FastAPI:
    """For uvicorn's --factory: the settings of this process."""
    return create_app(load_settings())
