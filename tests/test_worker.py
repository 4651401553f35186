"""Scheduled briefings are published by a real Celery worker process, once.

The worker is a subprocess on Redis (tests/harness/celery_worker.py), so the rows it reads
must be committed: these tests use transactional databases. serialized_rollback restores
what migrations seeded (sectors, permissions), which the flush after a transactional test
removes.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from briefings.models import LandscapeBriefing
from briefings.services import briefings_publish_due
from briefings.tasks import publish_due_briefings
from tests import factories
from tests.harness.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

Status = LandscapeBriefing.Status


def scheduled_briefing(group, *, publish_in: timedelta, title: str = "Online hate after the vote"):
    # A briefing is published only to an audience its marking allows: here, a working group.
    return factories.briefing(
        factories.user(),
        groups=[group],
        title=title,
        summary="What changed on the platforms our cities watch.",
        body_markdown="Findings.",
        tlp="GREEN",
        status=Status.SCHEDULED,
        publish_at=timezone.now() + publish_in,
    )


def wait_until_published(briefing, worker) -> LandscapeBriefing:
    def published():
        briefing.refresh_from_db()
        return briefing.status == Status.PUBLISHED

    wait_until(
        published,
        timeout=20,
        describe=lambda: (
            f"{briefing.title!r} is {briefing.status}. Worker log:\n" + worker.log_tail()
        ),
    )
    return briefing


@pytest.mark.worker
def test_scheduled_briefing_is_published_by_a_real_worker(celery_worker, group):
    briefing = scheduled_briefing(group, publish_in=-timedelta(minutes=5))

    publish_due_briefings.delay()

    wait_until_published(briefing, celery_worker)
    assert briefing.published_at is not None
    assert briefing.published_at >= briefing.publish_at


@pytest.mark.worker
def test_briefing_scheduled_in_the_future_is_left_alone(celery_worker, group):
    later = scheduled_briefing(group, publish_in=timedelta(hours=2), title="Next month's briefing")
    # A due briefing in the same run shows that the task has run, without a fixed sleep.
    due = scheduled_briefing(group, publish_in=-timedelta(minutes=1))

    publish_due_briefings.delay()

    wait_until_published(due, celery_worker)
    later.refresh_from_db()
    assert later.status == Status.SCHEDULED
    assert later.published_at is None


def test_two_concurrent_runs_publish_a_briefing_once(group):
    """Two beats racing: the second skips the briefing the first one holds locked (or, were
    the claim a plain UPDATE, waits on its row lock and then finds it no longer scheduled).
    Forced, not left to timing: the first run holds its transaction open until the second
    one has finished, or PostgreSQL shows it waiting for the lock."""
    briefing = scheduled_briefing(group, publish_in=-timedelta(minutes=5))
    first_now = timezone.now()
    second_now = first_now + timedelta(seconds=1)
    second_is_waiting = threading.Event()
    results: dict[str, int | BaseException] = {}

    def run(name: str, now, *, hold_until_second_waits: bool) -> None:
        try:
            if hold_until_second_waits:
                with transaction.atomic():
                    results[name] = briefings_publish_due(now=now)
                    if not second_is_waiting.wait(timeout=20):
                        raise TimeoutError("the second run neither finished nor waited")
            else:
                results[name] = briefings_publish_due(now=now)
        except BaseException as exc:  # reported by the test, not lost in the thread
            results[name] = exc
        finally:
            connections.close_all()

    first = threading.Thread(
        target=run, args=("first", first_now), kwargs={"hold_until_second_waits": True}
    )
    first.start()
    # "first" is in results once its UPDATE ran; its transaction, and the row lock, stay open.
    wait_until(lambda: "first" in results, timeout=20)
    second = threading.Thread(
        target=run, args=("second", second_now), kwargs={"hold_until_second_waits": False}
    )
    second.start()
    try:
        wait_until(
            lambda: not first.is_alive() or "second" in results or _someone_waits_for_a_lock(),
            timeout=20,
            describe="the second run neither finished nor waited for the first one's lock",
        )
    finally:
        second_is_waiting.set()
        first.join(timeout=20)
        second.join(timeout=20)

    assert results == {"first": 1, "second": 0}
    briefing.refresh_from_db()
    assert briefing.status == Status.PUBLISHED
    assert briefing.published_at == first_now


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
