"""List pages make the same number of queries with 1 row as with many."""

import pytest
from django.urls import reverse

from tests import factories
from tests.querycount import page_queries

pytestmark = pytest.mark.django_db


def test_staff_home_query_count_does_not_grow_with_cities(client, staff_user):
    client.force_login(staff_user)
    factories.group_with_all_legs(factories.city(), per_leg=1)
    with_one = page_queries(client, reverse("home"))
    for _ in range(49):
        factories.group_with_all_legs(factories.city(), per_leg=1)
    assert page_queries(client, reverse("home")) == with_one


def test_group_page_query_count_does_not_grow_with_members_or_convenings(
    client, coordinator_user, city
):
    group = factories.group_with_all_legs(city, per_leg=1)
    past = factories.convening(group, days_from_now=-3)
    factories.attend(past, group.memberships.first().person)
    factories.convening(group, days_from_now=3)
    client.force_login(coordinator_user)
    url = reverse("group_detail", args=[group.pk])
    small = page_queries(client, url)
    for _ in range(12):
        factories.member(group)
    for days in range(1, 6):
        convening = factories.convening(group, days_from_now=-days - 5)
        for membership in group.memberships.all()[:10]:
            factories.attend(convening, membership.person)
        factories.convening(group, days_from_now=days + 5)
    assert page_queries(client, url) == small


def test_city_page_query_count_does_not_grow_with_groups(client, coordinator_user, city):
    factories.group_with_all_legs(city, per_leg=1)
    factories.convening(city.working_groups.first())
    client.force_login(coordinator_user)
    url = reverse("city_detail", args=[city.slug])
    small = page_queries(client, url)
    for _ in range(10):
        group = factories.group_with_all_legs(city, per_leg=1)
        factories.convening(group)
    assert page_queries(client, url) == small


def test_member_home_query_count_does_not_grow_with_invitations(client, member, group):
    factories.invite(factories.convening(group), member.person)
    client.force_login(member)
    small = page_queries(client, reverse("home"))
    for days in range(2, 30):
        factories.invite(factories.convening(group, days_from_now=days), member.person, "yes")
    assert page_queries(client, reverse("home")) == small
