"""Capacity and the waitlist: never more yeses seated than seats, the earliest waiting first."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from tests import factories
from workinggroups import signals
from workinggroups.convening_services import ConveningDetails, convening_update
from workinggroups.models import Invitation
from workinggroups.rsvp_services import invitation_answer
from workinggroups.rsvp_tokens import make_rsvp_token


def _answer(invitation, answer):
    return invitation_answer(
        invitation_id=invitation.pk, person_id=invitation.person_id, answer=answer
    )


def _convening_with(group, *, capacity, invited):
    convening = factories.convening(group, capacity=capacity)
    return convening, [
        factories.invite(convening, factories.person(group.city)) for _ in range(invited)
    ]


@pytest.fixture
def promoted():
    received = []

    def handler(sender, invitation, **kwargs):
        received.append(invitation.pk)

    signals.seat_promoted.connect(handler, weak=False)
    yield received
    signals.seat_promoted.disconnect(handler)


@pytest.mark.django_db
def test_a_yes_past_capacity_waits_and_the_page_says_so(client, group):
    _convening, invitations = _convening_with(group, capacity=1, invited=2)
    assert not _answer(invitations[0], "yes").waitlisted
    response = client.post(
        reverse("rsvp", args=[make_rsvp_token(invitations[1])]), {"answer": "yes"}, follow=True
    )
    assert "waitlist" in response.content.decode()
    invitations[1].refresh_from_db()
    assert invitations[1].waitlisted_at is not None and not invitations[1].has_seat


@pytest.mark.django_db
@pytest.mark.parametrize("gives_up_with", ["no", "maybe"])
def test_a_freed_seat_goes_to_the_earliest_waiting(group, promoted, gives_up_with):
    _convening, (seated, first, second) = _convening_with(group, capacity=1, invited=3)
    _answer(seated, "yes")
    _answer(first, "yes")
    _answer(second, "yes")
    result = _answer(seated, gives_up_with)
    assert [i.pk for i in result.promoted] == [first.pk] == promoted
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.has_seat and first.promoted_at is not None
    assert second.waitlisted_at is not None


@pytest.mark.django_db
def test_leaving_the_waitlist_frees_no_seat_and_promotes_no_one(group, promoted):
    _convening, (seated, waiting, later) = _convening_with(group, capacity=1, invited=3)
    _answer(seated, "yes")
    _answer(waiting, "yes")
    _answer(later, "yes")
    _answer(waiting, "no")
    waiting.refresh_from_db()
    assert waiting.waitlisted_at is None and promoted == []
    # Saying yes again goes to the back of the line.
    _answer(waiting, "yes")
    _answer(seated, "no")
    assert promoted == [later.pk]


@pytest.mark.django_db
def test_raising_the_capacity_promotes_the_waiting(group, promoted, coordinator_user):
    convening, invitations = _convening_with(group, capacity=1, invited=3)
    for invitation in invitations:
        _answer(invitation, "yes")
    details = ConveningDetails(
        kind=convening.kind,
        title=convening.title,
        starts_at=convening.starts_at,
        ends_at=convening.ends_at,
        place=convening.place,
        capacity=3,
    )
    convening_update(actor=coordinator_user, convening_id=convening.pk, details=details)
    assert sorted(promoted) == sorted(i.pk for i in invitations[1:])
    assert Invitation.objects.filter(convening=convening, waitlisted_at__isnull=False).count() == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_yeses_never_seat_more_than_capacity(city):
    group = factories.group(city)
    convening = factories.convening(group, capacity=5)
    invitations = [factories.invite(convening, factories.member(group)) for _ in range(20)]
    barrier = threading.Barrier(len(invitations))
    errors = []

    def answer(invitation):
        try:
            barrier.wait(timeout=10)
            _answer(invitation, "yes")
        except Exception as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=answer, args=(i,)) for i in invitations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    yeses = Invitation.objects.filter(convening=convening, response="yes")
    assert yeses.count() == 20
    assert yeses.filter(waitlisted_at__isnull=True).count() == 5
    assert yeses.filter(waitlisted_at__isnull=False).count() == 15


@pytest.mark.django_db(transaction=True)
def test_simultaneous_declines_and_yeses_keep_the_seat_count(city):
    group = factories.group(city)
    convening = factories.convening(group, capacity=5)
    invitations = [factories.invite(convening, factories.member(group)) for _ in range(20)]
    for invitation in invitations[:10]:
        _answer(invitation, "yes")  # 5 seated, 5 waiting
    barrier = threading.Barrier(10)
    errors = []

    def answer(invitation, value):
        try:
            barrier.wait(timeout=10)
            _answer(invitation, value)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    jobs = [(i, "no") for i in invitations[:3]] + [(i, "yes") for i in invitations[13:20]]
    threads = [threading.Thread(target=answer, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    seated = Invitation.objects.filter(
        convening=convening, response="yes", waitlisted_at__isnull=True
    )
    assert seated.count() == 5
    # The three freed seats went to the three who had waited longest.
    assert set(seated.values_list("pk", flat=True)) == {i.pk for i in invitations[3:8]}


@pytest.mark.django_db
def test_answers_after_the_start_change_nothing_on_the_waitlist(group):
    convening, (seated, waiting) = _convening_with(group, capacity=1, invited=2)
    _answer(seated, "yes")
    _answer(waiting, "yes")
    convening.starts_at = timezone.now() - timedelta(minutes=1)
    convening.save()
    with pytest.raises(Exception, match="started"):
        _answer(seated, "no")
    waiting.refresh_from_db()
    assert waiting.waitlisted_at is not None
