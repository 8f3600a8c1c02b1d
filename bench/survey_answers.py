"""Citizens' answers for bench/year.py: the survey form of every unit of the cycle, posted as bench/survey_bench.py
posts them (each answer a new browser, a new client address every ten answers, the form's signed field read once
per unit), `concurrency` at a time, each answer's latency kept in the phase's calls."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence

import httpx

from bench.survey_bench import Sender, form_tokens, no_cookies
from bench.survey_client import LeanHttp
from bench.year_api import Calls


async def answer_all(
    base_url: str, codes: Sequence[str], count: int, concurrency: int, calls: Calls, *, first: int
) -> int:
    """Post `count` answers spread over the units' addresses; the number the service accepted (303). `first`: the
    answers sent by earlier runs, so that a resumed run goes on with new client addresses."""
    if count <= 0 or not codes:
        return 0
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, cookies=no_cookies()) as http:
        tokens = await form_tokens(http, {code: code for code in codes})
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    lean = LeanHttp(host, int(port), concurrency)
    sender = Sender(lean, tokens, random.Random(first), count=first)
    last = first + count
    try:
        await lean.prime()

        async def lane() -> None:
            while sender.count < last:
                sent = time.monotonic()
                _, accepted = await sender.send()
                calls.add("answer", sent, time.monotonic() - sent)
                if not accepted:
                    calls.failures += 1

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    finally:
        await lean.close()
    calls.statuses.update(sender.statuses)
    return sender.statuses["303"]
