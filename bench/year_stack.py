"""What bench/year.py runs on, and what it keeps between runs so that it resumes instead of starting over.

Everything lives in the run's directory (`--dir`): the dev server's SQLite file (as `kinerja up` keeps it), the
logs, `state.json` (the database, the port, the cycle, the calendar, each finished phase's figures) and
`tokens.json` (a bearer token per person; the directory is made readable by its owner only). The domain database is
a PostgreSQL database of its own, named in the state, dropped only by `--drop`.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import temporal_client
from bench.processes import Child, dev_server_command, free_port, spawn, start_floor_worker, start_kinerja_worker
from bench.web_stack import start_web, tree_cpu_seconds, tree_memory
from settings import TemporalSettings

KINERJA_QUEUE = "kinerja-year"
FLOOR_QUEUE = "floor-year"
SERVER_START = 120.0  # seconds: a dev server on a large file takes a while to answer again


@dataclass
class RunState:
    """state.json: what a run that stopped left for the next to go on from."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, directory: Path) -> RunState:
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        path = directory / "state.json"
        return cls(path, json.loads(path.read_text()) if path.exists() else {})

    def save(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, indent=1, default=str))
        temporary.replace(self.path)

    def done(self, phase: str) -> bool:
        return phase in self.data.get("phases", {})

    def finish(self, phase: str, figures: dict[str, Any]) -> None:
        self.data.setdefault("phases", {})[phase] = figures
        self.save()

    def setting(self, key: str, make: Any) -> Any:
        """The value kept under `key`, made (and kept) on first use."""
        if key not in self.data:
            self.data[key] = make() if callable(make) else make
            self.save()
        return self.data[key]


@dataclass
class Stack:
    """The dev server, Kinerja's worker, the floor's worker and the web service, on the run's files."""

    directory: Path
    database_url: str
    port: int
    form_secret: str
    server: Child | None = None
    worker: Child | None = None
    floor_worker: Child | None = None
    web: Child | None = None
    base_url: str = ""

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @classmethod
    def of(cls, state: RunState, database_url: str) -> Stack:
        port = state.setting("port", free_port)
        secret = state.setting("form_secret", lambda: secrets.token_hex(32))
        return cls(state.path.parent, database_url, int(port), str(secret))

    async def start(self) -> None:
        command = dev_server_command(self.directory, self.port, wal=False)
        self.server = spawn("temporal dev server", command, self.directory / "temporal.log")
        deadline = time.monotonic() + SERVER_START
        while True:
            try:
                await temporal_client.connect(TemporalSettings(address=self.address))
                break
            except RuntimeError:
                if self.server.popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dev server did not answer:\n{self.server.tail()}") from None
                await asyncio.sleep(0.5)
        self.worker = await start_kinerja_worker(self.directory, self.address, KINERJA_QUEUE, self.database_url)
        self.floor_worker = await start_floor_worker(self.directory, self.address, FLOOR_QUEUE)
        env = {
            "DATABASE_URL": self.database_url,
            "TEMPORAL__ADDRESS": self.address,
            "TEMPORAL__TASK_QUEUE": KINERJA_QUEUE,
            # The citizens' answers come from the benchmark, each with its own address (X-Forwarded-For).
            "AUTH__TRUSTED_PROXIES": "127.0.0.1",
            "SURVEY__FORM_SECRET": self.form_secret,
        }
        self.web, self.base_url = await start_web(self.directory, env, workers=1, name="web")

    def stop(self) -> None:
        for child in (self.web, self.floor_worker, self.worker, self.server):
            if child is not None:
                child.stop()

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each process (the web service with its children)."""
        found = {}
        for name, child in self.children().items():
            found[name] = tree_cpu_seconds(child.pid) if name == "web" else child.cpu_seconds()
        return found

    def peaks(self) -> dict[str, float]:
        """Peak RSS (MiB) of each process since it started."""
        found = {}
        for name, child in self.children().items():
            memory = tree_memory(child.pid) if name == "web" else child.memory()
            if memory is not None:
                found[name] = memory.peak_mib
        return found

    def children(self) -> dict[str, Child]:
        named = {"worker": self.worker, "server": self.server, "web": self.web, "floor": self.floor_worker}
        return {name: child for name, child in named.items() if child is not None}
