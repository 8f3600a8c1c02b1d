"""/healthz: the process answers. /readyz: Temporal and the domain database answer too (for a load balancer)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from web.access import Rule
from web.deps import Services, Svc, guard

router = APIRouter(tags=["kesehatan"])
PUBLIC = Rule("public")
READY_TIMEOUT_SECONDS = 5.0
_PART: dict[str, Any] = {"type": "string", "enum": ["siap", "tidak menjawab"]}
# Not ready is this body (which part does not answer), not a problem: what a load balancer and an operator read.
NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Temporal atau basis data belum menjawab",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["status", "basis_data", "temporal"],
                    "properties": {"status": {"type": "string"}, "basis_data": _PART, "temporal": _PART},
                }
            }
        },
    }
}


@router.get("/healthz", summary="Proses hidup", **guard(PUBLIC))
async def healthz() -> dict[str, str]:
    return {"status": "hidup"}


@router.get("/readyz", summary="Siap melayani: Temporal dan basis data menjawab", **guard(PUBLIC, NOT_READY))
async def readyz(svc: Svc) -> JSONResponse:
    checks = {"basis_data": await _database(svc), "temporal": await _temporal(svc)}
    ready = all(value == "siap" for value in checks.values())
    return JSONResponse({"status": "siap" if ready else "belum siap", **checks}, status_code=200 if ready else 503)


async def _database(svc: Services) -> str:
    def ping() -> None:
        with svc.uow_factory() as uow:
            uow.instansi.get("")  # one indexed read: the database answers

    try:
        await asyncio.wait_for(run_in_threadpool(ping), READY_TIMEOUT_SECONDS)
    except Exception:
        return "tidak menjawab"
    return "siap"


async def _temporal(svc: Services) -> str:
    try:
        client = await asyncio.wait_for(svc.temporal.client(), READY_TIMEOUT_SECONDS)
        await asyncio.wait_for(client.service_client.check_health(), READY_TIMEOUT_SECONDS)
    except Exception:
        return "tidak menjawab"
    return "siap"
