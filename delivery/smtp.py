"""E-mail through an SMTP server (the instansi's mail relay, or a provider's submission port), with smtplib.

One connection per batch: STARTTLS on 587 by default, implicit TLS ("ssl", 465), or plain ("none", a relay on a
trusted network); a login when a username is set. SMTP's reply codes decide what a failure means: 5xx refuses the
message for good, 4xx asks to try it again later; the server closing (421), wanting a login (530) or refusing the
sender may not be the message's fault, so it is never given up for them (services/dispatch.py).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from email.errors import MessageError

from delivery.mail import DeliveryFailed, Send, email_for
from persistence.ports import OutboxMessage
from settings import SmtpSettings

SERVER_CLOSING = 421
LOGIN_REQUIRED = 530


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        if settings.host is None:
            raise ValueError("SMTP__HOST is not set")
        self._settings = settings
        self._host = settings.host
        self._sender = settings.sender_address()
        # The server's certificate checked against the system's CAs, or against SMTP__CA_CERT's instead (only that
        # CA: it must hold the root); its host name always. Built once: every batch connects with it.
        ca = settings.ca_cert
        self._tls = ssl.create_default_context(cafile=str(ca) if ca is not None else None)

    @property
    def longest_send(self) -> timedelta:
        """The longest one message can take before smtplib gives up: the timeout applies to each of the replies to
        MAIL, RCPT, DATA and the message, and to writing it."""
        return timedelta(seconds=5 * self._settings.timeout_seconds)

    @property
    def where(self) -> str:
        return f"{self._host}:{self._settings.port} ({self._settings.security})"

    @contextmanager
    def session(self) -> Iterator[Send]:
        connection = self._connect()
        try:

            def send(message: OutboxMessage) -> None:
                self._send(connection, message)

            yield send
        finally:
            with suppress(smtplib.SMTPException, OSError):
                connection.quit()
            connection.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        try:
            if settings.security == "ssl":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self._host, settings.port, timeout=settings.timeout_seconds, context=self._tls
                )
            else:
                connection = smtplib.SMTP(self._host, settings.port, timeout=settings.timeout_seconds)
            try:
                if settings.security == "starttls":
                    connection.starttls(context=self._tls)
                if settings.username:
                    password = settings.password.get_secret_value() if settings.password else ""
                    connection.login(settings.username, password)
            except BaseException:
                connection.close()
                raise
        except (smtplib.SMTPException, OSError) as error:
            # No message's fault: none counts an attempt, the batch is given back for a later pass.
            hint = ""
            if isinstance(error, ssl.SSLCertVerificationError) and self._settings.ca_cert is None:
                hint = " (sertifikat dari CA instansi sendiri? atur SMTP__CA_CERT)"
            raise DeliveryFailed(f"server SMTP {self.where} tidak dapat dipakai: {_reason(error)}{hint}") from error
        return connection

    def _send(self, connection: smtplib.SMTP, message: OutboxMessage) -> None:
        try:
            email = email_for(message, sender=self._sender)
        except (ValueError, TypeError, MessageError) as error:
            raise DeliveryFailed(f"pesan tidak dapat dibuat: {error}", permanent=True) from error
        try:
            connection.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _refused("alamat ditolak", code, text) from error
        except smtplib.SMTPSenderRefused as error:
            # Refused for every message alike: a setting to fix, not this message's fault.
            reason = f"pengirim {error.sender} ditolak: {error.smtp_code} {_text(error.smtp_error)}"
            raise DeliveryFailed(reason, message_at_fault=False) from error
        except smtplib.SMTPServerDisconnected as error:
            raise DeliveryFailed(f"sambungan SMTP terputus: {_reason(error)}", session_lost=True) from error
        except smtplib.SMTPResponseException as error:
            raise _refused("pesan ditolak server", error.smtp_code, error.smtp_error) from error
        except smtplib.SMTPNotSupportedError as error:  # e.g. an address beyond ASCII where the server has no SMTPUTF8
            raise DeliveryFailed(f"tidak didukung server SMTP: {_reason(error)}", permanent=True) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"gagal mengirim: {_reason(error)}", session_lost=True) from error


def build_mailer(settings: SmtpSettings) -> SmtpMailer | None:
    """E-mail through SMTP when SMTP__HOST is set; without it, e-mail notices wait in the outbox."""
    return SmtpMailer(settings) if settings.host else None


def _refused(what: str, code: int, reply: bytes | str) -> DeliveryFailed:
    """What an SMTP refusal means for the message: 421 (the server is closing the connection) and 530 (it wants a
    login) are the server's or the settings' doing; any other 5xx refuses this message for good, 4xx for now."""
    if code in (SERVER_CLOSING, LOGIN_REQUIRED):
        return DeliveryFailed(f"server SMTP menolak sementara ({code} {_text(reply)})", message_at_fault=False)
    return DeliveryFailed(f"{what}: {code} {_text(reply)}", permanent=_permanent(code))


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _text(reply: bytes | str) -> str:
    return (reply.decode(errors="replace") if isinstance(reply, bytes) else reply).strip()


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
