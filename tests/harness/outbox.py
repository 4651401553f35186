"""Shared moves of the outbound-ledger reliability tests (convenings, briefings, requests).

- `two_beats_at_once`: two sweeps race; the first keeps its claim's row locks until the
  second has run, the worst interleaving for "nothing sent twice".
- `run_with_broker_down`: a Django snippet in a process of its own whose broker is a port
  nobody listens on, to prove a change commits with Redis down.
"""

import os
import subprocess
import sys
import threading
from collections.abc import Callable

from django.db import connection, connections, transaction

from tests.harness.celery_worker import BASE_DIR, database_url_for
from tests.harness.smtp import _free_port


def two_beats_at_once(sweep: Callable[[], int]) -> dict[str, int]:
    """Run `sweep` in two threads, the first holding its transaction (and so its claim's
    locks) until the second has finished; return what each claimed."""
    first_holds, second_done = threading.Event(), threading.Event()
    claimed: dict[str, int] = {}

    def first_beat() -> None:
        try:
            with transaction.atomic():
                claimed["first"] = sweep()
                first_holds.set()
                second_done.wait(timeout=20)
        finally:
            first_holds.set()
            connections.close_all()

    def second_beat() -> None:
        try:
            first_holds.wait(timeout=20)
            claimed["second"] = sweep()
        finally:
            second_done.set()
            connections.close_all()

    beats = [threading.Thread(target=first_beat), threading.Thread(target=second_beat)]
    for thread in beats:
        thread.start()
    for thread in beats:
        thread.join(timeout=30)
    return claimed


def run_with_broker_down(script: str) -> subprocess.CompletedProcess:
    """Run `script` (it calls django.setup() itself) against the test database with a
    broker nobody listens on. The timeout is a hang guard, not a timing: bounded broker
    timeouts make it take seconds."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for(connection.settings_dict["NAME"]),
        "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/7",  # nothing listens there
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
