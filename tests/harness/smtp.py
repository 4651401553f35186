"""A real SMTP server on loopback (aiosmtpd) that keeps every message it is given.

Django's locmem backend never opens a socket, so it cannot show what production shows:
headers as encoded on the wire, envelope recipients, a connection refused. This sink is
what `smtp_server` points Django (and, through `celery_worker`, the worker process) at.
"""

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.harness.waiting import wait_until

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server saw it: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        """The plain-text body (the part a reset link or a briefing summary is read from)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class _Collector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []

    # aiosmtpd calls the handler method by this name.
    async def handle_DATA(self, server, session, envelope) -> str:
        received = ReceivedMessage(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=email.message_from_bytes(envelope.content, policy=email.policy.default),
        )
        with self._lock:
            self._messages.append(received)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 and a free port, collecting messages in memory."""

    def __init__(self) -> None:
        self.host = HOST
        self._collector = _Collector()
        self._controller: Controller | None = None

    @property
    def port(self) -> int:
        assert self._controller is not None, "the SMTP sink is not running"
        return self._controller.port

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of what has arrived so far, oldest first."""
        return self._collector.snapshot()

    def clear(self) -> None:
        self._collector.clear()

    def wait_for(self, count: int, *, timeout: float = 20.0) -> list[ReceivedMessage]:
        """Wait until at least count messages arrived (mail sent by another process)."""
        return wait_until(
            lambda: found if len(found := self.messages) >= count else None,
            timeout=timeout,
            describe=lambda: f"{len(self.messages)} of {count} messages arrived",
        )

    def start(self) -> "SmtpSink":
        # aiosmtpd 1.4 cannot listen on port 0 (it connects to its own port to check that
        # the server is up), so take a free port from the kernel and retry on the rare race
        # where another process grabs it before the server binds.
        last_error: OSError | None = None
        for _attempt in range(5):
            controller = Controller(self._collector, hostname=self.host, port=_free_port())
            try:
                controller.start()
            except OSError as exc:
                last_error = exc
                continue
            self._controller = controller
            return self
        raise RuntimeError(f"could not start the SMTP sink: {last_error}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_sink():
    """The session's SMTP server; most tests want `smtp_server`, which also empties it."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_server(smtp_sink, settings):
    """Send this test's mail over real SMTP to the sink, which starts empty."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_sink.host
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    smtp_sink.clear()
    yield smtp_sink
    smtp_sink.clear()
