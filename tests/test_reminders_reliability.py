"""Convening mail is sent once, whatever goes wrong: racing beats, a killed worker, a broker
that is down, an SMTP server that says "later" or "never".

Real services throughout: Celery worker processes on Redis (tests/harness/celery_worker.py)
and an SMTP server on loopback whose answers each test sets (slow, 451, 550).
"""

import asyncio
import email
import email.policy
import json
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from tests import factories
from tests.harness.celery_worker import CeleryWorker, database_url_for
from tests.harness.outbox import run_with_broker_down, two_beats_at_once
from tests.harness.smtp import _free_port
from tests.harness.waiting import wait_until
from workinggroups import outbound
from workinggroups.models import ConveningMessage, Invitation, MessageKind, MessageStatus
from workinggroups.tasks import send_convening_messages, sweep_convening_messages

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Status = MessageStatus


class ScriptedSmtp:
    """An aiosmtpd handler whose answers the test sets: delay, 451s to come, refused boxes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[email.message.EmailMessage] = []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.delay, self.temporary_failures, self.refused = 0.0, 0, set()

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
            self.received.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 Message accepted for delivery"

    def recipients(self) -> Counter:
        with self.lock:
            return Counter(str(message["To"]) for message in self.received)


@pytest.fixture(scope="module")
def scripted_smtp():
    handler = ScriptedSmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


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


@pytest.fixture(scope="module")
def worker_queue(django_db_setup, django_db_blocker, scripted_smtp):
    """A worker on a queue of its own, its mail going to the scripted server."""
    queue = f"portal-tests-outbound-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    with django_db_blocker.unblock():
        worker = start_worker(queue, scripted_smtp[1])
    try:
        yield queue, worker
    finally:
        worker.stop()
        celery_app.conf.task_default_queue = previous
        forget_queue(queue)


@pytest.fixture
def smtp(scripted_smtp, worker_queue):
    handler, _port = scripted_smtp
    handler.reset()
    yield handler
    handler.reset()


@pytest.fixture
def convening(group):
    return factories.convening(group, days_from_now=0.1, title="Working session on needs")


def due_reminders(convening, count: int) -> list[ConveningMessage]:
    """Reminder rows due a minute ago for `count` reachable invited people (no signal: no kick)."""
    rows = []
    for _ in range(count):
        person = factories.member(
            convening.group, consent_to_contact=True, consent_recorded_at=timezone.now()
        )
        factories.invite(convening, person, "yes")
        rows.append(
            ConveningMessage(
                convening=convening,
                person=person,
                kind=MessageKind.REMINDER,
                offset_minutes=60,
                due_at=timezone.now() - timedelta(minutes=1),
            )
        )
    return ConveningMessage.objects.bulk_create(rows)


def statuses(rows) -> Counter:
    return Counter(
        ConveningMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list(
            "status", flat=True
        )
    )


def wait_for_statuses(rows, *, done=(Status.SENT, Status.FAILED), worker=None, timeout=30):
    wait_until(
        lambda: sum(statuses(rows)[s] for s in done) == len(rows),
        timeout=timeout,
        describe=lambda: (
            f"rows are {dict(statuses(rows))}. Worker log:\n"
            + (worker.log_tail() if worker else "")
        ),
    )


def drain(convening, worker) -> None:
    """Wait until the worker has run every task queued so far: a last row, sent after them."""
    [sentinel] = due_reminders(convening, 1)
    sweep_convening_messages.delay()
    wait_for_statuses([sentinel], worker=worker)


def test_reminder_is_sent_once_when_two_beats_run(convening, smtp, worker_queue):
    _queue, worker = worker_queue
    rows = due_reminders(convening, 12)

    def enqueue(ids):
        send_convening_messages.delay(message_ids=ids)

    claimed = two_beats_at_once(lambda: outbound.messages_sweep(enqueue=enqueue))
    # And two beats through the broker, racing the sends the first one fanned out.
    sweep_convening_messages.delay()
    sweep_convening_messages.delay()
    wait_for_statuses(rows, worker=worker)
    drain(convening, worker)

    assert claimed == {"first": 12, "second": 0}
    assert statuses(rows) == {Status.SENT: 12}
    received = smtp.recipients()
    assert len(received) == 13 and set(received.values()) == {1}, received


def test_a_temporary_smtp_failure_is_retried_and_sent_once(convening, smtp, worker_queue):
    _queue, worker = worker_queue
    rows = due_reminders(convening, 3)
    smtp.temporary_failures = 2

    sweep_convening_messages.delay()

    wait_for_statuses(rows, worker=worker)
    assert statuses(rows) == {Status.SENT: 3}
    assert sorted(smtp.recipients().values()) == [1, 1, 1]
    # The first row was handed over three times: twice answered 451, then accepted.
    first = ConveningMessage.objects.get(pk=rows[0].pk)
    assert first.attempts == 3 and "451" in first.last_error


def test_a_refused_recipient_fails_that_row_and_the_others_are_sent(convening, smtp, worker_queue):
    _queue, worker = worker_queue
    rows = due_reminders(convening, 3)
    smtp.refused = {rows[1].person.email}

    sweep_convening_messages.delay()

    wait_for_statuses(rows, worker=worker)
    refused = ConveningMessage.objects.get(pk=rows[1].pk)
    assert refused.status == Status.FAILED
    assert "550" in refused.last_error and "No such mailbox" in refused.last_error
    assert statuses(rows) == {Status.SENT: 2, Status.FAILED: 1}
    assert set(smtp.recipients()) == {rows[0].person.email, rows[2].person.email}


def test_killing_the_worker_mid_send_sends_nobody_twice_and_reports_the_stuck_row(
    convening, smtp, scripted_smtp
):
    queue = f"portal-tests-outbound-kill-{uuid.uuid4().hex[:12]}"
    rows = due_reminders(convening, 4)
    smtp.delay = 1.0  # each message takes a second: time to kill the worker mid-send
    victim = start_worker(queue, scripted_smtp[1])
    restarted = None
    try:
        sweep_convening_messages.apply_async(queue=queue)

        def mid_send():
            # A row handed to SMTP (its attempt counted) and not yet marked sent: killing
            # now leaves exactly the case the stuck check exists for.
            in_flight = ConveningMessage.objects.filter(
                pk__in=[r.pk for r in rows], status=Status.SENDING, attempts__gte=1
            ).exists()
            return len(smtp.received) >= 1 and in_flight

        wait_until(mid_send, timeout=30, describe=lambda: victim.log_tail())
        victim._process.kill()  # SIGKILL: no warm shutdown, no acknowledgement
        victim._process.wait()
        time.sleep(smtp.delay + 0.5)  # the message in flight may still be accepted
        smtp.delay = 0.0

        restarted = start_worker(queue, scripted_smtp[1])
        # What the broker does after the visibility timeout: deliver the killed task again.
        send_convening_messages.apply_async(
            kwargs={"message_ids": [row.pk for row in rows]}, queue=queue
        )
        wait_until(
            lambda: (
                statuses(rows)[Status.SENT] + statuses(rows)[Status.SENDING] == 4
                and not ConveningMessage.objects.filter(
                    pk__in=[r.pk for r in rows], status=Status.SENDING, attempts=0
                ).exists()
            ),
            timeout=30,
            describe=lambda: f"{dict(statuses(rows))}\n{restarted.log_tail()}",
        )
        sweep_convening_messages.apply_async(queue=queue)
        # Fifteen minutes later, the stuck check.
        failed = outbound.messages_report_stuck(now=timezone.now() + timedelta(minutes=16))
    finally:
        victim.stop()
        if restarted is not None:
            restarted.stop()
        forget_queue(queue)

    received = smtp.recipients()
    assert set(received.values()) == {1}, received  # nobody twice
    final = {
        row.pk: (row.status, row.last_error)
        for row in ConveningMessage.objects.filter(pk__in=[r.pk for r in rows])
    }
    assert len(failed) >= 1
    for pk, (status, reason) in final.items():
        # None lost silently: each row is sent, or failed with the reason for the coordinator.
        assert status == Status.SENT or (status, reason) == (Status.FAILED, outbound.STUCK_REASON)
        if status == Status.SENT:
            assert ConveningMessage.objects.get(pk=pk).person.email in received


def test_planning_commits_with_the_broker_down_and_the_next_beat_sends(
    convening, smtp, worker_queue
):
    _queue, worker = worker_queue
    person = factories.member(
        convening.group, consent_to_contact=True, consent_recorded_at=timezone.now()
    )
    script = f"""
import time, django
django.setup()
from django.db import transaction
from workinggroups import signals
from workinggroups.models import Convening, Invitation
convening = Convening.objects.get(pk={convening.pk})
started = time.monotonic()
with transaction.atomic():
    invitation = Invitation.objects.create(convening=convening, person_id={person.pk})
    signals.convening_invited.send(sender=None, convening=convening, invitations=[invitation])
print(f"committed in {{time.monotonic() - started:.1f}} s")
"""
    result = run_with_broker_down(script)

    assert result.returncode == 0, result.stderr
    assert "committed in" in result.stdout
    assert Invitation.objects.filter(convening=convening, person=person).exists()
    planned = ConveningMessage.objects.get(person=person, kind=MessageKind.INVITATION)
    assert planned.status == Status.PENDING  # nobody could be asked to send it
    assert smtp.received == []

    sweep_convening_messages.delay()  # the next beat, with the broker back

    wait_for_statuses([planned], worker=worker)
    [message] = smtp.received
    assert message["To"] == person.email
    assert message["Subject"].startswith("Invitation: Working session on needs, ")
