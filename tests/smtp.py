"""A real SMTP server for the delivery tests (aiosmtpd, on a free local port, in its own thread).

It accepts every sender and recipient except these, so a test can provoke each kind of refusal:
- recipient `ditolak...@`: 550, refused for good (the message is given up);
- recipient `sibuk...@`: 451, try again later (the message is retried after a back-off);
- recipient `tutup...@`: 421, the server is closing the connection (no message's fault);
- sender `ditolak...@`: 550, the sender is refused (a setting to fix, no message's fault).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.ports import free_port


class Inbox:
    """What the server received, one parsed e-mail per accepted message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, *, timeout: float = 30.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no e-mail to {address} within {timeout} s; received: {[m['To'] for m in self.messages]}")

    # aiosmtpd calls these hooks by name.
    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        if address.partition("@")[0].startswith("ditolak"):
            return "550 5.7.1 sender rejected"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        local = address.partition("@")[0]
        if local.startswith("ditolak"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("sibuk"):
            return "451 4.3.0 mailbox busy, try again later"
        if local.startswith("tutup"):
            return "421 4.3.2 service shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.original_content or envelope.content
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._messages.append(parsed)
        return "250 Message accepted for delivery"


class SmtpServer:
    """Plain SMTP by default; with `tls` (a server context, tests/tls.py) STARTTLS required before anything else, or
    implicit TLS from the first byte (`security="ssl"`); with `login` (user, password) a login required too."""

    def __init__(
        self,
        *,
        security: Literal["none", "starttls", "ssl"] = "none",
        tls: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.inbox = Inbox()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.logins: list[str] = []
        options: dict[str, Any] = {}
        if security == "starttls":
            options.update(tls_context=tls, require_starttls=True)
        elif security == "ssl":
            options.update(ssl_context=tls)
        if login is not None:
            # aiosmtpd knows of TLS only from STARTTLS: on an implicit-TLS connection it would offer no AUTH at all.
            options.update(
                authenticator=self._authenticator(login), auth_required=True, auth_require_tls=security == "starttls"
            )
        self._controller = Controller(self.inbox, hostname=self.host, port=self.port, **options)

    def _authenticator(self, login: tuple[str, str]) -> Callable[..., AuthResult]:
        def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
            given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
            if given == login:
                self.logins.append(given[0])
            return AuthResult(success=given == login)

        return check

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def env(self) -> dict[str, str]:
        """The settings that send Kinerja's e-mail here (plain SMTP: a local test server has no certificate)."""
        return {"SMTP__HOST": self.host, "SMTP__PORT": str(self.port), "SMTP__SECURITY": "none"}
