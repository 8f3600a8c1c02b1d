"""The people of bench/year.py acting through the authenticated API: one bearer token each, every change with its
own Idempotency-Key (kept across retries, as a browser or the command line keeps it), each call's latency kept
with when it was sent, so a phase can be split into windows (during the survey's close, the calibration push, the
closing report) and compared with its quiet part.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from bench.measure import Latency, latency

T = TypeVar("T")
RETRIES = 5  # a call that met a transport error or a 5xx is sent again (same key) this many times
RETRY_PAUSE = 1.0  # seconds
# A step listed in the worklist is written there by the step before it, a moment before that step's Update answers:
# a call sent in between is refused (409, the workflow still at the earlier step). A person would see the page
# again and press once more; `early=True` calls do that, counted in `calls.early`.
EARLY_RETRIES = 20
EARLY_PAUSE = 0.5  # seconds


@dataclass
class Calls:
    """Every call of a phase: (sent at, seconds) per kind, and the answers by status."""

    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)  # what was not answered 2xx in the end (first 20 kept)
    failures: int = 0
    early: int = 0  # 409 answers to a call sent before the step it follows had answered; sent again

    def add(self, kind: str, sent: float, seconds: float) -> None:
        self.samples.setdefault(kind, []).append((sent, seconds))

    def count(self) -> int:
        return sum(len(s) for s in self.samples.values())

    def latency(self, kinds: Sequence[str] | None = None, within: tuple[float, float] | None = None) -> Latency:
        """Latency of the calls of `kinds` (all: None), only those sent `within` (start, end) if given."""
        chosen = [
            seconds
            for kind, samples in self.samples.items()
            if kinds is None or kind in kinds
            for sent, seconds in samples
            if within is None or within[0] <= sent <= within[1]
        ]
        return latency(chosen)

    def outside(self, kinds: Sequence[str], window: tuple[float, float]) -> Latency:
        chosen = [
            seconds
            for kind in kinds
            for sent, seconds in self.samples.get(kind, [])
            if not window[0] <= sent <= window[1]
        ]
        return latency(chosen)


class Api:
    """The web service as its users call it."""

    def __init__(self, base_url: str, tokens: dict[str, str], calls: Calls, *, connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=120.0, limits=limits)
        self.tokens = tokens
        self.calls = calls

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        kind: str,
        method: str,
        path: str,
        nip: str,
        *,
        json: Any = None,
        key: str | None = None,
        early: bool = False,
    ) -> httpx.Response | None:
        """One call as `nip`; retried on a transport error or a 5xx with the same key. None if it never succeeded
        (counted in `calls.failed`)."""
        headers = {"Authorization": f"Bearer {self.tokens[nip]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        response: httpx.Response | None = None
        conflicts = 0
        attempt = 0
        first_sent = time.monotonic()  # latency is the person's: from the first send to the last answer
        while attempt < RETRIES:
            attempt += 1
            try:
                response = await self.http.request(method, path, json=json, headers=headers)
            except httpx.TransportError as error:
                self.calls.statuses[f"error: {type(error).__name__}"] += 1
                await asyncio.sleep(RETRY_PAUSE)
                continue
            self.calls.statuses[str(response.status_code)] += 1
            if response.status_code >= 500:
                await asyncio.sleep(RETRY_PAUSE)
                continue
            if response.is_success:
                self.calls.add(kind, first_sent, time.monotonic() - first_sent)
                return response
            if early and response.status_code == 409 and conflicts < EARLY_RETRIES:
                conflicts += 1
                attempt -= 1
                self.calls.early += 1
                await asyncio.sleep(EARLY_PAUSE)
                continue
            break
        self.calls.add(kind, first_sent, time.monotonic() - first_sent)
        self.calls.failures += 1
        if len(self.calls.failed) < 20:
            answer = f"{response.status_code}: {response.text[:300]}" if response is not None else "no answer"
            self.calls.failed.append(f"{kind} {path}: {answer}")
        return None


async def lanes(items: Sequence[T], concurrency: int, work: Callable[[T], Awaitable[object]]) -> None:
    """`work` for every item, `concurrency` at a time (each item's own calls one after another)."""
    queue: asyncio.Queue[T] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def lane() -> None:
        while not queue.empty():
            await work(queue.get_nowait())

    await asyncio.gather(*(lane() for _ in range(max(1, min(concurrency, len(items))))))
