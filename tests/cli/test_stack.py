"""`kinerja up` as a user runs it: the dev server with its Web UI, the search attributes and a SQLite file, the worker,
the HTTP service, a clean stop on Ctrl-C with no server left behind, a restart on the same data, and a port held by
something else."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

import temporal_client
from cli.stack import LocalStack
from settings import Settings, TemporalSettings
from tests.ports import free_port
from workflows import search_attributes

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90
STOP_TIMEOUT = 30
KINERJA_ATTRIBUTES = {key.name for key in search_attributes.ALL}


def _dev_servers(data_dir: Path) -> dict[int, int]:
    """{pid: parent pid} of the dev servers whose command line names this data directory."""
    found: dict[int, int] = {}
    named = str(data_dir.resolve())  # as kinerja up passes it to the server
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
        if "start-dev" in cmdline and named in cmdline:
            found[int(entry.name)] = parent
    return found


@dataclass
class Up:
    """One `kinerja up` in its own working directory, as a user starts it in a terminal."""

    cwd: Path
    port: int
    ui_port: int
    web_port: int
    process: subprocess.Popen[str] | None = None
    lines: queue.Queue[str | None] | None = None

    @property
    def data_dir(self) -> Path:
        return self.cwd / ".kinerja"

    @property
    def stderr_file(self) -> Path:
        return self.cwd / "stderr.log"

    def env(self) -> dict[str, str]:
        inherited = {name: value for name, value in os.environ.items() if name != "TEMPORAL__UI_URL"}
        return {
            **inherited,  # without a UI address of the caller's: `kinerja up` links to the UI it starts
            "DATABASE_URL": f"sqlite:///{self.cwd / 'kinerja.db'}",
            "TEMPORAL__ADDRESS": f"127.0.0.1:{self.port}",
            "PYTHONPATH": str(ROOT),
        }

    def start(self) -> list[str]:
        """Start `kinerja up` and return its output up to the "Kinerja siap" line."""
        with self.stderr_file.open("a") as stderr:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "starter",
                    "up",
                    "--ui-port",
                    str(self.ui_port),
                    "--web-port",
                    str(self.web_port),
                ],
                env=self.env(),
                cwd=self.cwd,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.process, self.lines), daemon=True).start()
        shown: list[str] = []
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            shown.append(line)
            if line.startswith("Kinerja siap"):
                return shown
        raise AssertionError(f"kinerja up did not become ready:\n{''.join(shown)}\n{self.stderr_file.read_text()}")

    def interrupt(self) -> str:
        """Ctrl-C; the exit code must be 0 within STOP_TIMEOUT. Returns what it printed after being ready."""
        assert self.process is not None and self.lines is not None
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=STOP_TIMEOUT)
        rest: list[str] = []
        while (line := self.lines.get(timeout=5)) is not None:
            rest.append(line)
        assert self.process.returncode == 0, "".join(rest) + self.stderr_file.read_text()
        return "".join(rest)

    def kill(self) -> None:
        """After a failed test: end what this test started, by pid."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in _dev_servers(self.data_dir):
            os.kill(pid, signal.SIGKILL)

    @staticmethod
    def _read(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    stack = Up(cwd=tmp_path, port=free_port(), ui_port=free_port(), web_port=free_port())
    try:
        yield stack
    finally:
        stack.kill()


async def _custom_search_attributes(port: int) -> set[str]:
    client = await temporal_client.connect(TemporalSettings(address=f"127.0.0.1:{port}"))
    listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace="default"))
    return set(listed.custom_attributes)


def test_up_serves_temporal_its_web_ui_and_a_worker_then_stops_on_ctrl_c_leaving_no_server(up: Up) -> None:
    shown = "".join(up.start())
    assert f"127.0.0.1:{up.port}" in shown
    assert f"http://127.0.0.1:{up.ui_port}" in shown
    assert f"sqlite:///{up.cwd / 'kinerja.db'}" in shown
    assert "Task queue" in shown and "kinerja" in shown
    assert "  Notifikasi  ke log; e-mail menunggu di outbox sampai SMTP__HOST diatur" in shown
    web = f"http://127.0.0.1:{up.web_port}"
    assert f"  Layanan web {web}/ untuk peramban (API {web}/api/v1" in shown
    assert f"`kinerja masuk --nip NIP --api {web}`" in shown
    assert shown.splitlines()[-1].startswith("Kinerja siap — tekan Ctrl-C untuk berhenti")

    with urllib.request.urlopen(f"http://127.0.0.1:{up.ui_port}/", timeout=10) as response:
        assert response.status == 200
    # The HTTP service answered before "siap" was printed, and is ready: Temporal and the database answer it too.
    with urllib.request.urlopen(f"{web}/readyz", timeout=10) as response:
        assert response.status == 200 and json.loads(response.read())["status"] == "siap"
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{web}/api/v1/me", timeout=10)
    assert anonymous.value.code == 401  # nobody signed in
    # The Web UI it started, on this --ui-port, may ask the web service to open payloads (CORS), and no other origin.
    ui = f"http://127.0.0.1:{up.ui_port}"
    for origin, allowed in ((ui, ui), ("http://127.0.0.1:8233", None)):
        preflight = urllib.request.Request(f"{web}/codec/decode", method="OPTIONS", headers={"Origin": origin})
        with urllib.request.urlopen(preflight, timeout=10) as response:
            assert response.headers.get("Access-Control-Allow-Origin") == allowed, origin
    assert asyncio.run(_custom_search_attributes(up.port)) >= KINERJA_ATTRIBUTES
    assert up.process is not None
    servers = _dev_servers(up.data_dir)
    assert list(servers.values()) == [up.process.pid], "one dev server, a child of kinerja up"

    rest = up.interrupt()
    assert "Kinerja berhenti." in rest
    assert not _dev_servers(up.data_dir), "Ctrl-C leaves no dev server behind"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{web}/healthz", timeout=5)  # the HTTP service stopped with it
    assert (up.data_dir / "temporal.db").exists()
    assert (up.cwd / "kinerja.db").exists()  # migrated before the worker started
    stderr = up.stderr_file.read_text()
    assert "Traceback" not in stderr
    assert '"worker stopped"' in stderr  # the graceful stop, in the JSON log


def test_a_second_ctrl_c_stops_at_once_and_still_leaves_no_server(up: Up) -> None:
    up.start()
    assert up.process is not None and up.lines is not None
    up.process.send_signal(signal.SIGINT)
    up.process.send_signal(signal.SIGINT)  # impatient: a graceful stop may still be under way
    up.process.wait(timeout=STOP_TIMEOUT)
    rest: list[str] = []
    while (line := up.lines.get(timeout=5)) is not None:
        rest.append(line)
    shown, stderr = "".join(rest), up.stderr_file.read_text()
    # Forced when the second signal found the shutdown under way (130), or graceful when it was already over (0).
    assert (up.process.returncode, "Kinerja dihentikan paksa." in shown) in {(130, True), (0, False)}, shown + stderr
    assert not _dev_servers(up.data_dir), "no dev server left behind"
    assert "Traceback" not in stderr, stderr[-3000:]


async def _start_unpolled_workflow(port: int) -> None:
    client = await temporal_client.connect(TemporalSettings(address=f"127.0.0.1:{port}"))
    await client.start_workflow(
        "KeptAcrossRestarts",
        id="kept-across-restarts",
        task_queue="nobody-polls-this",
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )


async def _still_running(port: int) -> bool:
    client = await temporal_client.connect(TemporalSettings(address=f"127.0.0.1:{port}"))
    description = await client.get_workflow_handle("kept-across-restarts").describe()
    return description.status is not None and description.status.name == "RUNNING"


def test_up_again_on_the_same_data_keeps_workflows_and_search_attributes(up: Up) -> None:
    up.start()
    asyncio.run(_start_unpolled_workflow(up.port))
    up.interrupt()

    up.start()  # the same data dir and ports; the flags register the attributes again, which the server accepts
    assert asyncio.run(_still_running(up.port))
    assert asyncio.run(_custom_search_attributes(up.port)) >= KINERJA_ATTRIBUTES
    up.interrupt()
    assert not _dev_servers(up.data_dir)


def test_a_dev_server_that_dies_is_said_so_and_started_again_on_the_same_data(up: Up) -> None:
    """The dev server killed under a running `kinerja up` (as the OOM killer or a stray `kill` would): the terminal
    says so, the server comes back on the same data with its workflows, and the web service answers ready again."""
    up.start()
    assert up.process is not None and up.lines is not None
    asyncio.run(_start_unpolled_workflow(up.port))
    [first] = _dev_servers(up.data_dir)
    os.kill(first, signal.SIGKILL)
    said: list[str] = []
    deadline = time.monotonic() + READY_TIMEOUT
    while not any(line.startswith("Temporal dev server berjalan lagi") for line in said):
        assert time.monotonic() < deadline, "".join(said) + up.stderr_file.read_text()
        line = up.lines.get(timeout=max(0.1, deadline - time.monotonic()))
        assert line is not None, "".join(said) + up.stderr_file.read_text()
        said.append(line)
    assert any(line.startswith("Temporal dev server berhenti (kode -9); dimulai ulang") for line in said), said
    [second] = _dev_servers(up.data_dir)
    assert second != first and _dev_servers(up.data_dir)[second] == up.process.pid
    assert asyncio.run(_still_running(up.port)), "the workflow started before is still there"
    with urllib.request.urlopen(f"http://127.0.0.1:{up.web_port}/readyz", timeout=30) as response:
        assert response.status == 200 and json.loads(response.read())["status"] == "siap"
    assert "Kinerja berhenti." in up.interrupt()
    assert not _dev_servers(up.data_dir)


def test_up_refuses_a_port_held_by_something_that_is_not_temporal(up: Up) -> None:
    web = http.server.ThreadingHTTPServer(("127.0.0.1", up.port), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "starter", "up", "--ui-port", str(up.ui_port)],
            env=up.env(),
            cwd=up.cwd,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        web.shutdown()
        web.server_close()
    assert done.returncode == 1
    said = [line for line in done.stderr.splitlines() if not line.startswith("{")]  # not the JSON log
    assert said == [
        f"kesalahan: port {up.port} sudah dipakai program lain yang bukan server Temporal (127.0.0.1:{up.port}):"
        " pilih port lain dengan --port atau TEMPORAL__ADDRESS"
    ]
    assert not up.data_dir.exists()


def test_up_does_not_start_a_plain_server_where_tls_is_configured(up: Up) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "starter", "up", "--ui-port", str(up.ui_port)],
        env={**up.env(), "TEMPORAL__TLS": "true"},
        cwd=up.cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    said = [line for line in done.stderr.splitlines() if not line.startswith("{")]
    assert len(said) == 1 and said[0].startswith(
        f"kesalahan: Temporal di 127.0.0.1:{up.port} tidak menjawab sambungan TLS"
    )
    assert "Connection refused" in said[0]  # why, as the SDK says it
    assert said[0].endswith(
        "periksa TEMPORAL__TLS_* dan TEMPORAL__API_KEY (`kinerja up` hanya memulai server lokal tanpa TLS)"
    )
    assert not up.data_dir.exists()


def test_up_refuses_a_web_port_held_by_something_else_and_leaves_no_server(up: Up) -> None:
    holder = http.server.ThreadingHTTPServer(("127.0.0.1", up.web_port), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=holder.serve_forever, daemon=True).start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "starter", "up", "--ui-port", str(up.ui_port), "--web-port", str(up.web_port)],
            env=up.env(),
            cwd=up.cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.shutdown()
        holder.server_close()
    assert done.returncode == 1, done.stdout + done.stderr
    said = [line for line in done.stderr.splitlines() if not line.startswith("{")]
    assert said == [
        f"kesalahan: port {up.web_port} untuk layanan web sudah dipakai program lain: pilih port lain dengan --web-port"
    ]
    assert "Kinerja siap" not in done.stdout
    assert not _dev_servers(up.data_dir), "the dev server it started is stopped again"
    assert '"worker stopped"' in done.stderr  # the worker it started too, gracefully


def test_the_web_service_beside_a_started_ui_links_to_it_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEMPORAL__UI_URL", raising=False)
    started = LocalStack(
        client=cast(Client, None), address="127.0.0.1:7233", ui_url="http://127.0.0.1:9000", started_server=True
    )
    assert started.web_settings(Settings()).temporal.ui_url == "http://127.0.0.1:9000"
    # TEMPORAL__UI_URL set (the UI behind a proxy) is kept, as it is beside a server that was already running.
    told = Settings(temporal=TemporalSettings(ui_url="https://temporal.bkd.example.go.id"))
    assert started.web_settings(told).temporal.ui_url == "https://temporal.bkd.example.go.id"
    reused = LocalStack(client=cast(Client, None), address="127.0.0.1:7233", ui_url=None, started_server=False)
    configured = Settings()
    assert reused.web_settings(configured) is configured
