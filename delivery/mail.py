"""The port the outbox dispatcher (services/dispatch.py) sends e-mail through, and the e-mail it makes of a message.

A `Mailer` opens one session per batch (one SMTP connection for many messages); each send either returns or raises
`DeliveryFailed`, which says whether trying again can help.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from persistence.ports import OutboxMessage

Send = Callable[[OutboxMessage], None]


class DeliveryFailed(Exception):
    """A message was not delivered.

    - `permanent`: trying this message again cannot help (the server refused the address or the message for good,
      SMTP 5xx, or it is not a sendable e-mail).
    - `session_lost`: the connection is gone; the messages not tried yet wait for the next pass.
    - `message_at_fault`: False when the server or the settings may be to blame (sender or login refused, the
      server closing, 421); the message in hand then backs off behind the rest but is never given up for it, and the
      session ends.
    """

    def __init__(
        self, reason: str, *, permanent: bool = False, session_lost: bool = False, message_at_fault: bool = True
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.session_lost = session_lost or not message_at_fault
        self.message_at_fault = message_at_fault


class Mailer(Protocol):
    @property
    def longest_send(self) -> timedelta:
        """How long one send can take at most; a dispatcher keeps that much of its claim in hand."""
        ...

    def session(self) -> AbstractContextManager[Send]:
        """A connection for a batch; raises DeliveryFailed (not permanent) when the server cannot be reached."""
        ...


def email_for(message: OutboxMessage, *, sender: Address) -> EmailMessage:
    """The e-mail of an outbox message. Its Message-ID is the same on every attempt, so a message a lost connection
    made us send twice shows once in a mail client that folds duplicates.

    Raises ValueError when the recipient is not one e-mail address (the roster's check is looser than mail's)."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    addresses = email["To"].addresses
    if len(addresses) != 1 or not addresses[0].domain or email["To"].defects:
        raise ValueError(f"'{message.recipient}' bukan satu alamat e-mail")
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = f"<kinerja.{message.id}.{_fingerprint(message)}@{sender.domain or 'localhost'}>"
    if message.workflow_id:
        email["X-Kinerja-Workflow"] = message.workflow_id
    email.set_content(message.body)
    return email


def _fingerprint(message: OutboxMessage) -> str:
    """Tells apart the messages of two databases that share an id (a test database, a restored backup)."""
    seed = message.idempotency_key or f"{message.created_at.isoformat()}/{message.recipient}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]
