"""The group page's loaders: SQL compiled once per process, rows read as plain tuples.

Each loader must give what the ORM gives for the same data (workinggroups/selectors.py):
the roster in the ORM's order (leg, then name), the recent and upcoming convenings with their
counts, and the group (with its city and leg counts) as the same model instances.
"""

from datetime import datetime

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import Leg
from tests import factories
from workinggroups import group_rows, selectors
from workinggroups.models import Convening, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_group(city):
    """A group with the rows each loader must leave out: ended seats, cancelled and other
    groups' convenings, more past and upcoming convenings than the page shows."""
    group = factories.group_with_all_legs(city, per_leg=2)
    organisation = factories.organisation(city, name="Youth & Families <Centre>")
    factories.member(group, Leg.COMMUNITY, full_name="Ana O'Neil", organisation=organisation)
    factories.member(group, Leg.CITY_STAFF, full_name="No Mail", email="", phone="555 0100")
    chair = factories.member(group, Leg.MAYOR_COUNCIL, full_name="Chair Person")
    Membership.objects.filter(person=chair).update(role=Membership.Role.CHAIR)
    gone = factories.member(group, Leg.LAW_ENFORCEMENT, full_name="Left Already")
    Membership.objects.filter(person=gone).update(ended_on=timezone.localdate())

    people = [m.person for m in group.memberships.select_related("person")]
    for days in range(1, 9):
        past = factories.convening(group, days_from_now=-days, title=f"Past <{days}>")
        for person in people[: days * 2]:
            factories.attend(past, person)
        upcoming = factories.convening(group, days_from_now=days)
        for n, person in enumerate(people[:days]):
            factories.invite(upcoming, person, "yes" if n % 2 else "no")
    factories.convening(
        group, days_from_now=-0.5, status=Convening.Status.CANCELLED, cancelled_at=timezone.now()
    )
    factories.convening(
        group, days_from_now=0.5, status=Convening.Status.CANCELLED, cancelled_at=timezone.now()
    )

    elsewhere = factories.group_with_all_legs(city, per_leg=1)
    factories.attend(
        factories.convening(elsewhere, days_from_now=-1), elsewhere.memberships.first().person
    )
    factories.convening(elsewhere, days_from_now=1)
    return group


def test_roster_rows_are_the_orm_roster(busy_group):
    expected = [
        (
            m.person_id,
            m.person.full_name,
            m.person.leg,
            m.person.organisation.name if m.person.organisation else None,
            m.role,
            m.person.email,
            m.person.phone,
        )
        for m in Membership.objects.filter(group=busy_group, ended_on__isnull=True)
        .select_related("person__organisation")
        .order_by("person__leg", "person__full_name")
    ]
    rows = selectors.roster_rows(busy_group)
    assert [tuple(row) for row in rows] == expected
    assert len(rows) == 11  # the ended seat left out
    assert all(isinstance(row, selectors.RosterRow) for row in rows)


def test_recent_convenings_are_the_orm_ones(busy_group):
    latest = (
        Convening.objects.filter(group=busy_group, starts_at__lt=timezone.now())
        .exclude(status=Convening.Status.CANCELLED)
        .order_by("-starts_at")[:6]
    )
    expected = [
        (
            c.pk,
            c.title,
            c.starts_at,
            {leg: c.attendances.filter(leg=leg).count() for leg in Leg.values},
        )
        for c in latest
    ]
    recent = selectors.recent_convenings_with_attendance(busy_group)
    assert [(*r.convening, r.attended_by_leg) for r in recent] == expected
    assert len(recent) == 6


def test_upcoming_convenings_are_the_orm_ones(busy_group):
    expected = [
        (c.pk, c.title, c.starts_at, c.yes_count, c.invited_count)
        for c in Convening.objects.filter(group=busy_group, starts_at__gte=timezone.now())
        .exclude(status=Convening.Status.CANCELLED)
        .annotate(
            yes_count=Count("invitations", filter=Q(invitations__response="yes")),
            invited_count=Count("invitations"),
        )
        .order_by("starts_at")[:5]
    ]
    upcoming = selectors.upcoming_convenings_of_group(busy_group)
    assert [tuple(c) for c in upcoming] == expected
    assert [c.invited_count for c in upcoming] == [1, 2, 3, 4, 5]


def test_group_with_leg_counts_is_the_orm_instance(busy_group, django_assert_num_queries):
    busy_group.city.reminder_offsets_minutes = [1440, 60]
    busy_group.city.save()
    orm = (
        selectors._groups_with_leg_counts().select_related("city").filter(pk=busy_group.pk).first()
    )
    with django_assert_num_queries(1):
        group = selectors.group_with_leg_counts(busy_group.pk)
        city = group.city  # loaded with it
    assert type(group) is type(orm) and group.pk == orm.pk
    for field in group._meta.concrete_fields:
        assert getattr(group, field.attname) == getattr(orm, field.attname), field.name
    for field in city._meta.concrete_fields:
        assert getattr(city, field.attname) == getattr(orm.city, field.attname), field.name
    assert city.reminder_offsets_minutes == [1440, 60]  # JSON decoded, as the ORM does
    counts = {f"members_{leg}": getattr(group, f"members_{leg}") for leg in Leg.values}
    assert counts == {f"members_{leg}": getattr(orm, f"members_{leg}") for leg in Leg.values}
    assert counts["members_law_enforcement"] == 2  # the ended seat is not counted
    assert not group._state.adding and group._state.db == "default"


def test_unknown_group_is_none(db):
    assert selectors.group_with_leg_counts(10**12) is None


def test_page_shows_contacts_to_coordinators_only(client, busy_group, coordinator_user):
    url = reverse("group_detail", args=[busy_group.pk])
    client.force_login(coordinator_user)
    page = client.get(url).content.decode()
    assert "Youth &amp; Families &lt;Centre&gt;" in page
    assert "Ana O&#x27;Neil" in page
    assert "Past &lt;1&gt;" in page
    assert "Left Already" not in page
    assert "<td></td><td>555 0100</td>" in page  # no address, no mailto link
    assert 'href="mailto:' in page

    client.force_login(factories.member_user(busy_group))
    page = client.get(url).content.decode()
    assert "Ana O&#x27;Neil" in page
    assert "mailto:" not in page and "555 0100" not in page


def test_start_times_follow_the_current_time_zone(busy_group):
    upcoming = selectors.upcoming_convenings_of_group(busy_group)[:1]
    zone = busy_group.city.time_zone
    with timezone.override("UTC"):
        in_utc = group_rows.render_upcoming_items(upcoming, zone)
    with timezone.override("Asia/Tokyo"):
        in_tokyo = group_rows.render_upcoming_items(upcoming, zone)
    assert "+00:00" in in_utc and "+09:00" in in_tokyo
    # The text in the city's own zone is the same either way.
    assert in_utc.split("</time>")[0].split(">")[-1] == in_tokyo.split("</time>")[0].split(">")[-1]


def test_stand_ins_are_never_sent(busy_group):
    sent = []

    def record(execute, sql, params, many, context):
        sent.extend(params or ())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        selectors.roster_rows(busy_group)
        selectors.recent_convenings_with_attendance(busy_group)
        selectors.upcoming_convenings_of_group(busy_group)
        selectors.group_with_leg_counts(busy_group.pk)
    assert busy_group.pk in sent
    assert selectors._GROUP_ID not in sent
    assert not any(isinstance(value, datetime) and value.year == 1900 for value in sent)
