"""iCalendar for convenings: the attachment each message carries and a member's private feed."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tests import factories
from workinggroups.calendar import invitation_ics
from workinggroups.feed_views import calendar_feed_create
from workinggroups.models import CalendarFeed

pytestmark = pytest.mark.django_db


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


@pytest.fixture
def winter_convening(group):
    starts = datetime(2027, 1, 12, 16, 0, tzinfo=UTC)  # 09:00 MST in Albuquerque
    convening = factories.convening(
        group,
        title="Launch of the Local Leadership Group",
        sequence=2,
        online_url="https://meet.example.org/abq/launch",
    )
    convening.starts_at, convening.ends_at = starts, starts.replace(hour=18)
    convening.save()
    return convening


def test_the_attachment_is_in_the_city_zone_with_its_vtimezone_uid_and_sequence(
    group, winter_convening, settings
):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    person = factories.member(group, full_name="Ana Ruiz")
    invitation = factories.invite(winter_convening, person, "maybe")

    calendar = parse(invitation_ics(invitation=invitation, method="REQUEST"))

    assert calendar["METHOD"] == "REQUEST"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/Denver"
    assert {str(part["TZNAME"]) for part in zone.subcomponents} >= {"MST"}
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == winter_convening.ical_uid
    assert event["SEQUENCE"] == 2
    start = event["DTSTART"]
    assert start.params["TZID"] == "America/Denver"
    assert start.dt.hour == 9 and start.dt == winter_convening.starts_at
    assert event["DTEND"].dt == winter_convening.ends_at
    assert str(event["ORGANIZER"]) == "mailto:portal@localhost"
    assert str(event["ATTENDEE"]) == f"mailto:{person.email}"
    assert event["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "https://portal.example.org/rsvp/" in str(event["DESCRIPTION"])


def test_a_cancellation_attachment_cancels_the_same_event(group, winter_convening):
    invitation = factories.invite(winter_convening, factories.member(group), "yes")

    calendar = parse(invitation_ics(invitation=invitation, method="CANCEL"))

    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == winter_convening.ical_uid
    assert str(event["STATUS"]) == "CANCELLED"
    assert "/rsvp/" not in str(event.get("DESCRIPTION", ""))


def feed_events(client, feed) -> dict[str, str]:
    response = client.get(reverse("calendar_feed", kwargs={"token": feed.token}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = parse(response.content)
    assert "METHOD" not in calendar
    return {str(e["SUMMARY"]): str(e["STATUS"]) for e in calendar.walk("VEVENT")}


def test_the_feed_lists_my_convenings_and_cancelled_ones_as_cancelled(client, group):
    me, someone_else = factories.member(group), factories.member(group)
    coming = factories.convening(group, title="Coming")
    declined = factories.convening(group, title="Declined")
    cancelled = factories.convening(
        group, title="Called off", status="cancelled", cancelled_at=timezone.now()
    )
    not_mine = factories.convening(group, title="Not mine")
    factories.invite(coming, me, "yes")
    factories.invite(declined, me, "no")
    factories.invite(cancelled, me)
    factories.invite(not_mine, someone_else)
    feed = calendar_feed_create(person=me)

    events = feed_events(client, feed)  # no sign-in: calendar apps poll anonymously

    assert events == {"Coming": "CONFIRMED", "Called off": "CANCELLED"}


def test_the_feed_costs_the_same_queries_for_one_convening_or_twenty(client, group):
    me = factories.member(group)
    feed = calendar_feed_create(person=me)
    factories.invite(factories.convening(group), me)
    with CaptureQueriesContext(connection) as one:
        feed_events(client, feed)
    for _ in range(19):
        factories.invite(factories.convening(group), me)
    with CaptureQueriesContext(connection) as twenty:
        assert len(feed_events(client, feed)) == 20
    assert len(one) == len(twenty)


def test_unknown_and_revoked_addresses_are_not_found(client, group):
    me = factories.member(group)
    old = calendar_feed_create(person=me)
    new = calendar_feed_create(person=me)  # renewing revokes the old address

    assert client.get(reverse("calendar_feed", kwargs={"token": old.token})).status_code == 404
    assert client.get(reverse("calendar_feed", kwargs={"token": "nope"})).status_code == 404
    assert client.get(reverse("calendar_feed", kwargs={"token": new.token})).status_code == 200
    assert len(new.token) >= 43


def test_a_member_renews_and_revokes_their_address(client, member):
    client.force_login(member)
    page = reverse("calendar_feed_settings")

    assert client.get(page).context["address"] is None
    client.post(page, {"action": "renew"})
    first = CalendarFeed.objects.get(person=member.person, revoked_at__isnull=True)
    shown = client.get(page).context["address"]
    assert shown == f"http://testserver/calendar/{first.token}.ics"

    client.post(page, {"action": "renew"})
    second = CalendarFeed.objects.get(person=member.person, revoked_at__isnull=True)
    assert second.token != first.token

    client.post(page, {"action": "revoke"})
    assert not CalendarFeed.objects.filter(person=member.person, revoked_at__isnull=True).exists()
    assert client.get(f"/calendar/{second.token}.ics").status_code == 404
