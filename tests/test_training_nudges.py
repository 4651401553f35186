"""Nudging coordinators when a leg lags in training: planned at most once per city, leg and
week (a database fact), sent once over real SMTP through the ledger's send path, skipped
with a reason when nobody can receive it or the leg caught up, and never re-sent when stuck.
"""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stakeholders.models import Leg
from stakeholders.roles import revoke_coordinator
from tests import factories
from trainings import nudges
from trainings.coverage_tasks import plan_coverage_nudges
from trainings.models import AssessmentMailStatus, Completion, CoverageNudge, TrainingModule

pytestmark = pytest.mark.django_db

Status = AssessmentMailStatus


@pytest.fixture
def foundational():
    return [
        TrainingModule.objects.create(
            slug=f"foundational-{n}",
            title=f"Foundational {n}",
            summary="What it covers.",
            objectives="Name the signs",
            duration_minutes=60,
            is_foundational=True,
        )
        for n in (1, 2)
    ]


def train(person, modules) -> None:
    for module in modules:
        Completion.objects.create(person=person, module=module, method="self_paced")


def lagging_city(foundational, name=None):
    """A city whose law-enforcement leg lags: its officers have no training at all."""
    place = factories.city(name)
    group = factories.group(place)
    for leg in (Leg.COMMUNITY, Leg.CITY_STAFF):
        train(factories.member(group, leg), foundational)
    officers = [factories.member(group, Leg.LAW_ENFORCEMENT) for _ in range(2)]
    return place, officers


def send_pending() -> int:
    """Sweep and send in this process: the worker's path without the broker."""
    chunks: list[list[int]] = []
    # The sweep hands chunks over on commit; the test's transaction never commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        nudges.nudges_sweep(enqueue=chunks.append)
    return sum(nudges.nudges_send(nudge_ids=chunk) for chunk in chunks)


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


def test_a_nudge_is_planned_once_per_city_leg_and_week_even_when_the_task_runs_twice(
    foundational,
):
    place, _officers = lagging_city(foundational)
    balanced = factories.city()
    train(factories.member(factories.group(balanced), Leg.COMMUNITY), foundational)

    plan_coverage_nudges()
    plan_coverage_nudges()

    [nudge] = CoverageNudge.objects.all()
    assert (nudge.city_id, nudge.leg, nudge.status) == (place.pk, Leg.LAW_ENFORCEMENT, "pending")
    assert nudge.week == nudges.week_of(timezone.localdate())
    assert nudge.week.weekday() == 0
    assert nudge.trained_share == 0.0


def test_a_new_week_plans_a_new_nudge_while_the_leg_still_lags(foundational):
    lagging_city(foundational)
    monday = date(2025, 6, 16)

    nudges.nudges_plan(today=monday)
    nudges.nudges_plan(today=monday + timedelta(days=6))  # the same ISO week (Sunday)
    nudges.nudges_plan(today=monday + timedelta(days=7))

    assert sorted(CoverageNudge.objects.values_list("week", flat=True)) == [
        monday,
        monday + timedelta(days=7),
    ]


def test_the_nudge_is_mailed_once_to_each_coordinator_over_smtp(
    foundational, smtp_server, settings
):
    place, _officers = lagging_city(foundational, name="Lagtown")
    first, second = factories.coordinator(place), factories.coordinator(place)
    factories.coordinator(factories.city())  # another city's coordinator: not told
    nudges.nudges_plan()

    assert send_pending() == 1
    nudges.nudges_plan()  # the beat again, the same week: nothing new
    assert send_pending() == 0

    [message] = smtp_server.messages
    assert sorted(message.rcpt_tos) == sorted([first.email, second.email])
    # Each coordinator is a recipient of their own; none sees the others' addresses.
    assert first.email not in message.message.as_string()
    assert str(message.message["To"]) == "undisclosed-recipients:;"
    assert message.subject == "Training in Lagtown: Law enforcement lags behind"
    text = message.text
    assert "In Lagtown, the Law enforcement leg lags behind in training." in text
    assert "0 of its 2 members (0%) have completed all 2 foundational modules." in text
    assert "Community organisations: 1 of 1 (100%)" in text
    assert "a time officers can attend" in text
    link = f"{settings.PORTAL_BASE_URL}/trainings/cities/{place.slug}/coverage/"
    assert link in text
    html = message.message.get_body(preferencelist=("html",)).get_content()
    assert link in html
    nudge = CoverageNudge.objects.get()
    assert (nudge.status, nudge.attempts) == (Status.SENT, 1)
    assert nudge.sent_at is not None


def test_a_city_without_a_coordinator_is_skipped_with_the_reason(foundational, locmem):
    place, _officers = lagging_city(foundational)
    gone = factories.coordinator(place)
    revoke_coordinator(city=place, user=gone)
    nudges.nudges_plan()

    assert send_pending() == 0

    nudge = CoverageNudge.objects.get()
    assert (nudge.status, nudge.last_error) == (Status.SKIPPED, nudges.NO_COORDINATOR)
    assert mail.outbox == []


def test_a_leg_that_caught_up_before_the_send_is_not_nudged(foundational, locmem):
    place, officers = lagging_city(foundational)
    factories.coordinator(place)
    nudges.nudges_plan()
    for officer in officers:
        train(officer, foundational)

    assert send_pending() == 0

    nudge = CoverageNudge.objects.get()
    assert (nudge.status, nudge.last_error) == (Status.SKIPPED, nudges.NO_LONGER_LAGS)
    assert mail.outbox == []


def test_a_nudge_stuck_mid_send_is_reported_not_sent_again(foundational, locmem):
    place, _officers = lagging_city(foundational)
    factories.coordinator(place)
    nudges.nudges_plan()
    long_ago = timezone.now() - nudges.STUCK_AFTER - timedelta(minutes=1)
    CoverageNudge.objects.update(status=Status.SENDING, claimed_at=long_ago, attempts=1)

    assert len(nudges.nudges_report_stuck()) == 1
    assert send_pending() == 0

    nudge = CoverageNudge.objects.get()
    assert (nudge.status, nudge.last_error) == (Status.FAILED, nudges.STUCK_REASON)
    assert mail.outbox == []


def test_the_queries_of_a_send_chunk_do_not_grow_with_its_size(foundational, locmem):
    def chunk_queries() -> int:
        with TestCase.captureOnCommitCallbacks(execute=True):
            chunks: list[list[int]] = []
            nudges.nudges_sweep(enqueue=chunks.append)
        [ids] = chunks
        with CaptureQueriesContext(connection) as captured:
            nudges.nudges_send(nudge_ids=ids)
        return len(captured)

    place, _officers = lagging_city(foundational)
    factories.coordinator(place)
    nudges.nudges_plan()
    one = chunk_queries()
    for _ in range(5):
        other, _officers = lagging_city(foundational)
        factories.coordinator(other)
        factories.coordinator(other)
    nudges.nudges_plan()

    assert chunk_queries() == one
    assert len(mail.outbox) == 6
