"""Temporal's Web UI reads compressed and encrypted histories through this: its remote codec (`POST
{endpoint}/decode`, the body and the answer `{"payloads": [{"metadata": {...}, "data": "..."}]}` in protobuf JSON).
Set the endpoint to `{this service}/codec` in the Web UI's codec settings (or `--ui-codec-endpoint`, which `kinerja
up` passes), with cross-origin credentials, and sign in here as an operator in the same browser: an operator sees the
payloads decrypted and inflated (payloads.codec); anyone else is refused and sees what Temporal stores.

Cross-origin: the Web UI (TEMPORAL__UI_URL) is the one origin allowed to call it, with credentials; the rest of the
API allows no other origin. Outside /api/v1 (as /auth/oidc is): a protocol of Temporal's, not Kinerja's API; it
checks its caller itself, deny by default (401 anonymous, 403 anyone but an operator).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from domain.stages import Role
from payloads import ENCRYPTED, PayloadCompressionError, PayloadKeyError, codec
from web.access import Rule
from web.deps import Caller, Svc, guard, optional_caller
from web.problems import Problem

router = APIRouter(tags=["operator"])
MAX_BODY = 4 * 1024 * 1024  # a history page's payloads; Temporal's own payload limit is 2 MB each
MAX_ANSWER = 16 * 1024 * 1024  # what they open to, all together: compressed payloads inflate (payloads.MAX_INFLATED)


def _ui_origin(request: Request, svc: Svc) -> str | None:
    """The Web UI's origin, if this request comes from it."""
    ui = svc.settings.temporal.ui_url
    if not ui:
        return None
    parts = urlsplit(ui)
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if request.headers.get("origin") == origin else None


def _cors(origin: str | None) -> dict[str, str]:
    if origin is None:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "content-type, x-namespace, authorization",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


# `public` to the route table: the Web UI's preflight carries no credentials, and its POST is checked here, by the
# route (an operator of any instansi: the payloads name no instansi), not by a rule on a path resource.
UNGUARDED = guard(Rule("public"))


@router.options(
    "/codec/decode",
    summary="Izin lintas asal untuk Web UI Temporal",
    status_code=204,
    **guard(Rule("public"), {204: {"description": "izin (untuk asal Web UI saja)"}}),
)
async def decode_preflight(request: Request, svc: Svc) -> Response:
    return Response(status_code=204, headers=_cors(_ui_origin(request, svc)))


@router.post(
    "/codec/decode",
    summary="Buka payload terkompresi dan terenkripsi untuk Web UI Temporal (hanya operator)",
    **UNGUARDED,
)
async def decode(request: Request, svc: Svc, caller: Annotated[Caller | None, Depends(optional_caller)]) -> Response:
    origin = _ui_origin(request, svc)
    if caller is None:
        raise Problem(401, "belum masuk: masuk ke Kinerja sebagai operator di peramban ini", headers=_cors(origin))
    if not any(grant.role is Role.OPERATOR for grant in caller.principal.grants):
        raise Problem(403, "hanya operator yang dapat membuka riwayat Temporal", field="peran", headers=_cors(origin))
    keys = svc.settings.temporal.encryption()
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Problem(413, f"paling banyak {MAX_BODY // (1024 * 1024)} MB payload sekali minta", headers=_cors(origin))
    wrapper = Payloads()
    try:
        json_format.Parse(body, wrapper)
    except (json_format.ParseError, UnicodeDecodeError, ValueError) as error:
        what = f"bukan payload Temporal dalam JSON: {str(error)[:200]}"
        raise Problem(422, what, field="payloads", headers=_cors(origin)) from None
    if keys is None and any(payload.metadata.get("encoding") == ENCRYPTED for payload in wrapper.payloads):
        raise Problem(
            404, "enkripsi payload tidak diatur di layanan ini (TEMPORAL__PAYLOAD_KEYS_FILE)", headers=_cors(origin)
        )
    opener, opened, size = codec(keys), [], 0
    try:
        for payload in wrapper.payloads:  # one at a time: each may inflate to MAX_INFLATED, the answer to MAX_ANSWER
            [done] = await opener.decode([payload])
            size += done.ByteSize()
            if size > MAX_ANSWER:
                raise Problem(
                    413,
                    f"payload yang dibuka lebih dari {MAX_ANSWER // (1024 * 1024)} MB; buka lebih sedikit sekali minta",
                    field="payloads",
                    headers=_cors(origin),
                )
            opened.append(done)
    except (PayloadKeyError, PayloadCompressionError) as error:
        raise Problem(422, str(error), field="payloads", headers=_cors(origin)) from None
    decoded = Payloads(payloads=opened)
    return Response(json_format.MessageToJson(decoded), media_type="application/json", headers=_cors(origin))
