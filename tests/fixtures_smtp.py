"""Fixture ``smtp_server``: a real SMTP server (aiosmtpd) on loopback that keeps what it receives.

::

    @pytest.fixture
    def app_config(smtp_server):
        return smtp_server.config          # MAIL_SERVER / MAIL_PORT for the app

    def test_x(smtp_server, ...):
        ...
        smtp_server.wait_for(1)
        message = smtp_server.messages[0]  # an email.message.EmailMessage

Mail to any ``bounce…`` address is refused with a 550 (a permanent failure).
``stop()`` closes the port; ``start()`` opens it again on the same port (the outage test).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Collector:
    """aiosmtpd handler: keeps each message received, parsed, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # A way to test permanent failures: the server refuses every "bounce…" mailbox.
        if address.lower().startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A loopback SMTP server that can be stopped and started again on the same port."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((self.host, 0))
            self.port: int = probe.getsockname()[1]
        self.collector = Collector()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, in arrival order."""
        return self.collector.messages

    @property
    def config(self) -> dict[str, Any]:
        """Flask-Mail settings that point an app at this server."""
        return {
            "MAIL_SERVER": self.host,
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": False,
            "MAIL_SUPPRESS_SEND": False,  # Flask-Mail suppresses sending when TESTING
            "MAIL_DEFAULT_SENDER": "care@shop.example",
        }

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen on :attr:`port` (the same port every time)."""
        if self._controller is None:
            # An aiosmtpd controller closes its loop on stop, so each start needs a new one.
            controller = Controller(self.collector, hostname=self.host, port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        """Close the port: connections are refused until :meth:`start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
            time.sleep(0.02)
        return self.messages

    def mail_to(self, address: str, *, containing: str = "", timeout: float = 30.0) -> EmailMessage:
        """The first message to ``address`` with ``containing`` in its plain-text body; fail
        after ``timeout`` seconds without one."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages:
                body = message.get_body(("plain",))
                text = body.get_content() if body is not None else ""
                if message["To"] == address and containing in text:
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no message to {address} containing {containing!r}")
            time.sleep(0.02)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running loopback SMTP server; stopped after the test."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
