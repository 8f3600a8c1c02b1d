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
from temporalio.client import Client

from identity.passwords import hasher
from persistence.db import make_engine, make_session_factory
from persistence.ports import AbstractUnitOfWork
from persistence.uow import SqlAlchemyUnitOfWork
from settings import Settings, load_settings
from web import problems
from web.deps import Services
from web.gateway import TemporalGateway
from web.routes import appraisals, auth, health, tasks

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
    app.include_router(health.router)
    app.include_router(auth.router, prefix=API_PREFIX)
    app.include_router(tasks.router, prefix=API_PREFIX)
    app.include_router(appraisals.router, prefix=API_PREFIX)
    return app


def app_from_environment() -> FastAPI:
    """For uvicorn's --factory: the settings of this process."""
    return create_app(load_settings())
