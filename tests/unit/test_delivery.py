"""The pure parts of delivering notices: the back-off, the e-mail made of a message, the sender setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from delivery.mail import email_for
from persistence.ports import OutboxMessage
from services.dispatch import retry_delay
from settings import Settings, SmtpSettings

MESSAGE = OutboxMessage(
    id=41,
    created_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    channel="email",
    recipient="sri.wahyuni@dukcapil.example.go.id",
    subject="Eskalasi: penilaian diri terlambat (tingkat 1)",
    body="Yth. Tim Pengawasan,\nLangkah berikut melewati tenggatnya.",
    workflow_id="appraisal-2026-DUKCAPIL-199001012015031001",
    idempotency_key="appraisal-2026-DUKCAPIL-199001012015031001/escalation/1/199001012015031001",
)


def test_the_back_off_doubles_from_a_minute_to_at_most_an_hour() -> None:
    assert [retry_delay(n) for n in range(1, 9)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    assert retry_delay(0) == timedelta(minutes=1) and retry_delay(1000) == timedelta(hours=1)


def test_an_email_carries_the_notice_and_the_same_message_id_on_every_attempt() -> None:
    sender = SmtpSettings(sender="BKD Jayapura <kinerja@bkd.example.go.id>").sender_address()
    email = email_for(MESSAGE, sender=sender)
    assert email["From"] == "BKD Jayapura <kinerja@bkd.example.go.id>"
    assert email["To"] == MESSAGE.recipient and email["Subject"] == MESSAGE.subject
    assert email["Date"] == "Mon, 02 Mar 2026 01:00:00 +0000"
    assert email["X-Kinerja-Workflow"] == MESSAGE.workflow_id
    assert email.get_content() == MESSAGE.body + "\n"
    again = email_for(MESSAGE.model_copy(update={"attempts": 3}), sender=sender)
    assert email["Message-ID"] == again["Message-ID"]
    assert email["Message-ID"].startswith("<kinerja.41.") and email["Message-ID"].endswith("@bkd.example.go.id>")
    other = email_for(MESSAGE.model_copy(update={"idempotency_key": "another-database/41"}), sender=sender)
    assert other["Message-ID"] != email["Message-ID"]


def test_the_sender_must_be_an_address_and_a_blank_host_means_none() -> None:
    with pytest.raises(ValidationError, match="bukan alamat pengirim e-mail"):
        SmtpSettings(sender="BKD Jayapura")
    assert SmtpSettings(sender="kinerja@bkd.example.go.id").sender == "kinerja@bkd.example.go.id"
    assert SmtpSettings(host=" ").host is None


def test_smtp_and_outbox_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP__HOST", "mail.bkd.example.go.id")
    monkeypatch.setenv("SMTP__PASSWORD", "rahasia")
    monkeypatch.setenv("OUTBOX__RELAY", "false")
    settings = Settings(_env_file=None)
    assert settings.smtp.host == "mail.bkd.example.go.id" and settings.smtp.port == 587
    assert settings.smtp.security == "starttls" and settings.smtp.password is not None
    assert "rahasia" not in repr(settings.smtp)
    assert settings.outbox.relay is False and settings.outbox.max_attempts == 10
