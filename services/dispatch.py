"""Delivering the outbox: every notice a step, reminder or escalation queued (services/notices.py) leaves here.

Each pass claims a batch of due messages (a lease: persistence.repositories.records.SqlOutboxRepository.claim),
sends each one and records its outcome in its own transaction while the claim holds, so a dispatcher that dies
mid-batch sends at most the message in hand twice, and its other claims fall due again when their lease ends. Any
number of dispatchers (one per worker) share the outbox.

- channel "email": through the `Mailer` (SMTP); without one, e-mail waits in the outbox, untouched.
- channel "log": the recipient has no e-mail address in the roster; the notice is announced in the log (logger
  `kinerja.notices`, event `notice`) by its number only, where the operators' log collection picks it up; the
  recipient, subject and body are personal data and stay in the outbox (`kinerja notifikasi tampil --id N`).

A failed attempt is tried again after a back-off that doubles from one minute up to an hour; after `max_attempts`
(ten by default: about four hours), or at once when the server refuses the message for good (SMTP 5xx), it is given
up and shown by `kinerja notifikasi`. A server that cannot be reached costs no message an attempt: the pass gives its
notices back, due again a minute later. One that refuses the sender or the login, or closes (421), may mean the
notice in hand only: that one backs off behind the rest, never given up for it, and the rest are given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from delivery.mail import DeliveryFailed, Mailer
from observability import NOTICES_LOGGER, get_logger
from persistence.ports import AbstractUnitOfWork, OutboxMessage

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# How long a claimed message is left to its dispatcher. A pass stops trying new messages a margin before its claim
# ends (LEASE_MARGIN, or the longest one send can take if that is longer), so no other dispatcher takes one it is
# still sending; the claim is lengthened by as much as the margin grows, so a pass always has three minutes of work.
CLAIM_LEASE = timedelta(minutes=5)
LEASE_MARGIN = timedelta(minutes=2)
CHANNELS = ("email", "log")

log = get_logger("kinerja.notifier")
notices_log = get_logger(NOTICES_LOGGER)  # the log channel's notices, written whatever LOG_LEVEL says


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones: 1, 2, 4, ... minutes, at most an hour."""
    doublings: int = min(max(attempts - 1, 0), 10)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


@dataclass(frozen=True)
class Dispatched:
    """What one pass did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0  # failed this time, to be tried again
    failed: int = 0  # given up this time
    unreachable: str | None = None  # why the SMTP server could not be used: the rest wait for a later pass

    def __add__(self, other: Dispatched) -> Dispatched:
        return Dispatched(
            self.claimed + other.claimed,
            self.sent + other.sent,
            self.retrying + other.retrying,
            self.failed + other.failed,
            other.unreachable or self.unreachable,
        )


def dispatch_due(
    uow_factory: Callable[[], AbstractUnitOfWork],
    mailer: Mailer | None,
    *,
    batch: int,
    max_attempts: int,
    channels: Collection[str] = CHANNELS,
    keep_going: Callable[[], bool] = lambda: True,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Dispatched:
    """One pass: claim up to `batch` due messages on `channels` (e-mail only with a `mailer`), deliver them, record
    each outcome. Stops early, giving back what it did not try, when `keep_going()` turns false (the process is
    stopping), the claim is about to end, or the server fails."""
    margin = max(LEASE_MARGIN, mailer.longest_send if mailer is not None else LEASE_MARGIN)
    now = clock()
    until = now + CLAIM_LEASE - LEASE_MARGIN + margin
    wanted = [c for c in channels if c != "email" or mailer is not None]
    with uow_factory() as uow:
        claimed = uow.outbox.claim(channels=wanted, now=now, until=until, limit=batch) if wanted else []
        uow.commit()
    if not claimed:
        return Dispatched()
    outcome = _Outcome(uow_factory, clock, max_attempts, until, margin)
    untried = list(claimed)
    try:
        for message in [m for m in claimed if m.channel == "log"]:
            if not outcome.may_go_on(keep_going):
                return outcome.done(len(claimed))
            # By number only: the recipient, subject and body are personal data, and a log is copied far and kept.
            notices_log.info(
                "notice", channel="log", message_id=message.id, shown_by=f"kinerja notifikasi tampil --id {message.id}"
            )
            outcome.sent(message)
            untried.remove(message)
        emails = [m for m in untried if m.channel == "email"]
        if emails and mailer is not None:
            _send_all(emails, mailer, outcome, keep_going, untried)
        return outcome.done(len(claimed))
    finally:
        outcome.release(untried)


def _send_all(
    emails: list[OutboxMessage],
    mailer: Mailer,
    outcome: _Outcome,
    keep_going: Callable[[], bool],
    untried: list[OutboxMessage],
) -> None:
    if not outcome.may_go_on(keep_going):
        return
    try:
        with mailer.session() as send:
            for message in emails:
                if not outcome.may_go_on(keep_going):
                    return
                try:
                    send(message)
                except DeliveryFailed as error:
                    # Charged even when the server is to blame (421, 530, the sender refused): the server may mean
                    # this recipient only, and a message given back as it was would come first again and stop every
                    # pass. It backs off, and is not given up for what the server did.
                    outcome.failure(message, error)
                    untried.remove(message)
                    if error.session_lost:
                        outcome.server_failed(error, waiting=len(untried))
                        return
                except Exception as error:  # a fault of ours with this one message: give it up, go on with the rest
                    log.exception("notice could not be sent", message_id=message.id)
                    outcome.failure(message, DeliveryFailed(f"galat tak terduga: {error!r}", permanent=True))
                    untried.remove(message)
                else:
                    outcome.sent(message)
                    untried.remove(message)
    except DeliveryFailed as error:  # the server could not be reached: no message is to blame
        outcome.server_failed(error, waiting=len(untried))


class _Outcome:
    """Records each message's outcome in its own transaction, right after the attempt, while the claim holds."""

    def __init__(
        self,
        uow_factory: Callable[[], AbstractUnitOfWork],
        clock: Callable[[], datetime],
        limit: int,
        until: datetime,
        margin: timedelta,
    ) -> None:
        self._uow_factory, self._clock, self._limit = uow_factory, clock, limit
        self._until, self._margin = until, margin
        self._sent = self._retrying = self._failed = 0
        self._unreachable: str | None = None

    def may_go_on(self, keep_going: Callable[[], bool]) -> bool:
        return keep_going() and self._clock() < self._until - self._margin

    def sent(self, message: OutboxMessage) -> None:
        with self._uow_factory() as uow:
            kept = uow.outbox.mark_sent(_id(message), at=self._clock(), claimed_until=self._until)
            uow.commit()
        self._sent += 1
        if not kept:
            log.warning("claim lost before the outcome was recorded", message_id=message.id, outcome="sent")

    def failure(self, message: OutboxMessage, error: DeliveryFailed) -> None:
        attempts = message.attempts + 1
        give_up = error.permanent or (attempts >= self._limit and error.message_at_fault)
        now = self._clock()
        retry_at = None if give_up else now + retry_delay(attempts)
        if retry_at is not None and not error.message_at_fault:
            retry_at += FIRST_RETRY  # after the notices given back with it, so it cannot come first again
        with self._uow_factory() as uow:
            kept = uow.outbox.record_failure(
                _id(message), error=error.reason, retry_at=retry_at, at=now, claimed_until=self._until
            )
            uow.commit()
        log.warning(
            "notice not delivered",
            message_id=message.id,
            recipient=message.recipient,
            attempts=attempts,
            error=error.reason,
            given_up=give_up,
            retry_at=retry_at.isoformat() if retry_at else None,
            recorded=kept,
        )
        if give_up:
            self._failed += 1
        else:
            self._retrying += 1

    def server_failed(self, error: DeliveryFailed, *, waiting: int) -> None:
        self._unreachable = error.reason
        log.warning("smtp server unavailable", error=error.reason, waiting=waiting)

    def release(self, untried: list[OutboxMessage]) -> None:
        """Give back what was claimed and not tried: due again in a minute (the server gets that long to recover)."""
        if not untried:
            return
        with self._uow_factory() as uow:
            uow.outbox.release([_id(m) for m in untried], at=self._clock() + FIRST_RETRY, claimed_until=self._until)
            uow.commit()

    def done(self, claimed: int) -> Dispatched:
        return Dispatched(claimed, self._sent, self._retrying, self._failed, self._unreachable)


def _id(message: OutboxMessage) -> int:
    assert message.id is not None  # claimed messages come from the store
    return message.id


async def relay(
    uow_factory: Callable[[], AbstractUnitOfWork],
    mailer: Mailer | None,
    *,
    stop: asyncio.Event,
    poll_seconds: float,
    batch: int,
    max_attempts: int,
    on_pass: Callable[[Dispatched], None] | None = None,
) -> None:
    """Deliver due messages until `stop` is set: batch after batch while there are more, else every `poll_seconds`;
    `on_pass` is told what each pass did (the worker's metrics).

    Each pass runs in a thread of its own (not the activities' pool) and stops between two messages once `stop` is
    set or the relay is cancelled. A pass that fails (a database that cannot be reached) is logged and tried again
    at the next poll: it never stops the process that runs the relay."""
    halt = threading.Event()  # what the pass's thread reads; set on stop and on cancellation
    mirror = asyncio.create_task(_set_when(stop, halt))
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
    loop = asyncio.get_running_loop()
    pass_once = functools.partial(
        dispatch_due, uow_factory, mailer, batch=batch, max_attempts=max_attempts, keep_going=lambda: not halt.is_set()
    )
    log.info("notifier started", smtp=getattr(mailer, "where", None), poll_seconds=poll_seconds)
    if mailer is None:
        log.warning("smtp not configured: e-mail notices wait in the outbox until SMTP__HOST is set")
    try:
        while not (stop.is_set() or halt.is_set()):
            try:
                done = await loop.run_in_executor(executor, pass_once)
            except SQLAlchemyError as error:
                log.error("outbox not readable", error=str(error).splitlines()[0])
                done = Dispatched()
            except Exception:  # a fault of ours must not end delivery for the process's lifetime: log, try later
                log.exception("outbox dispatch failed")
                done = Dispatched()
            if on_pass is not None:
                on_pass(done)
            if done.claimed:
                log.info(
                    "notices dispatched",
                    sent=done.sent,
                    retrying=done.retrying,
                    failed=done.failed,
                    claimed=done.claimed,
                )
            if done.claimed == batch and done.unreachable is None:
                continue  # more may be due
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
    finally:
        halt.set()
        mirror.cancel()
        executor.shutdown(wait=False)  # a pass still running ends after the message in hand
    log.info("notifier stopped")


async def _set_when(stop: asyncio.Event, halt: threading.Event) -> None:
    await stop.wait()
    halt.set()
