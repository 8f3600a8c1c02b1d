"""The HTTP service: `kinerja web` on its own, and `web_service` for `kinerja up` and the demo, which run it in their
own process beside the worker.

    kinerja web [--host 127.0.0.1] [--port 8000] [--workers 1]     # uvicorn --factory web.app:app_from_environment

Neither writes an access log: a request's query string may carry a one-time link's secret
(`/akun/kata-sandi?tautan=...`), and no secret belongs in a log. uvicorn and the app are imported when a service
starts, not when the command line loads: every other `kinerja` command starts faster without FastAPI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from cli.output import CommandError
from observability import configure_logging
from settings import Settings, load_settings

if TYPE_CHECKING:
    import uvicorn
    from temporalio.client import Client

READY_DEADLINE = 30.0  # seconds for the service to answer /healthz
FORCED_STOP = 2.0  # seconds a forced stop gives the service to end its lifespan in order
STOP_DEADLINE = 10.0  # seconds for requests in flight to finish


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = commands.add_parser(
        "web",
        help="jalankan layanan HTTP Kinerja (API /api/v1, OpenAPI /openapi.json) sampai Ctrl-C",
        description="Layanan HTTP Kinerja: satu-satunya jalan orang bertindak (masuk, langkah penilaian). Worker dan"
        " Temporal berjalan terpisah (`kinerja up`, `python -m worker`). Bawaan dari WEB__HOST, WEB__PORT,"
        " WEB__WORKERS.",
    )
    web.add_argument("--host", help="alamat yang didengarkan (bawaan: WEB__HOST, 127.0.0.1)")
    web.add_argument("--port", type=int, help="port (bawaan: WEB__PORT, 8000)")
    web.add_argument("--workers", type=int, help="jumlah proses (bawaan: WEB__WORKERS, 1)")
    web.set_defaults(handler=run_web)


def run_web(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()  # refused here, with the variable named, rather than in every worker process
    configure_logging(settings.log_level)
    host = args.host or settings.web.host
    port = args.port or settings.web.port
    workers = args.workers or settings.web.workers
    print(f"Layanan web Kinerja di http://{_shown_host(host)}:{port} ({workers} proses) — Ctrl-C untuk berhenti.")
    uvicorn.run(
        "web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level=settings.log_level.lower(),
        proxy_headers=False,  # the app believes forwarded headers only from AUTH__TRUSTED_PROXIES
    )
    return 0


@dataclass(frozen=True)
class WebService:
    url: str


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn in a process that owns its signals (`kinerja up` stops the service itself, then the worker)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield

    return Server(config)


@contextlib.asynccontextmanager
async def web_service(
    settings: Settings, *, port: int, client: Client | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[WebService]:
    """The app on host:port in this event loop, answering /healthz when the body starts; stopped on exit, however the
    body ends (requests in flight are given STOP_DEADLINE seconds)."""
    import uvicorn

    from web.app import create_app

    url = f"http://{_shown_host(host)}:{port}"
    if not await asyncio.to_thread(_free, host, port):
        raise CommandError(
            f"port {port} untuk layanan web sudah dipakai program lain: pilih port lain dengan --web-port"
        )
    config = uvicorn.Config(
        create_app(settings, client=client),
        host=host,
        port=port,
        access_log=False,
        log_config=None,  # the process's own logging (observability) stays as it is
        lifespan="on",
        timeout_graceful_shutdown=int(STOP_DEADLINE),
    )
    server = _server(config)
    task = asyncio.create_task(_serve(server))
    try:
        await _until_ready(url, task)
        yield WebService(url=url)
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_DEADLINE + 5)
        except asyncio.CancelledError:  # stopped by force (a second Ctrl-C): requests in flight get a moment only
            # The app's lifespan still ends in order if it can within that moment: a lifespan task cancelled while
            # it waits is logged by uvicorn as an error with its traceback.
            with contextlib.suppress(TimeoutError, CommandError):
                await asyncio.wait_for(asyncio.shield(task), FORCED_STOP)
            if not task.done():
                server.force_exit = True
                task.cancel()
            raise
        except (TimeoutError, CommandError):
            task.cancel()


async def _serve(server: uvicorn.Server) -> None:
    try:
        await server.serve()
    except SystemExit:  # uvicorn's answer to a failed start (a port taken meanwhile, a lifespan that failed)
        raise CommandError("layanan web tidak dapat dimulai; lihat log di atas") from None


async def _until_ready(url: str, task: asyncio.Task[None]) -> None:
    deadline = asyncio.get_running_loop().time() + READY_DEADLINE
    async with httpx.AsyncClient(timeout=2.0) as http:
        while asyncio.get_running_loop().time() < deadline:
            if task.done():
                task.result()  # its CommandError
                raise CommandError("layanan web berhenti saat dimulai")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise CommandError(f"layanan web tidak menjawab di {url}/healthz dalam {READY_DEADLINE:.0f} detik")


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _shown_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
