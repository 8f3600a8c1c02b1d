"""One error shape: RFC 9457 problem details (`application/problem+json`) with the Indonesian message and the field.

- a rule refused the request: 422 (the payload) or 409 (the appraisal's stage), with `field` and `rule`;
- the person may not do this: 403; may not even see it: 404; not signed in: 401;
- an infrastructure failure (Temporal or the database unreachable) is a 503 that says so and what to do, never a
  refusal: the person's step was not taken and may be sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from temporalio.client import (
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import ConcurrencyConflict, DomainError, Forbidden, NotFound
from identity.accounts import LoginRefused
from importing.errors import ValidationFailed

PROBLEM = "application/problem+json"
log = logging.getLogger("kinerja.web")

_TITLES = {
    400: "Permintaan tidak dapat dibaca",
    401: "Belum masuk",
    403: "Tidak diizinkan",
    404: "Tidak ditemukan",
    405: "Metode tidak diizinkan",
    409: "Bertentangan dengan keadaan sekarang",
    413: "Terlalu besar",
    415: "Jenis isi tidak didukung",
    422: "Ditolak aturan",
    429: "Terlalu banyak percobaan",
    500: "Kesalahan pada server",
    503: "Layanan belum dapat dihubungi",
    504: "Tidak dijawab tepat waktu",
}
# The problem body as the OpenAPI spec states it, on every route (web.deps.guard): a client (and the schemathesis
# test, tests/web/test_schemathesis.py) knows the shape of every refusal the handlers below answer with.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "the field refused, as the request names it"},
        "rule": {"type": "string", "description": "the rule that refused it"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": title, "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}
    for status, title in _TITLES.items()
}
MAX_ROW_ERRORS = 1000  # rows of an import file listed in a refusal; the count is in the detail
# Fields whose refusal by the workflow means "not you" rather than "not this": the person is not who the role needs.
_IDENTITY_FIELDS = {"pelaku", "peran"}
_STAGE_FIELDS = {"tahap"}


class Problem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field, self.rule, self.headers = status, detail, field, rule, headers


@dataclass(frozen=True)
class Described:
    """What went wrong, in the words of the one error shape; the API prints it as problem+json, a page beside the
    field it names (web.pages)."""

    status: int
    detail: str
    field: str | None = None
    rule: str | None = None
    errors: list[dict[str, Any]] | None = None
    headers: dict[str, str] | None = None

    @property
    def title(self) -> str:
        return _TITLES.get(self.status, "Galat")


def problem(
    status: int,
    detail: str,
    *,
    field: str | None = None,
    rule: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Galat"), "status": status}
    body["detail"] = detail
    if field:
        body["field"] = field
    if rule:
        body["rule"] = rule
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def as_json(found: Described) -> JSONResponse:
    return problem(
        found.status, found.detail, field=found.field, rule=found.rule, errors=found.errors, headers=found.headers
    )


def _domain(error: DomainError) -> Described:
    message = str(error)
    if error.field and message.startswith(f"{error.field}: "):
        message = message[len(error.field) + 2 :]
    status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, Forbidden) else 422
    if isinstance(error, ConcurrencyConflict) or error.field in _STAGE_FIELDS:
        status = 409
    if isinstance(error, ValidationFailed):  # an import file: every bad row, as the command line lists them
        rows = [
            {"field": row.column or "baris", "message": row.render(), "line": row.line, "code": row.code}
            for row in error.errors[:MAX_ROW_ERRORS]
        ]
        return Described(status, message, field="berkas", rule=error.rule, errors=rows)
    problems = getattr(error, "problems", None)  # a refusal naming several fields at once (services.skp_edit)
    if isinstance(problems, list) and problems:
        listed = [{"field": where or "", "message": text} for where, text in problems[:MAX_ROW_ERRORS]]
        return Described(status, message, field=error.field, rule=error.rule, errors=listed)
    return Described(status, message, field=error.field, rule=error.rule)


def _rejected(error: WorkflowUpdateFailedError) -> Described:
    cause = error.cause
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        field = details.get("field")
        rule = details.get("rule")
        message = cause.message
        if field and message.startswith(f"{field}: "):
            message = message[len(field) + 2 :]
        if cause.type == "RecordStepFailed" or message.startswith("langkah tidak tercatat"):
            return Described(
                503,
                f"{message}. Langkah belum tercatat karena basis data tidak dapat dihubungi; coba kirim lagi"
                " sebentar lagi",
            )
        status = 403 if field in _IDENTITY_FIELDS else 409 if field in _STAGE_FIELDS else 422
        return Described(status, message, field=field, rule=rule)
    return Described(422, str(cause) if cause else "langkah ditolak")


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(location[-1] if location else "")


_PYDANTIC_WORDS = {
    "missing": "wajib diisi",
    "string_too_long": "terlalu panjang",
    "string_too_short": "terlalu pendek",
    "string_pattern_mismatch": "bentuknya tidak sesuai",
    "too_long": "terlalu banyak isian",
    "too_short": "terlalu sedikit isian",
    "enum": "bukan salah satu pilihan",
    "extra_forbidden": "tidak dikenal",
    "greater_than_equal": "terlalu kecil",
    "less_than_equal": "terlalu besar",
    "decimal_parsing": "bukan bilangan",
    "datetime_parsing": "bukan waktu ISO-8601",
    "timezone_aware": "waktu harus dengan zona (mis. +07:00)",
    "date_from_datetime_parsing": "bukan tanggal (2026-07-01)",
    "json_invalid": "bukan JSON yang sah",
    "model_attributes_type": "harus berupa objek JSON",
    "dict_type": "harus berupa objek JSON",
    "list_type": "harus berupa daftar",
    "string_type": "harus berupa teks",
}


def _validation(error: RequestValidationError) -> Described:
    errors = []
    for item in error.errors():
        field = _field_of(tuple(item.get("loc", ())))
        words = _PYDANTIC_WORDS.get(item.get("type", ""))
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        if item.get("type") == "value_error":
            words = message
        errors.append({"field": field, "message": words or message})
    first = errors[0] if errors else {"field": None, "message": "permintaan tidak sah"}
    return Described(422, f"{first['field']}: {first['message']}", field=first["field"], errors=errors)


def _http(error: StarletteHTTPException) -> Described:
    detail = error.detail if isinstance(error.detail, str) else _TITLES.get(error.status_code, "galat")
    if error.status_code == 404 and detail == "Not Found":
        detail = "alamat ini tidak ada"
    elif error.status_code == 405:
        detail = "metode ini tidak dilayani pada alamat ini"
    return Described(error.status_code, detail, headers=getattr(error, "headers", None))


def _rpc(error: RPCError) -> Described:
    if error.status == RPCStatusCode.NOT_FOUND:
        if "already completed" in error.message:
            return Described(
                409, "penilaian ini sudah selesai (final, atau ditarik); tidak ada langkah lagi", field="tahap"
            )
        return Described(404, "penilaian tidak ditemukan di Temporal", field="penilaian")
    log.warning("temporal rpc failed: %s", error.status)
    return Described(503, "Temporal tidak dapat dihubungi; langkah belum tercatat, coba lagi sebentar lagi")


def describe(error: BaseException) -> Described:
    """Any failure a request can meet, as the one error shape: a rule's refusal (422/409 with its field), a person's
    (401/403/404), or the infrastructure's (503/504: nothing was recorded, send it again)."""
    if isinstance(error, Problem):
        return Described(error.status, error.detail, field=error.field, rule=error.rule, headers=error.headers)
    if isinstance(error, DomainError):
        return _domain(error)
    if isinstance(error, LoginRefused):
        return Described(429 if error.rate_limited else 401, str(error))
    if isinstance(error, RequestValidationError):
        return _validation(error)
    if isinstance(error, StarletteHTTPException):
        return _http(error)
    if isinstance(error, WorkflowUpdateFailedError):
        return _rejected(error)
    if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError):
        return Described(
            504,
            "Temporal tidak menjawab tepat waktu; langkah mungkin belum tercatat. Kirim lagi dengan Idempotency-Key"
            " yang sama: bila sudah tercatat, jawabannya hasil yang pertama",
        )
    if isinstance(error, WorkflowQueryFailedError | WorkflowQueryRejectedError):
        log.warning("query failed: %s", type(error).__name__)
        return Described(503, "status penilaian tidak dapat dibaca dari Temporal saat ini; coba lagi sebentar lagi")
    if isinstance(error, WorkflowAlreadyStartedError):
        # The one start the API makes is a cycle's: a running cycle is found again, so this is one that has ended.
        return Described(
            409,
            "siklus dengan id ini sudah pernah berjalan dan sudah berakhir; mulai siklus baru dengan id lain",
            field="siklus",
        )
    if isinstance(error, RPCError):
        return _rpc(error)
    if isinstance(error, OperationalError | DBAPIError):
        log.warning("database unavailable: %s", type(error).__name__)
        return Described(503, "basis data tidak dapat dihubungi; tidak ada yang tercatat, coba lagi sebentar lagi")
    log.exception("unexpected error: %s", type(error).__name__, exc_info=error)
    return Described(500, "kesalahan tak terduga pada server; sudah dicatat di log server")


HANDLED: tuple[type[Exception], ...] = (
    Problem,
    DomainError,
    LoginRefused,
    RequestValidationError,
    StarletteHTTPException,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowAlreadyStartedError,
    RPCError,
    OperationalError,
    DBAPIError,
    Exception,
)
PageRenderer = Callable[[Request, Described], Awaitable[Response]]


def install(
    app: FastAPI, *, page: PageRenderer | None = None, is_page: Callable[[str], bool] = lambda _p: False
) -> None:
    """One handler for every failure: problem+json, or for a page's path (`is_page`) the page `page` renders."""

    async def handle(request: Request, error: Exception) -> Response:
        found = describe(error)
        if page is not None and is_page(request.url.path):
            return await page(request, found)
        return as_json(found)

    for kind in HANDLED:
        app.add_exception_handler(kind, handle)
