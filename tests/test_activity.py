"""The activity feed: what it shows (and what it keeps back: members' names, the titles of
AMBER and RED briefings), newest first in the city's zone, its queries not growing with the
city's records, and last_activity_at for many cities at once. Permissions are in
tests/url_expectations/progress_city.py."""

import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from briefings.models import Delivery, DeliveryStatus
from stakeholders.models import Leg
from tests import factories
from tests.querycount import page_queries
from workinggroups import activity
from workinggroups.models import (
    Convening,
    ConveningStatus,
    FrameworkVersion,
    Membership,
    Milestone,
    MilestoneRecord,
)

pytestmark = pytest.mark.django_db

# The test city's own date (factories.city is in Denver): the pages judge "not in the future"
# by it, and it is a day behind UTC's every evening.
TODAY = timezone.localdate(timezone=zoneinfo.ZoneInfo("America/Denver"))


def _joined_by_city_today() -> None:
    """Memberships made by the factories start on the server's date (UTC), a day ahead of
    the city's every evening; the feed counts joins up to the city's own today."""
    Membership.objects.filter(started_on__gt=TODAY).update(started_on=TODAY)


def held(group, *, days_ago: float, **extra) -> Convening:
    convening = factories.convening(group, days_from_now=-days_ago, **extra)
    Convening.objects.filter(pk=convening.pk).update(status=ConveningStatus.HELD)
    convening.refresh_from_db()
    return convening


def deliver(briefing, people, *, when):
    for person in people:
        Delivery.objects.create(
            briefing=briefing, person=person, city=person.city, leg=person.leg,
            status=DeliveryStatus.SENT, sent_at=when,
        )  # fmt: skip


def feed_url(city) -> str:
    return reverse("city_activity", kwargs={"slug": city.slug})


def test_new_members_are_counted_per_day_group_and_leg_never_named(city):
    group = factories.group(city, name="Local Leadership Group")
    people = [
        factories.member(group, Leg.COMMUNITY, full_name="Amira Haddad"),
        factories.member(group, Leg.COMMUNITY, full_name="Ben Ortiz"),
        factories.member(group, Leg.LAW_ENFORCEMENT, full_name="Sgt Carla Diaz"),
    ]
    _joined_by_city_today()
    Membership.objects.filter(person=people[2]).update(started_on=TODAY - timedelta(days=3))
    items = [item for item in activity.city_activity(city) if item.kind == activity.MEMBERS]
    texts = [item.text for item in items]
    assert texts == [
        "2 new members of Local Leadership Group (Community organisations: 2)",
        "1 new member of Local Leadership Group (Law enforcement: 1)",
    ]
    assert items[0].all_day
    joined = " ".join(texts)
    assert not any(person.full_name in joined for person in people)


def test_briefings_are_named_only_when_the_community_may_know_them(group):
    people = [m.person for m in group.memberships.all()[:3]]
    green = factories.briefing(tlp="GREEN", title="Campus season landscape")
    red = factories.briefing(tlp="RED", title="Named threats to the mosque")
    deliver(green, people, when=timezone.now() - timedelta(days=2))
    deliver(red, people[:1], when=timezone.now() - timedelta(days=1))
    texts = [i.text for i in activity.city_activity(group.city) if i.kind == activity.BRIEFING]
    assert texts == [
        "A TLP:RED landscape briefing delivered to 1 person",
        "Landscape briefing “Campus season landscape” (TLP:GREEN) delivered to 3 people",
    ]


def test_the_feed_is_newest_first_and_shows_times_in_the_citys_zone(client, group, staff_user):
    city = group.city
    old = held(group, days_ago=20, title="Launch")
    training = held(group, days_ago=5, title="Landscape training", kind=Convening.Kind.TRAINING)
    cancelled = factories.convening(group, days_from_now=9, title="Picnic")
    Convening.objects.filter(pk=cancelled.pk).update(
        status=ConveningStatus.CANCELLED, cancelled_at=timezone.now()
    )
    MilestoneRecord.objects.create(
        city=city, milestone=Milestone.NEEDS_ASSESSMENT, reached_on=TODAY - timedelta(days=1),
        evidence_url="https://example.org/survey",
    )  # fmt: skip
    FrameworkVersion.objects.create(city=city, number=1, title="F", drafted_on=TODAY)
    _joined_by_city_today()
    items = activity.city_activity(city)
    moments = [item.at for item in items]
    assert moments == sorted(moments, reverse=True)
    kinds = {item.kind for item in items}
    assert {activity.HELD, activity.TRAINING_HELD, activity.CANCELLED, activity.SCHEDULED} <= kinds
    assert {activity.MILESTONE, activity.FRAMEWORK, activity.MEMBERS} <= kinds
    texts = [item.text for item in items]
    assert "Milestone reached: Needs and vulnerabilities assessment done (recorded)" in texts
    assert "Framework version 1 drafted" in texts
    # The framework's own milestones are told once, by the version.
    assert not any("Local prevention framework drafted" in text for text in texts)

    client.force_login(staff_user)
    page = client.get(feed_url(city)).content.decode()
    local = old.starts_at.astimezone(city.zone)
    assert f"{local:%H:%M} {local:%Z}" in page  # MST or MDT, never UTC
    assert "Training session “Landscape training”" in page
    assert reverse("convening_detail", kwargs={"convening_id": training.pk}) in page


def test_the_feed_is_limited(city):
    group = factories.group(city)
    for n in range(40):
        held(group, days_ago=n + 1)
    assert len(activity.city_activity(city, limit=10)) == 10
    assert len(activity.city_activity(city)) == activity.FEED_LENGTH


def test_the_feed_page_queries_do_not_grow_with_the_records(client, group, coordinator_user):
    city = group.city
    client.force_login(coordinator_user)
    held(group, days_ago=3)
    few = page_queries(client, feed_url(city))
    for n in range(25):
        held(group, days_ago=n + 4)
        factories.member(group, Leg.CITY_STAFF)
        deliver(factories.briefing(), [group.memberships.first().person], when=timezone.now())
        FrameworkVersion.objects.create(city=city, number=n + 1, title="F", drafted_on=TODAY)
    assert page_queries(client, feed_url(city)) == few


def test_members_are_refused_the_feed_and_other_cities_do_not_see_it(
    client, city, member, other_coordinator
):
    client.force_login(member)
    assert client.get(feed_url(city)).status_code == 403
    client.force_login(other_coordinator)
    assert client.get(feed_url(city)).status_code == 404


def test_last_activity_at_for_many_cities_in_the_same_queries(django_assert_num_queries):
    cities = []
    for n in range(4):
        city = factories.city(f"Active {n}")
        group = factories.group(city)
        factories.member(group)
        held(group, days_ago=n + 1)
        cities.append(city)
    quiet = factories.city("Quiet")
    record_city = cities[0]
    recorded = MilestoneRecord.objects.create(
        city=record_city, milestone=Milestone.LEAD_DESIGNATED, reached_on=TODAY,
        evidence_url="https://example.org", recorded_at=timezone.now() + timedelta(minutes=5),
    )  # fmt: skip
    _joined_by_city_today()
    with CaptureQueriesContext(connection) as one:
        activity.last_activity_at([cities[1].pk])
    with django_assert_num_queries(len(one)):
        latest = activity.last_activity_at([c.pk for c in [*cities, quiet]])
    assert quiet.pk not in latest
    assert latest[record_city.pk] == recorded.recorded_at
    assert set(latest) == {c.pk for c in cities}
    assert activity.last_activity_at([]) == {}
