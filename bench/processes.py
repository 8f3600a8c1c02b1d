"""The processes a benchmark runs: the Temporal dev server and the workers, each a child whose memory we can read.

Children get their own session (a Ctrl-C reaches only the benchmark, which then stops them in order) and die with
the benchmark even if it is killed outright (PR_SET_PDEATHSIG). Peak memory is the kernel's high-water mark
(VmHWM in /proc/<pid>/status), so nothing has to be sampled.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import temporal_client
from bench.floor_worker import READY_LINE
from settings import TemporalSettings
from workflows import search_attributes

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90.0  # seconds: a fresh SQLite-backed dev server, or a worker importing and migrating
STOP_TIMEOUT = 20.0  # seconds: the Kinerja worker lets in-flight activities finish for up to 15
_PR_SET_PDEATHSIG = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Memory:
    rss_mib: float
    peak_mib: float  # VmHWM: the most this process has had resident since it started


@dataclass(frozen=True)
class PhaseCpu:
    """CPU seconds (user + system) spent during one phase; NaN for a worker inside the benchmark process."""

    worker: float
    server: float

    def __add__(self, other: PhaseCpu) -> PhaseCpu:
        return PhaseCpu(worker=self.worker + other.worker, server=self.server + other.server)


class Child:
    def __init__(self, name: str, popen: subprocess.Popen[bytes], log: Path) -> None:
        self.name, self.popen, self.log = name, popen, log

    @property
    def pid(self) -> int:
        return self.popen.pid

    def memory(self) -> Memory | None:
        """Resident and peak memory now; None once the process has gone."""
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        fields: dict[str, float] = {}
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024  # kB -> MiB
        if len(fields) < 2:
            return None  # a zombie has no memory lines
        return Memory(rss_mib=fields["VmRSS"], peak_mib=fields["VmHWM"])

    def cpu_seconds(self) -> float:
        """User + system CPU time so far; NaN once the process has gone."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return float("nan")
        fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces; it ends at the last ')'
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    async def wait_for_line(self, needle: str, timeout: float = START_TIMEOUT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if needle in self.log.read_text(errors="replace"):
                return
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")
            if loop.time() > deadline:
                raise RuntimeError(f"{self.name} did not say '{needle}' within {timeout:.0f}s:\n{self.tail()}")
            await asyncio.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; safe to call twice."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


class CpuMeter:
    """CPU a worker and the server spend from construction to `spent()`."""

    def __init__(self, worker: Child | None, server: Child) -> None:
        self._worker, self._server = worker, server
        self._start = self._read()

    def _read(self) -> tuple[float, float]:
        return (self._worker.cpu_seconds() if self._worker else float("nan"), self._server.cpu_seconds())

    def spent(self) -> PhaseCpu:
        worker, server = self._read()
        return PhaseCpu(worker=worker - self._start[0], server=server - self._start[1])


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: only the prctl call, nothing that allocates.
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_LIBC = ctypes.CDLL(None, use_errno=True)


def spawn(name: str, command: Sequence[str], log: Path, env: Mapping[str, str] | None = None) -> Child:
    """Start `command` with stdout and stderr in `log`. Call from the main thread: the death signal follows the
    thread that forked."""
    with log.open("wb") as out:
        popen = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return Child(name, popen, log)


@contextlib.contextmanager
def scratch_dir(prefix: str, *, keep: bool) -> Iterator[Path]:
    """A new temporary directory for a benchmark's logs and data, removed afterwards unless `keep` (then named)."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield data_dir
    finally:
        if keep:
            print(f"kept {data_dir}", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def dev_server_command(data_dir: Path, port: int, *, wal: bool) -> list[str]:
    """`temporal server start-dev` persisted to SQLite like `kinerja up`, headless, with Kinerja's attributes."""
    command = [
        str(temporal_client.dev_server_path()),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--headless",
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--log-level",
        "warn",
        *search_attributes.dev_server_args(),
    ]
    if wal:
        command += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
    return command


async def start_dev_server(data_dir: Path, *, wal: bool) -> tuple[Child, str]:
    port = free_port()
    address = f"127.0.0.1:{port}"
    server = spawn("temporal dev server", dev_server_command(data_dir, port, wal=wal), data_dir / "temporal.log")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    while True:
        if server.popen.poll() is not None:
            raise RuntimeError(f"the dev server exited with {server.popen.returncode}:\n{server.tail()}")
        try:
            await temporal_client.connect(TemporalSettings(address=address))
            return server, address
        except RuntimeError:
            if loop.time() > deadline:
                raise RuntimeError(f"the dev server did not answer at {address}:\n{server.tail()}") from None
            await asyncio.sleep(0.3)


def kinerja_worker_command() -> list[str]:
    return [sys.executable, "-m", "worker"]


async def start_kinerja_worker(data_dir: Path, address: str, task_queue: str, database_url: str) -> Child:
    env = {
        "DATABASE_URL": database_url,
        "TEMPORAL__ADDRESS": address,
        "TEMPORAL__TASK_QUEUE": task_queue,
        # The table measures the appraisal path against the floor, as it did before the outbox was delivered; the
        # relay's writes would share SQLite's one writer with the steps it measures. A deployment can deliver from
        # one process of its own the same way (`kinerja notifikasi kirim --terus`, docs/deployment.md).
        "OUTBOX__RELAY": "false",
    }
    worker = spawn("kinerja worker", kinerja_worker_command(), data_dir / "worker.log", env)
    await worker.wait_for_line('"worker started"')
    return worker


async def start_floor_worker(data_dir: Path, address: str, task_queue: str) -> Child:
    command = [sys.executable, "-m", "bench.floor_worker", address, task_queue]
    worker = spawn("floor worker", command, data_dir / "floor-worker.log")
    await worker.wait_for_line(READY_LINE)
    return worker
