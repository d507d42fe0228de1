"""A real SMTP server for the tests (aiosmtpd, on loopback) that refuses the first N deliveries
with a temporary error (451), as a busy or greylisting mail server does, then accepts."""

from __future__ import annotations

import email
import socket
import threading
from email.message import Message

from aiosmtpd.controller import Controller


class FlakyHandler:
    def __init__(self, refuse: int) -> None:
        self.refuse = refuse
        self.attempts = 0
        self.received: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.refuse:
                return "451 4.3.0 Mail server busy, try again later"
            self.received.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 2.0.0 OK"


def free_port(low: int = 21800, high: int = 21849) -> int:
    """A free port in this engineer's range (machine-wide conventions: tests start their servers there)."""
    for port in range(low, high + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


class FlakySMTPServer:
    def __init__(self, refuse: int) -> None:
        self.handler = FlakyHandler(refuse)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> FlakySMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
