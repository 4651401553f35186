"""A landscape briefing reaches each recipient at most once, whatever goes wrong: a worker
killed mid-distribution, a double click, racing beats, a broker that is down, a withdrawal
while a chunk is in flight, an SMTP server that says "later" or "never".

Real services throughout: Celery worker processes on Redis (tests/harness/celery_worker.py)
and an SMTP server on loopback whose answers each test sets (hold, slow, 451, 550).
"""

import asyncio
import email
import email.policy
import json
import logging
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, connections, transaction
from django.utils import timezone

from briefings import distribution
from briefings.models import TLP, Delivery, DeliveryStatus
from briefings.services import (
    WITHDRAWN_REASON,
    briefing_publish,
    briefing_withdraw,
    deliveries_write,
)
from briefings.tasks import send_briefing_deliveries, sweep_briefing_deliveries
from config.celery import app as celery_app
from stakeholders.models import Leg, Person
from tests import factories
from tests.harness.celery_worker import CeleryWorker, database_url_for
from tests.harness.outbox import run_with_broker_down, two_beats_at_once
from tests.harness.smtp import _free_port
from tests.harness.waiting import wait_until
from workinggroups.models import Membership

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Status = DeliveryStatus


class ScriptedSmtp:
    """An aiosmtpd handler whose answers the test sets: delay, 451s to come, refused boxes,
    and a message to hold (accepted only when the test releases it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[tuple[str, ...], bytes]] = []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
        self.delay, self.temporary_failures, self.refused = 0.0, 0, set()
        self.hold_at: int | None = None
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.temporary_failures:
                self.temporary_failures -= 1
                return "451 4.3.0 Try again later"
            # The server has the message from here on, whatever happens to the sender.
            self.received.append((tuple(envelope.rcpt_tos), envelope.content))
            count = len(self.received)
        if count == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            raw = [content for _rcpts, content in self.received]
        return [email.message_from_bytes(content, policy=email.policy.default) for content in raw]

    def recipients(self) -> Counter:
        with self.lock:
            return Counter(address for rcpts, _message in self.received for address in rcpts)


@pytest.fixture(scope="module")
def scripted_smtp():
    # aiosmtpd logs every SMTP command at INFO: thousands of lines, and time, for 1,000 mails.
    smtp_log = logging.getLogger("mail.log")
    level = smtp_log.level
    smtp_log.setLevel(logging.WARNING)
    handler = ScriptedSmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield handler, controller.port
    handler.release.set()
    controller.stop()
    smtp_log.setLevel(level)


def start_worker(queue: str, port: int) -> CeleryWorker:
    return CeleryWorker(
        database_url=database_url_for(connection.settings_dict["NAME"]),
        broker_url=celery_app.conf.broker_url,
        queue=queue,
        email_host="127.0.0.1",
        email_port=port,
    ).start()


def forget_queue(queue: str) -> None:
    """Leave nothing on the shared Redis: the queue, and what a killed worker left unacked."""
    with celery_app.connection_for_write() as conn:
        bound = celery_app.amqp.queues[queue](conn.default_channel)
        bound.declare()
        bound.delete()
        client = conn.default_channel.client
        for tag, payload in client.hgetall("unacked").items():
            if json.loads(payload)[-1] == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


class default_queue:
    """Route this process's `.delay()` (the publish's kick too) to `queue` for a while."""

    def __init__(self, queue: str) -> None:
        self.queue = queue

    def __enter__(self) -> None:
        self.previous = celery_app.conf.task_default_queue
        celery_app.conf.task_default_queue = self.queue

    def __exit__(self, *exc_info) -> None:
        celery_app.conf.task_default_queue = self.previous


@pytest.fixture(scope="module")
def worker_queue(django_db_setup, django_db_blocker, scripted_smtp):
    """A worker on a queue of its own, its mail going to the scripted server."""
    queue = f"portal-tests-briefings-{uuid.uuid4().hex[:12]}"
    with django_db_blocker.unblock():
        worker = start_worker(queue, scripted_smtp[1])
    try:
        with default_queue(queue):
            yield queue, worker
    finally:
        worker.stop()
        forget_queue(queue)


@pytest.fixture
def smtp(scripted_smtp):
    handler, _port = scripted_smtp
    handler.reset()
    yield handler
    handler.release.set()
    handler.reset()


def audience_group(city, count: int):
    """A working group of `count` reachable people, written in two bulk inserts."""
    group = factories.group(city)
    tag, now = uuid.uuid4().hex[:8], timezone.now()
    people = Person.objects.bulk_create(
        Person(
            city=city,
            full_name=f"Recipient {n}",
            leg=Leg.COMMUNITY,
            sector=factories.sector_for(Leg.COMMUNITY),
            email=f"recipient{n}-{tag}@example.org",
            consent_to_contact=True,
            consent_recorded_at=now,
        )
        for n in range(count)
    )
    Membership.objects.bulk_create(Membership(group=group, person=person) for person in people)
    return group, people


def statuses(briefing) -> Counter:
    return Counter(Delivery.objects.filter(briefing=briefing).values_list("status", flat=True))


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


def drain(city, worker) -> None:
    """Wait until the worker has run every task queued so far: a last briefing, sent after."""
    group, _people = audience_group(city, 1)
    sentinel = factories.briefing(tlp=TLP.AMBER, groups=[group], title="Sentinel")
    briefing_publish(actor=factories.network_staff(), briefing_id=sentinel.pk)
    wait_for_distribution(sentinel, worker)


def test_a_worker_killed_mid_distribution_sends_nobody_twice_and_loses_nobody_silently(
    city, smtp, scripted_smtp
):
    """1,000 recipients, the worker killed with SIGKILL part-way and started again: every
    recipient gets at most one mail, and sent + reported stuck = 1,000."""
    group, people = audience_group(city, 1000)
    briefing = factories.briefing(tlp=TLP.AMBER, groups=[group], title="Coded language online")
    queue = f"portal-tests-briefings-kill-{uuid.uuid4().hex[:12]}"
    # The 350th message is held by the server: the worker is then surely mid-chunk, with
    # rows handed to SMTP and not yet marked sent.
    smtp.hold_at = 350
    victim = start_worker(queue, scripted_smtp[1])
    restarted = None
    try:
        with default_queue(queue):
            queued = briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)
        assert queued == 1000
        wait_until(smtp.holding.is_set, timeout=40, describe=lambda: victim.log_tail())
        in_flight = list(
            Delivery.objects.filter(
                briefing=briefing, status=Status.SENDING, attempts__gte=1
            ).values_list("pk", flat=True)
        )
        victim._process.kill()  # SIGKILL: no warm shutdown, no acknowledgement
        victim._process.wait()
        smtp.release.set()  # the server accepts the message it held: the recipient has it

        restarted = start_worker(queue, scripted_smtp[1])
        # What the broker does after the visibility timeout: deliver the killed task again.
        send_briefing_deliveries.apply_async(kwargs={"delivery_ids": in_flight}, queue=queue)
        sweep_briefing_deliveries.apply_async(queue=queue)  # and the next beat
        # Done when every row but the killed chunk's is sent (a chunk is marked as it ends).
        unsent = Delivery.objects.filter(briefing=briefing).exclude(status=Status.SENT)
        wait_until(
            lambda: not unsent.exclude(pk__in=in_flight).exists(),
            timeout=60,
            describe=lambda: f"{dict(statuses(briefing))}\n{restarted.log_tail()}",
        )
        # Fifteen minutes later, the stuck check.
        stuck = distribution.deliveries_report_stuck(now=timezone.now() + timedelta(minutes=16))
    finally:
        victim.stop()
        if restarted is not None:
            restarted.stop()
        forget_queue(queue)

    received = smtp.recipients()
    assert max(received.values()) == 1, received.most_common(3)  # nobody twice
    final = statuses(briefing)
    assert final[Status.SENT] + len(stuck) == 1000, final
    assert set(final) == {Status.SENT, Status.FAILED}
    assert 1 <= len(stuck) <= distribution.SEND_CHUNK
    assert set(in_flight) == set(stuck)
    assert set(
        Delivery.objects.filter(briefing=briefing, status=Status.FAILED).values_list(
            "last_error", flat=True
        )
    ) == {distribution.STUCK_REASON}
    sent_to = set(
        Delivery.objects.filter(briefing=briefing, status=Status.SENT).values_list(
            "person__email", flat=True
        )
    )
    assert sent_to <= set(received)  # each row marked sent really went out
    assert set(received) <= {person.email for person in people}


def test_publishing_twice_and_sweeping_twice_at_once_sends_nothing_twice(city, smtp, worker_queue):
    _queue, worker = worker_queue
    group, people = audience_group(city, 30)
    briefing = factories.briefing(tlp=TLP.GREEN, groups=[group])
    author = factories.network_staff()
    start = threading.Barrier(2)
    published: list[int | BaseException] = []

    def publish() -> None:  # a double click: two requests at once
        try:
            start.wait(timeout=10)
            published.append(briefing_publish(actor=author, briefing_id=briefing.pk))
        except BaseException as error:  # reported by the test, not lost in the thread
            published.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Two beats at once, racing the sweep the publish asked for: the first keeps its
    # claim's locks until the second has run.
    def enqueue(ids):
        send_briefing_deliveries.delay(delivery_ids=ids)

    claimed = two_beats_at_once(lambda: distribution.deliveries_sweep(enqueue=enqueue))
    sweep_briefing_deliveries.delay()
    sweep_briefing_deliveries.delay()
    wait_for_distribution(briefing, worker)
    drain(city, worker)

    assert sorted(published) == [0, 30]
    assert claimed["first"] + claimed["second"] <= 30 and claimed["second"] == 0
    assert statuses(briefing) == {Status.SENT: 30}
    received = smtp.recipients()
    assert {person.email: received[person.email] for person in people} == {
        person.email: 1 for person in people
    }
    assert max(received.values()) == 1


def test_publishing_with_the_broker_down_commits_and_the_next_beat_sends(city, smtp, worker_queue):
    _queue, worker = worker_queue
    group, people = audience_group(city, 3)
    briefing = factories.briefing(tlp=TLP.AMBER, groups=[group], title="Recruitment online")
    author = factories.network_staff()
    script = f"""
import time, django
django.setup()
from briefings.services import briefing_publish
from stakeholders.models import User
started = time.monotonic()
queued = briefing_publish(actor=User.objects.get(pk={author.pk}), briefing_id={briefing.pk})
print(f"queued {{queued}} in {{time.monotonic() - started:.1f}} s")
"""
    result = run_with_broker_down(script)

    assert result.returncode == 0, result.stderr
    assert "queued 3 in" in result.stdout
    assert statuses(briefing) == {Status.QUEUED: 3}  # nobody could be asked to send them
    assert smtp.received == []

    sweep_briefing_deliveries.delay()  # the next beat, with the broker back

    wait_for_distribution(briefing, worker)
    assert statuses(briefing) == {Status.SENT: 3}
    assert smtp.recipients() == {person.email: 1 for person in people}
    for message in smtp.messages():
        assert message["Subject"] == "[TLP:AMBER] Recruitment online"


def test_a_refused_address_is_failed_and_marked_bounced_and_a_451_is_retried(
    city, smtp, worker_queue
):
    _queue, worker = worker_queue
    group, people = audience_group(city, 3)
    first, refused, last = people
    smtp.refused = {refused.email}
    smtp.temporary_failures = 2  # the first two DATA commands: "later"
    briefing = factories.briefing(tlp=TLP.GREEN, groups=[group])

    briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)

    wait_for_distribution(briefing, worker)
    assert smtp.recipients() == {first.email: 1, last.email: 1}
    by_person = {d.person_id: d for d in Delivery.objects.filter(briefing=briefing)}
    assert by_person[first.pk].status == Status.SENT
    # Handed over three times: twice answered 451, then accepted.
    assert by_person[first.pk].attempts == 3 and "451" in by_person[first.pk].last_error
    assert by_person[last.pk].status == Status.SENT
    bounce = by_person[refused.pk]
    assert bounce.status == Status.FAILED
    assert "550" in bounce.last_error and "No such mailbox" in bounce.last_error
    refused.refresh_from_db()
    assert refused.email_bounced_at is not None and "550" in refused.email_bounce_reason

    # The next briefing does not try the bounced address again.
    later = factories.briefing(tlp=TLP.GREEN, groups=[group])
    briefing_publish(actor=factories.network_staff(), briefing_id=later.pk)
    wait_for_distribution(later, worker)
    skipped = Delivery.objects.get(briefing=later, person=refused)
    assert (skipped.status, skipped.last_error) == (Status.SKIPPED, distribution.BOUNCED)
    assert statuses(later) == {Status.SENT: 2, Status.SKIPPED: 1}


def test_a_briefing_withdrawn_while_a_chunk_is_in_flight_sends_no_more(
    city, smtp, scripted_smtp, settings
):
    """The chunk's send loop re-reads the briefing's status as it goes: the rest stop."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", scripted_smtp[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    smtp.delay = 2 * distribution.STATUS_RECHECK_SECONDS  # each send outlasts a re-read
    group, _people = audience_group(city, 8)
    briefing = factories.briefing(tlp=TLP.AMBER, groups=[group])
    # Published and claimed in this process, without a kick: no worker races this loop.
    with transaction.atomic():
        type(briefing).objects.filter(pk=briefing.pk).update(
            status=briefing.Status.PUBLISHED, published_at=timezone.now()
        )
        deliveries_write(briefing=briefing, now=timezone.now())
        chunk = distribution.deliveries_claim_due()
    sent: list[int | BaseException] = []

    def send() -> None:
        try:
            sent.append(distribution.deliveries_send(delivery_ids=chunk))
        except BaseException as error:  # reported by the test, not lost in the thread
            sent.append(error)
        finally:
            connections.close_all()

    sender = threading.Thread(target=send)
    sender.start()
    wait_until(lambda: len(smtp.received) >= 2, timeout=20)
    briefing_withdraw(
        actor=factories.network_staff(), briefing_id=briefing.pk, reason="Facts changed."
    )
    sender.join(timeout=30)

    [count] = sent
    assert isinstance(count, int) and 2 <= count < 8, sent
    assert len(smtp.received) == count
    final = statuses(briefing)
    assert final == {Status.SENT: count, Status.SKIPPED: 8 - count}
    assert set(
        Delivery.objects.filter(briefing=briefing, status=Status.SKIPPED).values_list(
            "last_error", flat=True
        )
    ) == {WITHDRAWN_REASON}
    assert set(smtp.recipients()) == set(
        Delivery.objects.filter(briefing=briefing, status=Status.SENT).values_list(
            "person__email", flat=True
        )
    )
