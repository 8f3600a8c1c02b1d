"""Files the API and the pages both hand out, answered the same way by each."""

from __future__ import annotations

from functools import partial

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from documents import evaluation_pdf
from domain.access import Principal
from services import evaluation_document
from web.deps import Svc


async def evaluation_pdf_response(svc: Svc, principal: Principal, cycle_id: str, nip: str) -> Response:
    """The document drawn for a download (the page's and the API's): saved, never shown inline, never cached."""
    build = partial(evaluation_document.document, svc.uow_factory, principal, cycle_id, nip, now=svc.clock())
    document = await run_in_threadpool(build)
    content = await run_in_threadpool(evaluation_pdf.render, document)
    headers = {
        "Content-Disposition": f'attachment; filename="{document.file_name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(content, media_type="application/pdf", headers=headers)
