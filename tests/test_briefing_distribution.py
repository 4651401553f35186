"""Distributing landscape briefings: one mail per recipient, what the marking lets travel,
the reasons a delivery is skipped, and a send chunk's queries.

The publish-to-inbox tests run the real path: a Celery worker process on Redis
(tests/harness/celery_worker.py) sending over SMTP to a server on loopback
(tests/harness/smtp.py). The rules of a chunk are also checked in this process, where the
test controls what changes between publishing and sending.
"""

from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from briefings import distribution
from briefings.delivery_mail import BriefingMail, briefing_read_path
from briefings.models import TLP, BriefingAttachment, Delivery, DeliveryStatus
from briefings.permissions import NOT_IN_AUDIENCE
from briefings.services import WITHDRAWN_REASON, briefing_publish, briefing_withdraw
from tests import factories
from tests.harness.waiting import wait_until

Status = DeliveryStatus
BODY_WORDS = "Social cohesion and safety in the city."  # in the factory's body


def reachable(group, **extra):
    extra.setdefault("consent_to_contact", True)
    extra.setdefault("consent_recorded_at", timezone.now())
    return factories.member(group, **extra)


def statuses(briefing) -> Counter:
    return Counter(Delivery.objects.filter(briefing=briefing).values_list("status", flat=True))


def reasons(briefing) -> dict:
    return dict(
        Delivery.objects.filter(briefing=briefing, status=Status.SKIPPED).values_list(
            "person_id", "last_error"
        )
    )


def wait_for_distribution(briefing, worker, timeout=30) -> None:
    wait_until(
        lambda: (
            not Delivery.objects.filter(
                briefing=briefing, status__in=[Status.QUEUED, Status.SENDING]
            ).exists()
        ),
        timeout=timeout,
        describe=lambda: f"deliveries are {dict(statuses(briefing))}.\n{worker.log_tail()}",
    )


def send_queued() -> int:
    """Sweep and send in this process: the worker's path without the broker."""
    chunks: list[list[int]] = []
    # The sweep hands chunks over on commit; the test's transaction never commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        distribution.deliveries_sweep(enqueue=chunks.append)
    return sum(distribution.deliveries_send(delivery_ids=chunk) for chunk in chunks)


# --- Through a real worker and a real SMTP server --------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_publishing_sends_each_recipient_one_amber_mail_without_the_body(
    celery_worker, smtp_server, city, settings
):
    group = factories.group(city)
    people = [reachable(group) for _ in range(3)]
    silent = factories.member(group)  # no consent to be contacted
    briefing = factories.briefing(tlp=TLP.AMBER, groups=[group], title="Online hate this month")

    queued = briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)

    assert queued == 4
    wait_for_distribution(briefing, celery_worker)
    messages = smtp_server.messages
    assert Counter(address for m in messages for address in m.rcpt_tos) == {
        person.email: 1 for person in people
    }
    link = f"{settings.PORTAL_BASE_URL}{briefing_read_path(briefing.pk)}"
    for message in messages:
        assert message.subject == "[TLP:AMBER] Online hate this month"
        assert str(message.message["To"]) in {person.email for person in people}
        assert message.message["Cc"] is None
        assert message.message["Auto-Submitted"] == "auto-generated"
        assert message.text.startswith("TLP:AMBER: ")
        assert briefing.summary in message.text and link in message.text
        html = message.message.get_body(preferencelist=("html",)).get_content()
        assert link in html
        assert BODY_WORDS not in message.text and BODY_WORDS not in html
    assert statuses(briefing) == {Status.SENT: 3, Status.SKIPPED: 1}
    assert reasons(briefing) == {silent.pk: distribution.NO_CONSENT}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_green_mail_carries_the_body_and_links_to_the_attachments(
    celery_worker, smtp_server, city, settings
):
    group = factories.group(city)
    person = reachable(group)
    briefing = factories.briefing(
        tlp=TLP.GREEN,
        groups=[group],
        body_markdown="## Findings\n\nThe **landscape** changed after the vote.",
    )
    attachment = BriefingAttachment.objects.create(
        briefing=briefing,
        file=f"briefings/{briefing.pk}/stored.pdf",
        original_name="platform-trends.pdf",
        size_bytes=20_480,
        sha256="0" * 64,
    )

    briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)

    wait_for_distribution(briefing, celery_worker)
    [message] = smtp_server.messages
    assert message.rcpt_tos == (person.email,)
    assert message.subject == f"[TLP:GREEN] {briefing.title}"
    assert "The **landscape** changed after the vote." in message.text
    html = message.message.get_body(preferencelist=("html",)).get_content()
    assert "<strong>landscape</strong>" in html and "<h2>Findings</h2>" in html
    path = f"/briefings/{briefing.pk}/attachments/{attachment.pk}/"
    for part in (message.text, html):
        assert "platform-trends.pdf" in part
        assert f"{settings.PORTAL_BASE_URL}{path}" in part
    assert not [p for p in message.message.iter_attachments()]  # links, never the file
    assert statuses(briefing) == {Status.SENT: 1}


# --- The rules of a chunk, in this process ----------------------------------------------------


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db
def test_each_skip_reason_is_recorded_and_only_the_reachable_get_mail(city, locmem):
    group = factories.group(city)
    ok = reachable(group)
    no_consent = factories.member(group)
    no_email = reachable(group, email="")
    bounced = reachable(group, email_bounced_at=timezone.now(), email_bounce_reason="550")
    leaver = reachable(group)
    erased = reachable(group)
    briefing = factories.briefing(tlp=TLP.GREEN, groups=[group])
    briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)
    # After publishing, before the sweep: one leaves the group, one is erased.
    leaver.memberships.update(ended_on=timezone.localdate())
    erased_delivery = Delivery.objects.get(briefing=briefing, person=erased)
    erased.delete()

    assert send_queued() == 1

    assert [message.to for message in mail.outbox] == [[ok.email]]
    assert reasons(briefing) == {
        no_consent.pk: distribution.NO_CONSENT,
        no_email.pk: distribution.NO_EMAIL,
        bounced.pk: distribution.BOUNCED,
        leaver.pk: NOT_IN_AUDIENCE,
        None: distribution.ERASED,
    }
    assert Delivery.objects.get(pk=erased_delivery.pk).status == Status.SKIPPED
    assert NOT_IN_AUDIENCE == "no longer in the audience"


@pytest.mark.django_db
def test_a_withdrawn_briefing_sends_nothing_more_even_from_a_claimed_chunk(city, locmem):
    group = factories.group(city)
    for _ in range(4):
        reachable(group)
    briefing = factories.briefing(tlp=TLP.AMBER, groups=[group])
    briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)
    in_flight = distribution.deliveries_claim_due(limit=2)  # a sweep took two before...

    stopped = briefing_withdraw(  # ...the author withdrew it
        actor=factories.network_staff(), briefing_id=briefing.pk, reason="Facts changed."
    )
    sent = distribution.deliveries_send(delivery_ids=in_flight)

    assert (stopped, sent, mail.outbox) == (2, 0, [])
    assert statuses(briefing) == {Status.SKIPPED: 4}
    assert set(reasons(briefing).values()) == {WITHDRAWN_REASON}


@pytest.mark.django_db
@pytest.mark.parametrize("tlp", TLP.values)
def test_only_clear_and_green_mail_carries_the_text(tlp, locmem):
    briefing = factories.briefing(
        tlp=tlp, title="Narratives after the attack", body_markdown=f"Detail: {BODY_WORDS}"
    )

    email = BriefingMail(briefing, attachments=[]).message("reader@example.org")

    assert email.subject == f"[TLP:{tlp}] Narratives after the attack"
    assert email.to == ["reader@example.org"] and email.cc == [] and email.bcc == []
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert email.body.startswith(f"TLP:{tlp}: ")
    assert f"TLP:{tlp}" in html
    assert briefing.summary in email.body and briefing.summary in html
    assert briefing_read_path(briefing.pk) in email.body
    carries = tlp in (TLP.CLEAR, TLP.GREEN)
    assert (BODY_WORDS in email.body) is carries
    assert (BODY_WORDS in html) is carries


@pytest.mark.django_db
def test_the_queries_of_a_send_chunk_do_not_grow_with_its_size(city, locmem, monkeypatch):
    # The status is re-read by time, not by row; pinned here so a slow machine adds none.
    monkeypatch.setattr(distribution, "STATUS_RECHECK_SECONDS", 3600)
    group = factories.group(city)
    for _ in range(55):
        reachable(group)
    briefing = factories.briefing(tlp=TLP.GREEN, groups=[group])
    briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)
    small, large = distribution.deliveries_claim_due(limit=5), distribution.deliveries_claim_due()

    with CaptureQueriesContext(connection) as five:
        assert distribution.deliveries_send(delivery_ids=small) == 5
    with CaptureQueriesContext(connection) as fifty:
        assert distribution.deliveries_send(delivery_ids=large) == 50

    assert len(large) == 50 and len(mail.outbox) == 55
    assert len(five) == len(fifty), [q["sql"] for q in fifty.captured_queries]
    assert len(fifty) <= 14, [q["sql"] for q in fifty.captured_queries]


@pytest.mark.django_db
def test_the_sweep_claims_each_queued_delivery_once_in_chunks(city):
    group = factories.group(city)
    for _ in range(7):
        reachable(group)
    briefing = factories.briefing(tlp=TLP.AMBER, groups=[group])
    briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)
    chunks: list[list[int]] = []

    with TestCase.captureOnCommitCallbacks(execute=True):
        claimed = distribution.deliveries_sweep(enqueue=chunks.append, batch_size=3, chunk_size=2)
        again = distribution.deliveries_sweep(enqueue=chunks.append)

    assert (claimed, again) == (7, 0)
    ids = [pk for chunk in chunks for pk in chunk]
    assert sorted(ids) == sorted(
        Delivery.objects.filter(briefing=briefing).values_list("pk", flat=True)
    )
    assert max(len(chunk) for chunk in chunks) == 2
    assert statuses(briefing) == {Status.SENDING: 7}
