"""Delivering the outbox (services/dispatch.py) through a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from delivery.smtp import SmtpMailer
from observability import configure_logging
from persistence.db import make_engine, make_session_factory, upgrade
from persistence.ports import OutboxMessage
from persistence.uow import SqlAlchemyUnitOfWork
from services import notices
from services.dispatch import CLAIM_LEASE, FIRST_RETRY, LEASE_MARGIN, dispatch_due, retry_delay
from settings import SmtpSettings
from tests.ports import free_port
from tests.smtp import SmtpServer
from tests.tls import make_certificates, server_context

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SENDER = "BKD Kabupaten Jayapura <kinerja@bkd.jayapurakab.example.go.id>"


def _queue(uow_factory: UowFactory, *recipients: str) -> list[int]:
    """One message per recipient: e-mail for an address, the log channel for a NIP."""
    ids = []
    with uow_factory() as uow:
        for n, recipient in enumerate(recipients):
            message_id, _ = uow.outbox.enqueue(
                OutboxMessage(
                    created_at=T0 - timedelta(hours=1),
                    channel="email" if "@" in recipient else "log",
                    recipient=recipient,
                    subject=f"Pengingat: penilaian diri jatuh tempo — {n}",
                    body="Yth. Bapak/Ibu,\nSilakan isi realisasi SKP.",
                    workflow_id="appraisal-2026-DUKCAPIL-199001012015031001",
                    idempotency_key=f"appraisal/reminder/{n}/{recipient}",
                )
            )
            ids.append(message_id)
        uow.commit()
    return ids


def _mailer(server: SmtpServer, sender: str = SENDER) -> SmtpMailer:
    return SmtpMailer(SmtpSettings(host=server.host, port=server.port, security="none", sender=sender))


def _stored(uow_factory: UowFactory, *ids: int) -> list[OutboxMessage]:
    with uow_factory() as uow:
        found = [uow.outbox.get(message_id) for message_id in ids]
    assert all(found)
    return [m for m in found if m is not None]


def test_a_claim_is_a_lease_another_dispatcher_respects(uow_factory: UowFactory) -> None:
    first, log, second = _queue(uow_factory, "a@example.go.id", "199001012015031001", "b@example.go.id")
    with uow_factory() as uow:
        logged = uow.outbox.claim(channels=("log",), now=T0, until=T0 + CLAIM_LEASE, limit=10)
        taken = uow.outbox.claim(channels=("email", "log"), now=T0, until=T0 + CLAIM_LEASE, limit=1)
        uow.commit()
    assert [m.id for m in logged] == [log] and [m.id for m in taken] == [first]
    assert taken[0].next_attempt_at == T0 + CLAIM_LEASE and taken[0].recipient == "a@example.go.id"
    with uow_factory() as uow:  # another dispatcher, a minute later: only what nobody holds
        later = T0 + timedelta(minutes=1)
        assert [m.id for m in uow.outbox.claim(channels=("email",), now=later, until=later, limit=10)] == [second]
        uow.commit()
    with uow_factory() as uow:  # the first dispatcher died: its claim falls due when the lease ends
        expired = T0 + CLAIM_LEASE
        assert [m.id for m in uow.outbox.claim(channels=("email",), now=expired, until=expired, limit=10)] == [
            first,
            second,
        ]


@pytest.mark.parametrize("databases", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_on_postgresql_a_second_dispatcher_skips_the_rows_another_is_claiming(uow_factory: UowFactory) -> None:
    ids = _queue(uow_factory, "a@example.go.id", "b@example.go.id", "c@example.go.id")
    with uow_factory() as holder:
        held = holder.outbox.claim(channels=("email",), now=T0, until=T0 + CLAIM_LEASE, limit=2)  # not committed
        result: list[list[int]] = []

        def other() -> None:
            with uow_factory() as uow:
                result.append([m.id or 0 for m in uow.outbox.claim(channels=("email",), now=T0, until=T0, limit=10)])
                uow.commit()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the second claim waited for the first instead of skipping its rows"
        holder.commit()
    assert [m.id for m in held] == ids[:2] and result == [ids[2:]]


def test_a_pass_sends_email_logs_the_rest_and_retries_or_gives_up_by_the_servers_reply(
    uow_factory: UowFactory, smtp_server: SmtpServer
) -> None:
    ok, log, refused, busy = _queue(
        uow_factory, "sri@example.go.id", "199001012015031001", "ditolak@example.go.id", "sibuk@example.go.id"
    )
    done = dispatch_due(uow_factory, _mailer(smtp_server), batch=10, max_attempts=2, clock=lambda: T0)
    assert (done.claimed, done.sent, done.retrying, done.failed, done.unreachable) == (4, 2, 1, 1, None)

    [mail] = smtp_server.inbox.messages
    assert mail["To"] == "sri@example.go.id" and mail["From"] == SENDER
    assert mail["Subject"] == "Pengingat: penilaian diri jatuh tempo — 0"
    assert mail["X-Kinerja-Workflow"] == "appraisal-2026-DUKCAPIL-199001012015031001"
    assert mail.get_content().strip().startswith("Yth. Bapak/Ibu,")
    sent, logged, given_up, retrying = _stored(uow_factory, ok, log, refused, busy)
    assert sent.sent_at == T0 and logged.sent_at == T0 and sent.attempts == 1 and sent.next_attempt_at is None
    assert given_up.failed_at == T0 and given_up.last_error is not None and "550" in given_up.last_error
    assert retrying.failed_at is None and retrying.next_attempt_at == T0 + retry_delay(1)
    assert retrying.last_error is not None and "451" in retrying.last_error

    # Nothing is due until the back-off ends; then the second refusal is the last attempt allowed.
    assert dispatch_due(uow_factory, _mailer(smtp_server), batch=10, max_attempts=2, clock=lambda: T0).claimed == 0
    later = T0 + retry_delay(1)
    done = dispatch_due(uow_factory, _mailer(smtp_server), batch=10, max_attempts=2, clock=lambda: later)
    assert (done.claimed, done.failed) == (1, 1)
    [retried] = _stored(uow_factory, busy)
    assert retried.attempts == 2 and retried.failed_at == later

    with uow_factory() as uow:
        assert uow.outbox.counts().model_dump() == {
            "waiting": 0,
            "failed": 2,
            "sent": 2,
            "waiting_by_channel": {},
        }
        assert [m.id for m in uow.outbox.failed()] == [refused, busy]
        assert uow.outbox.requeue([busy, ok]) == 1  # a sent message is not queued again
        uow.commit()
    [queued] = _stored(uow_factory, busy)
    assert (queued.failed_at, queued.next_attempt_at, queued.attempts) == (None, None, 0)
    assert len(smtp_server.inbox.messages) == 1


def test_a_message_that_is_no_email_is_given_up_and_the_rest_go_on(
    uow_factory: UowFactory, smtp_server: SmtpServer
) -> None:
    """The roster's address check is looser than mail's: such a message must not block those after it."""
    bad, good = _queue(uow_factory, "sri,budi@example.go.id", "sri@example.go.id")
    done = dispatch_due(uow_factory, _mailer(smtp_server), batch=10, max_attempts=5, clock=lambda: T0)
    assert (done.sent, done.failed, done.unreachable) == (1, 1, None)
    given_up, sent = _stored(uow_factory, bad, good)
    assert given_up.failed_at == T0 and given_up.last_error == (
        "pesan tidak dapat dibuat: 'sri,budi@example.go.id' bukan satu alamat e-mail"
    )
    assert sent.sent_at == T0 and [m["To"] for m in smtp_server.inbox.messages] == ["sri@example.go.id"]


@pytest.mark.parametrize(
    ("sender", "why"),
    [(SENDER, "server SMTP menolak sementara (421"), ("ditolak@example.go.id", "pengirim ditolak@example.go.id")],
    ids=["server-closing", "sender-refused"],
)
def test_a_server_side_refusal_backs_off_the_notice_in_hand_and_gives_back_the_rest(
    uow_factory: UowFactory, smtp_server: SmtpServer, sender: str, why: str
) -> None:
    """421, 530 or a refused sender may be the server's problem or this recipient's: the notice in hand is charged
    and backs off, never given up for it; the rest are not charged, so one such notice cannot stop every pass."""
    first = "tutup@example.go.id" if sender == SENDER else "sri@example.go.id"
    in_hand, other, third = _queue(uow_factory, first, "budi@example.go.id", "ani@example.go.id")
    done = dispatch_due(uow_factory, _mailer(smtp_server, sender), batch=10, max_attempts=1, clock=lambda: T0)
    assert done.unreachable is not None and why in done.unreachable and (done.sent, done.retrying) == (0, 1)
    charged, *rest = _stored(uow_factory, in_hand, other, third)
    assert (charged.attempts, charged.failed_at) == (1, None)
    assert charged.next_attempt_at == T0 + retry_delay(1) + FIRST_RETRY  # after the rest
    assert charged.last_error is not None and why in charged.last_error  # given up at max_attempts=1 otherwise
    for waiting in rest:
        assert (waiting.attempts, waiting.failed_at, waiting.next_attempt_at) == (0, None, T0 + FIRST_RETRY)

    later = T0 + FIRST_RETRY  # the next pass is not stopped by the same notice: it waits for its back-off
    done = dispatch_due(uow_factory, _mailer(smtp_server, sender), batch=10, max_attempts=1, clock=lambda: later)
    if sender == SENDER:
        assert (done.claimed, done.sent) == (2, 2)
        assert sorted(m["To"] for m in smtp_server.inbox.messages) == ["ani@example.go.id", "budi@example.go.id"]
    else:  # the sender is refused for everyone: one more notice charged, none given up
        assert (done.claimed, done.sent, done.retrying, done.failed) == (2, 0, 1, 0)


def test_a_pass_stops_before_its_claim_runs_out_or_when_told_to_and_gives_back_the_rest(
    uow_factory: UowFactory, smtp_server: SmtpServer
) -> None:
    ids = _queue(uow_factory, "a@example.go.id", "b@example.go.id", "c@example.go.id")
    now = T0

    class Clock:
        """Stands still; jumps to the end of the claim's working time once the first notice is recorded as sent."""

        def __call__(self) -> datetime:
            return now

    def jump_after_first_sent() -> bool:
        nonlocal now
        if smtp_server.inbox.messages:
            now = T0 + CLAIM_LEASE - LEASE_MARGIN
        return True

    clock = Clock()
    done = dispatch_due(
        uow_factory, _mailer(smtp_server), batch=10, max_attempts=3, clock=clock, keep_going=jump_after_first_sent
    )
    assert (done.claimed, done.sent) == (3, 1)
    assert [m.next_attempt_at for m in _stored(uow_factory, *ids[1:])] == [now + FIRST_RETRY] * 2

    later = now + FIRST_RETRY
    stopping = iter([True, True])  # before the connection and the first message; then the process is told to stop
    done = dispatch_due(
        uow_factory,
        _mailer(smtp_server),
        batch=10,
        max_attempts=3,
        clock=lambda: later,
        keep_going=lambda: next(stopping, False),
    )
    assert (done.claimed, done.sent) == (2, 1)
    [left] = [m for m in _stored(uow_factory, *ids) if m.sent_at is None]
    assert left.attempts == 0 and left.next_attempt_at == later + FIRST_RETRY
    assert len(smtp_server.inbox.messages) == 2


def test_an_outcome_is_recorded_only_while_the_claim_holds(uow_factory: UowFactory) -> None:
    [message_id] = _queue(uow_factory, "sri@example.go.id")
    with uow_factory() as uow:
        [claimed] = uow.outbox.claim(channels=("email",), now=T0, until=T0 + CLAIM_LEASE, limit=1)
        uow.commit()
    retaken = T0 + CLAIM_LEASE + CLAIM_LEASE  # the first claim ran out and another dispatcher took the message
    with uow_factory() as uow:
        uow.outbox.claim(channels=("email",), now=T0 + CLAIM_LEASE, until=retaken, limit=1)
        assert not uow.outbox.mark_sent(message_id, at=T0, claimed_until=T0 + CLAIM_LEASE)
        assert not uow.outbox.record_failure(message_id, error="x", retry_at=None, claimed_until=T0 + CLAIM_LEASE)
        assert uow.outbox.mark_sent(message_id, at=T0, claimed_until=retaken)
        assert not uow.outbox.record_failure(message_id, error="late", retry_at=None, claimed_until=retaken)
        uow.commit()
    [stored] = _stored(uow_factory, message_id)
    assert claimed.id == message_id and stored.sent_at == T0 and stored.failed_at is None and stored.attempts == 1


def test_a_notice_given_up_by_an_operator_while_it_is_being_sent_is_recorded_as_sent(uow_factory: UowFactory) -> None:
    """`kinerja notifikasi batalkan` during a pass: the e-mail in hand goes out, so it must not stay shown as given up
    (where `ulangi --semua` would send it a second time)."""
    sending, failing = _queue(uow_factory, "sri@example.go.id", "sibuk@example.go.id")
    until = T0 + CLAIM_LEASE
    with uow_factory() as uow:
        uow.outbox.claim(channels=("email",), now=T0, until=until, limit=2)
        uow.commit()
    with uow_factory() as uow:
        assert uow.outbox.give_up(created_before=T0, reason="dibatalkan operator", at=T0) == 2
        uow.commit()
    with uow_factory() as uow:
        assert uow.outbox.mark_sent(sending, at=T0, claimed_until=until)
        assert not uow.outbox.record_failure(failing, error="451", retry_at=T0 + FIRST_RETRY, claimed_until=until)
        uow.commit()
    sent, given_up = _stored(uow_factory, sending, failing)
    assert sent.sent_at == T0 and sent.failed_at is None and sent.last_error is None
    assert given_up.failed_at == T0 and given_up.last_error == "dibatalkan operator"  # the operator's word stands


def test_a_notice_queued_again_while_it_is_being_sent_keeps_its_claim_and_goes_out_once(
    uow_factory: UowFactory,
) -> None:
    """`batalkan` then `ulangi` during a pass: the dispatcher sending it keeps its claim; nobody else takes it."""
    [message_id] = _queue(uow_factory, "sri@example.go.id")
    until, soon = T0 + CLAIM_LEASE, T0 + timedelta(minutes=1)
    with uow_factory() as uow:
        uow.outbox.claim(channels=("email",), now=T0, until=until, limit=1)
        uow.outbox.give_up(created_before=T0, reason="dibatalkan operator", at=T0)
        assert notices.requeue(uow, None, now=soon).queued == 1
        uow.commit()
    with uow_factory() as uow:
        assert uow.outbox.claim(channels=("email",), now=soon, until=soon + CLAIM_LEASE, limit=10) == []
        assert uow.outbox.mark_sent(message_id, at=soon, claimed_until=until)
        uow.commit()
    [stored] = _stored(uow_factory, message_id)
    assert stored.sent_at == soon and stored.failed_at is None and stored.attempts == 1


def test_log_notices_are_written_whatever_the_log_level(uow_factory: UowFactory) -> None:
    [message_id] = _queue(uow_factory, "199001012015031001")
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("WARNING", stream=stream)
    try:
        assert dispatch_due(uow_factory, None, batch=10, max_attempts=3, clock=lambda: T0).sent == 1
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    [line] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert (line["event"], line["logger"], line["message_id"]) == ("notice", "kinerja.notices", message_id)
    assert line["shown_by"] == f"kinerja notifikasi tampil --id {message_id}"
    # Its number only: the recipient, the subject and the body are personal data, kept in the outbox.
    written = stream.getvalue()
    assert "199001012015031001" not in written and "Pengingat" not in written
    assert not {"recipient", "subject", "body", "workflow_id"} & line.keys()
    [stored] = _stored(uow_factory, message_id)
    assert stored.sent_at == T0


def test_an_unreachable_server_costs_no_message_an_attempt(uow_factory: UowFactory) -> None:
    [message_id] = _queue(uow_factory, "sri@example.go.id")
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout_seconds=2))
    done = dispatch_due(uow_factory, mailer, batch=10, max_attempts=1, clock=lambda: T0)
    assert done.claimed == 1 and done.sent == done.retrying == done.failed == 0
    assert done.unreachable is not None and "tidak dapat dipakai" in done.unreachable
    [waiting] = _stored(uow_factory, message_id)
    # Given back, not charged: due again in a minute.
    assert waiting.attempts == 0 and waiting.failed_at is None and waiting.next_attempt_at == T0 + FIRST_RETRY


def test_without_smtp_email_waits_and_only_the_log_channel_is_delivered(uow_factory: UowFactory) -> None:
    email, log = _queue(uow_factory, "sri@example.go.id", "199001012015031001")
    assert dispatch_due(uow_factory, None, batch=10, max_attempts=3, clock=lambda: T0).sent == 1
    waiting, logged = _stored(uow_factory, email, log)
    assert waiting.next_attempt_at is None and waiting.sent_at is None and logged.sent_at == T0
    with uow_factory() as uow:
        assert uow.outbox.counts().waiting_by_channel == {"email": 1}


def test_upgrading_gives_up_the_notices_queued_before_anything_sent_them(blank_database_url: str) -> None:
    """Migration 0007: the backlog of an installation that ran without delivery is not sent at the first pass."""
    upgrade(blank_database_url, "0006")
    engine = make_engine(blank_database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbox (created_at, channel, recipient, subject, body, attempts)"
                " VALUES (:at, 'email', 'sri@example.go.id', 'Pengingat lama', '...', 0)"
            ),
            {"at": datetime(2026, 1, 5, 1, 0)},
        )
    engine.dispose()
    upgrade(blank_database_url)
    engine = make_engine(blank_database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        [old] = uow.outbox.failed()
        counts = uow.outbox.counts()
    engine.dispose()
    assert old.subject == "Pengingat lama" and old.failed_at is not None and old.attempts == 0
    assert old.last_error is not None and "kinerja notifikasi ulangi" in old.last_error
    assert (counts.waiting, counts.failed) == (0, 1)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_goes_out_over_tls_with_a_login_when_the_servers_certificate_is_trusted(
    uow_factory: UowFactory, tmp_path: Path, security: Literal["starttls", "ssl"]
) -> None:
    """An instansi's own mail server: its certificate from the instansi's CA (SMTP__CA_CERT), a login required."""
    certificates = make_certificates(tmp_path, "127.0.0.1")
    server = SmtpServer(security=security, tls=server_context(certificates), login=("kinerja", "rahasia-bkd"))
    server.start()
    try:
        [queued] = _queue(uow_factory, "sri@example.go.id")
        settings = SmtpSettings(
            host=server.host,
            port=server.port,
            security=security,
            username="kinerja",
            password=SecretStr("rahasia-bkd"),
            sender=SENDER,
        )
        untrusted = dispatch_due(uow_factory, SmtpMailer(settings), batch=10, max_attempts=2, clock=lambda: T0)
        assert (untrusted.sent, untrusted.retrying, untrusted.failed) == (0, 0, 0)
        assert untrusted.unreachable is not None and "CERTIFICATE_VERIFY_FAILED" in untrusted.unreachable
        assert untrusted.unreachable.endswith("(sertifikat dari CA instansi sendiri? atur SMTP__CA_CERT)")
        assert _stored(uow_factory, queued)[0].attempts == 0  # not the message's fault: no attempt counted

        trusted = SmtpMailer(settings.model_copy(update={"ca_cert": certificates.ca}))
        later = T0 + timedelta(minutes=2)
        done = dispatch_due(uow_factory, trusted, batch=10, max_attempts=2, clock=lambda: later)
        assert (done.sent, done.unreachable) == (1, None)
        [mail] = server.inbox.messages
        assert mail["To"] == "sri@example.go.id" and server.logins == ["kinerja"]
    finally:
        server.stop()
