"""How the command line talks to Temporal: one connection per command, and every Temporal failure as one clear line.

A rejected Update carries the validator's message (Bahasa Indonesia, naming the field) and `{field, rule}` in its
details; the user sees exactly that message. A server that does not answer is told as such, with the command that
starts one (`kinerja up`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

import temporal_client
from cli.output import CommandError
from settings import Settings

T = TypeVar("T")


async def connect(settings: Settings) -> Client:
    try:
        return await temporal_client.connect(settings.temporal)
    except RuntimeError as error:  # the SDK's "Failed client connect: ..."
        if settings.temporal.uses_tls:
            raise CommandError(
                f"sambungan TLS ke Temporal di {settings.temporal.address} gagal ({connect_failure(error)}); periksa"
                " TEMPORAL__TLS_CA_CERT, TEMPORAL__TLS_CLIENT_CERT/_KEY, TEMPORAL__TLS_SERVER_NAME"
                " atau TEMPORAL__API_KEY"
            ) from error
        raise CommandError(
            f"Temporal tidak dapat dihubungi di {settings.temporal.address}: jalankan `kinerja up` di terminal lain"
            " (atau atur TEMPORAL__ADDRESS)"
        ) from error


def connect_failure(error: BaseException) -> str:
    """The telling part of the SDK's "Failed client connect: ... error: ..." chain: its innermost error, which names
    the certificate problem (e.g. `InvalidCertificate(NotValidForNameContext { expected: ... })`)."""
    text = " ".join(str(error).split())
    innermost = text.rsplit("error: ", 1)[-1] if "error: " in text else text.removeprefix("Failed client connect: ")
    return innermost if len(innermost) <= 200 else innermost[:199] + "…"


def run(settings: Settings, body: Callable[[Client], Coroutine[Any, Any, T]], *, subject: str = "") -> T:
    """Connect, run `body`, and turn Temporal's failures into a CommandError naming `subject` (e.g. an appraisal)."""

    async def main() -> T:
        client = await connect(settings)
        return await translate(body(client), subject=subject)

    return asyncio.run(main())


async def translate(call: Awaitable[T], *, subject: str = "") -> T:
    try:
        return await call
    except WorkflowUpdateFailedError as error:
        raise CommandError(f"ditolak: {rejection_message(error.cause)}") from error
    except WorkflowUpdateRPCTimeoutOrCancelledError as error:
        raise CommandError(
            "Temporal tidak menjawab tepat waktu; langkah mungkin belum tercatat — periksa dengan `kinerja status`"
            " sebelum mengulang (pastikan worker berjalan: `kinerja up`)"
        ) from error
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
        raise CommandError(f"status tidak dapat dibaca: {error}") from error
    except WorkflowAlreadyStartedError as error:
        raise CommandError(f"{subject or 'workflow'} sudah pernah dimulai dan sudah selesai") from error
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            if "already completed" in error.message:
                raise CommandError(
                    f"{subject or 'workflow'} sudah selesai (final, atau ditarik dari siklus); tidak ada langkah lagi"
                ) from error
            raise CommandError(f"{subject or 'workflow'} tidak ditemukan di Temporal") from error
        if error.status == RPCStatusCode.UNAVAILABLE:
            raise CommandError("Temporal tidak dapat dihubungi: jalankan `kinerja up` di terminal lain") from error
        raise CommandError(f"Temporal menolak permintaan: {error.message}") from error


def rejection_message(cause: BaseException | None) -> str:
    """The validator's or handler's own message; the field and rule are already named in it."""
    if isinstance(cause, ApplicationError):
        rule = _detail(cause, "rule")
        message = cause.message
        return f"{message} (aturan: {rule})" if rule and rule not in message else message
    return str(cause) if cause else "alasan tidak diketahui"


def _detail(error: ApplicationError, key: str) -> str | None:
    if error.details and isinstance(error.details[0], dict):
        value = error.details[0].get(key)
        return str(value) if value else None
    return None
