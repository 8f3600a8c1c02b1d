"""What the follow-up workflows share (the development plan, the periodic evaluation): Updates checked by their
validator before they enter history, and one open step at a time with a deadline, reminded before it and escalated
at it and after every grace, as an appraisal's step is (domain.escalation, in the cycle's working days where the
policy counts them). The workflow sleeps until the next checkpoint, waking early when a step is taken (`_wake` bumped
by its handler).

Workflow code: imported through the sandbox's passthrough; no I/O, wall clock or randomness here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pydantic import ValidationError
from temporalio import workflow

from domain.errors import DomainError
from domain.escalation import Checkpoint, CheckpointKind, checkpoints, escalation_recipients, last_due, superiors_of
from domain.policy import EscalationPolicy
from domain.stages import Role
from domain.workdays import WorkdayTable
from workflows.contracts import NoticeKind
from workflows.rejections import rejection


class DeadlineSteps:
    """The base of a follow-up workflow; the subclass says where its step's deadline stands and sends the notices."""

    _lock: asyncio.Lock
    _wake: int

    def _deadline(self) -> tuple[datetime | None, datetime]:
        """The open step's deadline (None: nothing is due) and when it was set."""
        raise NotImplementedError

    def _checkpoints_done(self) -> int:
        raise NotImplementedError

    def _timing(self) -> tuple[EscalationPolicy, WorkdayTable | None, int | None]:
        """The escalation policy, the cycle's working days and its zone."""
        raise NotImplementedError

    async def _notify(self, point: Checkpoint, index: int, now: datetime) -> None:
        """Send the checkpoint's notice and count it done (called under the lock)."""
        raise NotImplementedError

    @staticmethod
    def _check(plan: Callable[[], object]) -> None:
        """An Update's validator: plan the step as its handler would, refusing before anything enters history."""
        try:
            plan()
        except (DomainError, ValidationError) as error:
            raise rejection(error) from None

    async def _wait_for_change(self, timeout: timedelta | None) -> bool:
        """Sleep until a step is taken (True) or `timeout` passes (False)."""
        seen = self._wake
        try:
            await workflow.wait_condition(lambda: self._wake != seen, timeout=timeout)
        except TimeoutError:
            return False
        return True

    async def _until_next_change(self, until: datetime | None = None) -> None:
        """Wait for the next step, sending every reminder and escalation that falls due meanwhile; or, with `until`,
        until that instant at the latest."""
        seen = self._wake
        while self._wake == seen:
            now = workflow.now()
            if until is not None and now >= until:
                return
            due_at = self._next_checkpoint_at()
            if due_at is not None and due_at <= now:
                await self._on_checkpoint(now)
                continue
            limit = min(at for at in (due_at, until) if at is not None) if (due_at or until) else None
            if not await self._wait_for_change(None if limit is None else limit - now) and limit == due_at:
                assert due_at is not None  # a timeout at the checkpoint, not at `until`
                await self._on_checkpoint(due_at)

    def _points(self) -> list[Checkpoint]:
        deadline, set_at = self._deadline()
        if deadline is None:
            return []
        escalation, workdays, zone = self._timing()
        return checkpoints(deadline, set_at, escalation, workdays, zone)

    def _next_checkpoint_at(self) -> datetime | None:
        points, done = self._points(), self._checkpoints_done()
        return points[done].at if done < len(points) else None

    async def _on_checkpoint(self, not_before: datetime) -> None:
        """The reminder or escalation due, checked again under the lock (a step may have been taken meanwhile)."""
        async with self._lock:
            now = max(workflow.now(), not_before)
            points = self._points()
            index = last_due(points, self._checkpoints_done(), now)
            if index is not None:
                await self._notify(points[index], index, now)


def notice_of(
    point: Checkpoint,
    *,
    assignee: str | None,
    role: Role,
    penilai: str,
    atasan: str | None,
    superiors: Sequence[str],
    team: Sequence[str],
) -> tuple[NoticeKind, list[str]]:
    """Who hears of a checkpoint: a reminder goes to whoever must act; an escalation to the supervision team and the
    superior `level` steps above the actor (the actor too, at the first level)."""
    acting = [assignee] if assignee else []
    if point.kind is CheckpointKind.REMINDER:
        return NoticeKind.REMINDER, acting
    found = escalation_recipients(point.level, team, superiors_of(role, penilai, atasan, superiors))
    return NoticeKind.ESCALATION, list(dict.fromkeys([*acting, *found])) if point.level == 1 else found
