"""A real Celery worker process for the tests, on Redis, against the pytest database.

Eager mode runs a task inside the test's own transaction and process; it hides what goes
wrong in production: a task enqueued before its rows are committed, arguments that do not
survive JSON, a worker that reads settings differently. This worker is the production
command (`celery -A config worker`) in a subprocess, so it shares nothing with the test
but the database and the broker.

Isolation: every pytest process (each xdist worker, and each engineer's run on the same
Redis) gets a queue of its own, and the web side's `.delay()` is routed to it for the
session, so no worker ever takes another run's task and runs it against the wrong database.
"""

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from tests.harness.waiting import wait_until

BASE_DIR = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0  # a cold start on a busy 2-core machine; usually 2-3 s
STOP_TIMEOUT = 15.0


class CeleryWorker:
    """`python -m celery -A config worker --pool solo` in a subprocess, consuming one queue.

    email_host/email_port point the worker's Django mail at an SMTP server (the test sink),
    so mail that tasks send can be checked as it arrives.
    """

    def __init__(
        self,
        *,
        database_url: str,
        broker_url: str,
        queue: str,
        email_host: str | None = None,
        email_port: int | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.queue = queue
        self.node_name = f"{queue}@%h"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": broker_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            # The test flushes tables between tests; a worker that holds no connection between
            # tasks can never be the reason a flush waits.
            "DB_CONN_MAX_AGE": "0",
        }
        # The pytest process may have been told this for Playwright; the worker has no event
        # loop and keeps Django's guard.
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        if email_host:
            self.env["EMAIL_HOST"] = email_host
            self.env["EMAIL_PORT"] = str(email_port or 25)
            self.env["EMAIL_USE_TLS"] = "0"
        self.env.update(extra_env or {})
        self._process: subprocess.Popen | None = None
        self._log: deque[str] = deque(maxlen=400)
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--queues",
            self.queue,
            "--hostname",
            self.node_name,
            # Mingle, gossip and heartbeats talk to the other workers on this Redis (other
            # runs, other engineers): slower start-up and nothing this worker needs.
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]

    def start(self) -> "CeleryWorker":
        self._process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Its own process group, so a Ctrl-C in the terminal reaches pytest, which then
            # stops the worker in order, instead of both at once.
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        try:
            wait_until(
                lambda: self._ready.is_set() or self._process.poll() is not None,
                timeout=READY_TIMEOUT,
                describe=lambda: f"Celery worker not ready. Its output:\n{self.log_tail()}",
            )
        except AssertionError:
            self.stop()
            raise
        if not self._ready.is_set():
            self.stop()
            raise RuntimeError(
                f"Celery worker exited with {self._process.returncode} before it was ready. "
                f"Its output:\n{self.log_tail()}"
            )
        return self

    def _read_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self._log.append(line.rstrip("\n"))
            # Celery logs "<node name> ready." once the consumer is listening on the queue.
            if " ready." in line:
                self._ready.set()

    def log_tail(self, lines: int = 60) -> str:
        """The worker's last lines of output, for failure messages."""
        return "\n".join(list(self._log)[-lines:])

    def is_alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            # SIGTERM is Celery's warm shutdown: finish the task in hand, then exit.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
        self._process = None


def database_url_for(database_name: str) -> str:
    """The DATABASE_URL of this run, pointed at another database (the test database)."""
    url = os.environ.get("DATABASE_URL", "")
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        pytest.fail(
            "The Celery worker tests need PostgreSQL: a worker process cannot share a SQLite "
            "test database. Run them as `make test` does (DATABASE_URL=postgres://...)."
        )
    return parsed._replace(path="/" + quote(database_name)).geturl()


def _redis_broker_url(celery_app) -> str:
    broker_url = celery_app.conf.broker_url or ""
    if not broker_url.startswith(("redis://", "rediss://")):
        pytest.fail(
            "The Celery worker tests run against Redis, the production broker; "
            f"the broker here is {broker_url.split(':', 1)[0]!r}. Set REDIS_URL as `make test` "
            "does."
        )
    return broker_url


def worker_queue(purpose: str) -> str:
    """A queue name no other run, xdist worker or engineer on the same Redis uses."""
    xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"portal-tests-{purpose}-{xdist_worker}-{uuid.uuid4().hex[:12]}"


def make_worker(*, queue: str, **options) -> "CeleryWorker":
    """A worker on the production broker against this run's test database."""
    from django.db import connection

    from config.celery import app as celery_app

    return CeleryWorker(
        database_url=database_url_for(connection.settings_dict["NAME"]),
        broker_url=_redis_broker_url(celery_app),
        queue=queue,
        **options,
    )


@contextmanager
def serving(worker: "CeleryWorker") -> Iterator["CeleryWorker"]:
    """Run `worker` and route this process's `.delay()` to its queue until the block ends;
    then stop it and delete its queue."""
    from config.celery import app as celery_app

    # The router reads task_default_queue at each send, so from here on `.delay()` in this
    # process publishes to the worker's queue on the same broker.
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = worker.queue
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        celery_app.conf.task_default_queue = previous_queue
        # Leave nothing behind on a Redis that other runs share. Kombu deletes the bindings it
        # knows in this channel, so declare the queue here first, then delete it.
        with celery_app.connection_for_write() as conn:
            bound = celery_app.amqp.queues[worker.queue](conn.default_channel)
            bound.declare()
            bound.delete()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, smtp_sink):
    """A Celery worker process for the session, consuming a queue of this run's own.

    Its database is the pytest test database (tests that use it need committed rows:
    `@pytest.mark.django_db(transaction=True)`), and its mail goes to the SMTP sink (use
    `smtp_server` to start from an empty sink).
    """
    worker = make_worker(
        queue=worker_queue("session"), email_host=smtp_sink.host, email_port=smtp_sink.port
    )
    with serving(worker):
        yield worker
