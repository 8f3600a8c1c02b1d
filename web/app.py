"""The web app's composition root: `create_app(settings)` builds everything a request needs once, in the lifespan.

    uvicorn --factory web.app:app_from_environment     (what `kinerja web` runs)

Tests build the app with their own database and Temporal client (`create_app(settings, uow_factory=..., client=...)`);
nothing here is created at import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from temporalio.client import Client

from domain.bounds import MAX_UPLOAD_BYTES
from identity.passwords import hasher
from persistence.db import make_engine, make_session_factory
from persistence.ports import AbstractUnitOfWork
from persistence.uow import SqlAlchemyUnitOfWork
from settings import Settings, load_settings
from web import problems
from web.body_limit import BodyLimit
from web.deps import Services
from web.gateway import TemporalGateway
from web.routes import admin, appraisals, auth, cycles, health, imports, oidc, tasks

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
    problems.install(app)
    app.middleware("http")(_security_headers)
    # Larger bodies are refused (413) before they are read: an import file is the largest thing anyone sends.
    app.add_middleware(BodyLimit, limit=MAX_UPLOAD_BYTES + 64 * 1024)
    app.include_router(health.router)
    app.include_router(auth.router, prefix=API_PREFIX)
    app.include_router(oidc.router)  # /auth/oidc/...: the provider redirects browsers here, outside the API
    app.include_router(tasks.router, prefix=API_PREFIX)
    app.include_router(appraisals.router, prefix=API_PREFIX)
    app.include_router(admin.router, prefix=API_PREFIX)
    app.include_router(imports.router, prefix=API_PREFIX)
    app.include_router(cycles.router, prefix=API_PREFIX)
    return app


async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Answers are never cached by a shared proxy, never sniffed as another type, and never framed elsewhere."""
    response = await call_next(request)
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.url.path.startswith(API_PREFIX) or request.url.path.startswith("/auth"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def app_from_environment() -> FastAPI:
    """For uvicorn's --factory: the settings of this process."""
    return create_app(load_settings())
