"""The outbound ledger for convenings: rows planned from signals, claimed once, sent by rule."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from workinggroups import convening_mail, outbound, signals
from workinggroups.models import ConveningMessage, Invitation, MessageKind, MessageStatus

pytestmark = pytest.mark.django_db

Kind, Status = MessageKind, MessageStatus


def reachable(group, **extra):
    extra.setdefault("consent_to_contact", True)
    extra.setdefault("consent_recorded_at", timezone.now())
    return factories.member(group, **extra)


def invite(convening, people, response="pending"):
    invitations = [factories.invite(convening, person, response) for person in people]
    signals.convening_invited.send(sender=None, convening=convening, invitations=invitations)
    return invitations


def rows(convening, **filters):
    return ConveningMessage.objects.filter(convening=convening, **filters).order_by("pk")


def send_due(now=None):
    """Claim and send in this process: the worker's path without the broker."""
    sent = []
    # The sweep hands chunks over on commit; the test's transaction never commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        outbound.messages_sweep(enqueue=sent.append, now=now)
    for chunk in sent:
        convening_mail.messages_send(message_ids=chunk, now=now)


@pytest.fixture
def convening(group):
    return factories.convening(group, days_from_now=3, title="Working session on needs")


def test_invitation_plans_one_invitation_now_and_a_reminder_per_offset(group, convening):
    person = reachable(group)

    invite(convening, [person])

    planned = {(row.kind, row.offset_minutes): row.due_at for row in rows(convening)}
    assert set(planned) == {(Kind.INVITATION, 0), (Kind.REMINDER, 1440), (Kind.REMINDER, 120)}
    assert planned[Kind.REMINDER, 120] == convening.starts_at - timedelta(minutes=120)
    assert planned[Kind.INVITATION, 0] <= timezone.now()


def test_reminders_already_past_at_planning_are_not_planned(group):
    soon = factories.convening(group, days_from_now=0.5, reminder_offsets_minutes=[1440, 60])
    invite(soon, [reachable(group)])

    assert list(rows(soon, kind=Kind.REMINDER).values_list("offset_minutes", flat=True)) == [60]


def test_inviting_twice_plans_nothing_new(group, convening):
    person = reachable(group)
    [invitation] = invite(convening, [person])
    before = rows(convening).count()

    signals.convening_invited.send(sender=None, convening=convening, invitations=[invitation])

    assert rows(convening).count() == before


def test_a_move_recomputes_pending_reminders_and_plans_an_update_for_those_not_declined(
    group, convening
):
    yes, no = reachable(group), reachable(group)
    invite(convening, [yes])
    invite(convening, [no], response="no")
    convening.starts_at += timedelta(days=1)
    convening.ends_at += timedelta(days=1)
    convening.sequence += 1
    convening.save()

    signals.convening_moved.send(
        sender=None, convening=convening, previous_starts_at=convening.starts_at
    )

    for reminder in rows(convening, kind=Kind.REMINDER, status=Status.PENDING):
        assert reminder.due_at == convening.starts_at - timedelta(minutes=reminder.offset_minutes)
    updates = rows(convening, kind=Kind.UPDATE)
    assert [(u.person_id, u.sequence) for u in updates] == [(yes.pk, 1)]


def test_cancelling_skips_pending_reminders_and_plans_a_cancellation(group, convening):
    yes, no = reachable(group), reachable(group)
    invite(convening, [yes])
    invite(convening, [no], response="no")
    convening.status = convening.Status.CANCELLED
    convening.cancelled_at = timezone.now()
    convening.save()

    signals.convening_cancelled.send(sender=None, convening=convening)

    assert not rows(convening, kind=Kind.REMINDER, status=Status.PENDING).exists()
    assert [row.person_id for row in rows(convening, kind=Kind.CANCELLATION)] == [yes.pk]


def test_promotion_plans_one_message(group, convening):
    person = reachable(group)
    invitation = factories.invite(convening, person, "yes")

    signals.seat_promoted.send(sender=None, invitation=invitation)

    [row] = rows(convening)
    assert row.kind == Kind.PROMOTION


def test_reminders_go_to_yes_maybe_and_unanswered_but_not_to_no_waitlisted_or_opted_out(
    group, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    soon = factories.convening(group, days_from_now=1, reminder_offsets_minutes=[60])
    people = {name: reachable(group) for name in ("yes", "maybe", "pending", "no", "waiting")}
    opted_out = reachable(group, reminders_enabled=False)
    no_consent = factories.member(group)
    for name, person in people.items():
        invite(soon, [person], response="yes" if name == "waiting" else name)
    Invitation.objects.filter(person=people["waiting"]).update(waitlisted_at=timezone.now())
    invite(soon, [opted_out, no_consent])
    ConveningMessage.objects.filter(kind=Kind.INVITATION).update(
        status=Status.SENT, sent_at=timezone.now()
    )

    send_due(now=soon.starts_at - timedelta(minutes=59))

    to = sorted(message.to[0] for message in mail.outbox)
    assert to == sorted(people[name].email for name in ("yes", "maybe", "pending"))
    reasons = dict(
        rows(soon, kind=Kind.REMINDER, status=Status.SKIPPED).values_list("person", "last_error")
    )
    assert reasons == {
        people["no"].pk: "declined",
        people["waiting"].pk: "on the waitlist",
        opted_out.pk: "reminders turned off",
        no_consent.pk: "no consent to be contacted",
    }


def test_invitations_still_reach_someone_with_reminders_off(group, convening, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = reachable(group, reminders_enabled=False)
    invite(convening, [person])

    send_due()

    [message] = mail.outbox
    assert message.subject.startswith("Invitation: Working session on needs, ")
    assert rows(convening, kind=Kind.INVITATION).get().status == Status.SENT


def test_a_reminder_more_than_an_hour_late_is_missed_not_sent(group, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    soon = factories.convening(group, days_from_now=1, reminder_offsets_minutes=[120])
    invite(soon, [reachable(group)])
    ConveningMessage.objects.filter(kind=Kind.INVITATION).update(
        status=Status.SENT, sent_at=timezone.now()
    )

    send_due(now=soon.starts_at - timedelta(minutes=50))

    assert mail.outbox == []
    assert rows(soon, kind=Kind.REMINDER).get().status == Status.MISSED


def test_late_reminders_are_marked_missed_in_batches_in_due_order(group):
    soon = factories.convening(group, days_from_now=1, reminder_offsets_minutes=[120, 180, 240])
    invite(soon, [reachable(group), reachable(group)])
    reminders = rows(soon, kind=Kind.REMINDER)
    assert reminders.count() == 6
    late_by_two_hours = soon.starts_at - timedelta(minutes=120) + timedelta(hours=2, minutes=1)

    with CaptureQueriesContext(connection) as captured:
        marked = outbound.messages_mark_missed(now=late_by_two_hours, batch_size=2)

    # Offsets 120, 180 and 240 minutes: all more than an hour late; two a batch, three
    # full batches then one that finds none left.
    assert marked == 6
    assert len(captured) == 4
    assert set(reminders.values_list("status", flat=True)) == {Status.MISSED}
    assert outbound.messages_mark_missed(now=late_by_two_hours, batch_size=2) == 0


def test_the_message_is_for_one_person_in_the_city_zone_with_rsvp_links_and_a_calendar(
    group, convening, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    a, b = reachable(group), reachable(group)
    invite(convening, [a, b])

    send_due()

    assert sorted(m.to for m in mail.outbox) == sorted([[a.email], [b.email]])
    message = mail.outbox[0]
    assert message.cc == [] and message.bcc == []
    local = convening.starts_at.astimezone(group.city.zone)
    assert local.strftime("%H:%M") in message.subject
    assert local.strftime("%Z") in message.subject  # MST or MDT
    for answer in ("yes", "maybe", "no"):
        assert "https://portal.example.org/rsvp/" in message.body
        assert f"?answer={answer}" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "?answer=yes" in html
    [calendar] = message.attachments
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert f"UID:{convening.ical_uid}" in calendar.get_payload(decode=True).decode()


def test_the_claim_takes_due_rows_once_in_constant_queries(group):
    convening = factories.convening(group, days_from_now=1)
    people = [reachable(group) for _ in range(5)]
    invite(convening, people)

    with CaptureQueriesContext(connection) as small:
        first = outbound.messages_claim_due(limit=2)
    with CaptureQueriesContext(connection) as large:
        second = outbound.messages_claim_due(limit=500)
    third = outbound.messages_claim_due()

    assert len(first) == 2 and len(second) == 3 and third == []
    assert len(small) == len(large) == 2
    assert set(
        ConveningMessage.objects.filter(pk__in=first + second).values_list("status", flat=True)
    ) == {Status.SENDING}


def test_the_sweep_is_constant_queries_per_batch(group):
    convening = factories.convening(group, days_from_now=1)
    invite(convening, [reachable(group) for _ in range(7)])
    chunks = []

    with CaptureQueriesContext(connection) as queries:
        claimed = outbound.messages_sweep(enqueue=chunks.append, batch_size=3, chunk_size=2)

    # mark missed, then per batch (3 full + 1 empty): savepoint-less claim select + update.
    assert claimed == 7
    batches = 4
    assert len(queries) <= 1 + batches * 2 + batches * 2  # claim 2 + BEGIN/COMMIT 2 each


def test_stuck_rows_are_reported_and_failed_but_untouched_ones_go_back(group, caplog):
    convening = factories.convening(group, days_from_now=1)
    invite(convening, [reachable(group), reachable(group)])
    claimed = outbound.messages_claim_due(now=timezone.now())
    ConveningMessage.objects.filter(pk=claimed[0]).update(attempts=1)  # handed to SMTP

    failed = outbound.messages_report_stuck(now=timezone.now() + timedelta(minutes=16))

    assert failed == [claimed[0]]
    stuck = ConveningMessage.objects.get(pk=claimed[0])
    assert (stuck.status, stuck.last_error) == (Status.FAILED, outbound.STUCK_REASON)
    assert ConveningMessage.objects.get(pk=claimed[1]).status == Status.PENDING
    assert "stuck mid-send" in caplog.text


def test_the_claim_query_uses_the_partial_due_index(group):
    convening = factories.convening(group, days_from_now=1)
    person = reachable(group)
    now = timezone.now()
    ConveningMessage.objects.bulk_create(
        ConveningMessage(
            convening=convening,
            person=person,
            kind=Kind.REMINDER,
            offset_minutes=n + 5,
            due_at=now - timedelta(minutes=n % 50),
            status=Status.SENT if n % 20 else Status.PENDING,
            sent_at=now,
        )
        for n in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE workinggroups_conveningmessage")
    query = (
        ConveningMessage.objects.select_for_update(skip_locked=True)
        .filter(status=Status.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:500]
    )

    plan = query.explain()

    assert "convening_message_due_idx" in plan, plan
    assert "Seq Scan on workinggroups_conveningmessage" not in plan, plan


def test_the_coordinator_sees_which_messages_failed_and_why(client, coordinator_user, group):
    from django.urls import reverse

    from tests import factories
    from workinggroups.models import ConveningMessage, MessageKind, MessageStatus

    convening = factories.convening(group, days_from_now=3)
    person = group.memberships.first().person
    factories.invite(convening, person)
    ConveningMessage.objects.filter(convening=convening).delete()
    ConveningMessage.objects.create(
        convening=convening,
        person=person,
        kind=MessageKind.INVITATION,
        due_at=convening.starts_at,
        status=MessageStatus.FAILED,
        last_error="550 mailbox unavailable",
    )
    client.force_login(coordinator_user)
    body = client.get(reverse("convening_detail", args=[convening.pk])).content.decode()
    assert "550 mailbox unavailable" in body
    assert person.full_name in body
