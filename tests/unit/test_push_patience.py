"""A cycle's push (calibration results, officials, a new calendar) to every appraisal stays alive while a busy
worker is slow to answer: found by bench/year.py at 1,000 appraisals, where the escalations of a passed deadline
fell due during the calibration push, one Update's answer outwaited its call, the whole activity failed, and its
retry missed the heartbeat timeout page after page."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.testing import ActivityEnvironment

from activities import cycle


def test_a_page_heartbeats_while_its_updates_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cycle, "HEARTBEAT_EVERY", 0.02)
    beats: list[tuple[object, ...]] = []
    environment = ActivityEnvironment()
    environment.on_heartbeat = lambda *details: beats.append(details)

    async def slow(index: int) -> None:
        await asyncio.sleep(0.3)  # no answer for longer than many heartbeat intervals

    async def page() -> None:
        await cycle._in_batches(1, slow, "appraisal-2026-x-1", 7)

    asyncio.run(environment.run(page))
    # Every beat carries where the push stands, so a retry resumes from it; more than the one at the end.
    assert len(beats) >= 5
    assert set(beats) == {("appraisal-2026-x-1", 7)}


def test_an_update_whose_answer_outwaits_its_call_is_sent_again_until_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cycle, "RESEND_PAUSE", 0.0)
    sent: list[int] = []

    async def send() -> str:
        sent.append(1)
        if len(sent) < 3:
            raise WorkflowUpdateRPCTimeoutOrCancelledError()
        return "applied"

    assert asyncio.run(cycle._answered(send)) == "applied"
    assert len(sent) == 3


def test_a_cancelled_push_stops_waiting_for_its_answers() -> None:
    """The SDK turns the cancelled call into the same error as a timeout: cancelled, the wait must end."""

    async def never_answered() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError as cancelled:
            raise WorkflowUpdateRPCTimeoutOrCancelledError() from cancelled
        return "applied"

    async def push() -> None:
        waiting = asyncio.ensure_future(cycle._answered(never_answered))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises((asyncio.CancelledError, WorkflowUpdateRPCTimeoutOrCancelledError)):
            await asyncio.wait_for(waiting, timeout=2)

    asyncio.run(push())
