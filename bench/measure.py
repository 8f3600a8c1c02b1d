"""Timing helpers: a fixed pool of concurrent lanes, stopwatch latencies and percentiles."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


async def run_pool(items: Iterable[T], concurrency: int, action: Callable[[T], Awaitable[object]]) -> float:
    """Run `action` over `items` with at most `concurrency` in flight; returns the wall seconds taken."""
    pending = iter(items)

    async def lane() -> None:
        for item in pending:  # lanes share one iterator: each item is taken once
            await action(item)

    began = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(max(1, concurrency))))
    return time.perf_counter() - began


async def timed(samples: list[float], call: Awaitable[T]) -> T:
    """Await `call`, appending its wall seconds to `samples`."""
    began = time.perf_counter()
    result = await call
    samples.append(time.perf_counter() - began)
    return result


@dataclass(frozen=True)
class Latency:
    """Milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float


def latency(samples_seconds: list[float]) -> Latency:
    ms = sorted(s * 1000 for s in samples_seconds)
    if len(ms) < 2:
        only = ms[0] if ms else float("nan")
        return Latency(len(ms), only, only, only, only, only)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return Latency(len(ms), cuts[49], cuts[94], cuts[98], statistics.fmean(ms), ms[-1])


@dataclass(frozen=True)
class UpdatePhase:
    samples: list[float]  # seconds per Update
    seconds: float  # wall time of the phase
    latency: Latency
    # The same samples by the Update's turn on its workflow: [0] the first Update each workflow took, [1] the second.
    # The first usually finds its workflow evicted from the worker's cache (rebuilt from history before it is
    # handled); the second, sent right after, finds it cached.
    by_turn: list[list[float]]

    @classmethod
    def of(cls, samples: list[float], seconds: float, by_turn: list[list[float]] | None = None) -> UpdatePhase:
        return cls(samples=samples, seconds=seconds, latency=latency(samples), by_turn=by_turn or [])

    def __add__(self, other: UpdatePhase) -> UpdatePhase:
        turns = max(len(self.by_turn), len(other.by_turn))
        by_turn = [_turn(self, i) + _turn(other, i) for i in range(turns)]
        return UpdatePhase.of(self.samples + other.samples, self.seconds + other.seconds, by_turn)

    def turn(self, index: int) -> Latency:
        """Latency of the `index`-th Update (0: first) of every workflow."""
        return latency(_turn(self, index))

    @property
    def updates(self) -> int:
        return len(self.samples)

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else float("nan")


async def update_phase(
    items: Iterable[T], concurrency: int, steps: Callable[[T, list[float]], Awaitable[object]]
) -> UpdatePhase:
    """Run `steps(item, samples)` (which times each Update of one workflow into `samples`, in order) over `items`,
    `concurrency` at a time."""
    samples: list[float] = []
    by_turn: list[list[float]] = []

    async def one(item: T) -> None:
        own: list[float] = []
        await steps(item, own)
        samples.extend(own)
        for index, seconds in enumerate(own):
            if index == len(by_turn):
                by_turn.append([])
            by_turn[index].append(seconds)

    seconds = await run_pool(items, concurrency, one)
    return UpdatePhase.of(samples, seconds, by_turn)


def _turn(phase: UpdatePhase, index: int) -> list[float]:
    return phase.by_turn[index] if index < len(phase.by_turn) else []
