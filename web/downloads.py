"""Files the API and the pages both hand out, answered the same way by each."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from documents import evaluation_pdf
from domain.access import Principal
from services import evaluation_document
from services.evaluation_document import EvaluationDocument
from web.deps import Svc


async def evaluation_pdf_response(svc: Svc, principal: Principal, cycle_id: str, nip: str) -> Response:
    """The year's document drawn for a download (the page's and the API's): saved, never shown inline, never cached."""
    build = partial(evaluation_document.document, svc.uow_factory, principal, cycle_id, nip, now=svc.clock())
    return await _pdf(build)


async def period_pdf_response(svc: Svc, principal: Principal, cycle_id: str, nip: str, number: int) -> Response:
    """The document of one period of the periodic evaluation, downloaded as the year's is."""
    build = partial(
        evaluation_document.period_document, svc.uow_factory, principal, cycle_id, nip, number, now=svc.clock()
    )
    return await _pdf(build)


async def _pdf(build: Callable[[], EvaluationDocument]) -> Response:
    document = await run_in_threadpool(build)
    content = await run_in_threadpool(evaluation_pdf.render, document)
    headers = {
        "Content-Disposition": f'attachment; filename="{document.file_name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(content, media_type="application/pdf", headers=headers)
