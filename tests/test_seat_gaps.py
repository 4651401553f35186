"""Seat gaps (DOMAIN.md lesson 3): the recommended seats a group lacks, and people of its
own city who could fill them, the least loaded first (lesson 4)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import Leg, Sector
from tests import factories
from tests.querycount import page_queries
from workinggroups.models import ExistingInitiative, Membership
from workinggroups.seat_gaps import SUGGESTIONS_PER_GAP, member_loads, seat_gaps

pytestmark = pytest.mark.django_db


def _sector(slug):
    return Sector.objects.get(slug=slug)


def _seat(group, slug, **extra):
    sector = _sector(slug)
    return factories.member(group, sector.usual_leg, sector=sector, **extra)


def test_gaps_are_the_recommended_sectors_no_current_member_holds(city):
    group = factories.group(city)
    _seat(group, "elected-officials")
    _seat(group, "sworn-officers")
    leaver = _seat(group, "jewish-leaders")
    Membership.objects.filter(person=leaver).update(ended_on=timezone.localdate())
    Sector.objects.filter(slug="academics").update(recommended=False)
    gaps = {gap.sector.slug for gap in seat_gaps(group)}
    expected = set(
        Sector.objects.filter(recommended=True)
        .exclude(slug__in=["elected-officials", "sworn-officers"])
        .values_list("slug", flat=True)
    )
    assert gaps == expected
    assert "jewish-leaders" in gaps  # the only one left
    assert "academics" not in gaps  # not a recommended seat


def test_suggestions_are_from_the_same_city_outside_the_group_least_loaded_first(city, other_city):
    group = factories.group(city)
    imams = _sector("muslim-leaders")
    seated_elsewhere = factories.group(city)
    in_group = _seat(group, "elected-officials")
    # Four people of the city in the gap's sector, with different loads.
    busiest = factories.person(city, Leg.COMMUNITY, sector=imams, full_name="Amal Busiest")
    for n in range(3):
        ExistingInitiative.objects.create(city=city, name=f"Body {n}").people.add(busiest)
    busy = factories.person(city, Leg.COMMUNITY, sector=imams, full_name="Bilal Busy")
    Membership.objects.create(group=seated_elsewhere, person=busy)
    free = factories.person(city, Leg.COMMUNITY, sector=imams, full_name="Zaid Free")
    also_free = factories.person(city, Leg.COMMUNITY, sector=imams, full_name="Yusuf Free")
    # Never suggested: another city's imam, and an imam already in the group.
    factories.person(other_city, Leg.COMMUNITY, sector=imams, full_name="Omar Elsewhere")
    # A former member's seat is empty: they are in the directory's pool again.
    former = _seat(group, "muslim-leaders", full_name="Musa Former")
    Membership.objects.filter(person=former).update(ended_on=timezone.localdate())

    gaps = {gap.sector.slug: gap for gap in seat_gaps(group)}
    suggested = [s.person for s in gaps["muslim-leaders"].suggestions]
    assert len(suggested) == SUGGESTIONS_PER_GAP
    # Least load first; equal loads by name.
    assert suggested == [former, also_free, free]  # no load; then by name
    assert busiest not in suggested
    assert in_group not in [s.person for gap in gaps.values() for s in gap.suggestions]
    loads = {s.person.pk: s.load.total for s in gaps["muslim-leaders"].suggestions}
    assert all(total == 0 for total in loads.values())
    gaps_with_busy = {gap.sector.slug: gap for gap in seat_gaps(group, per_gap=5)}
    ordered = [s.person for s in gaps_with_busy["muslim-leaders"].suggestions]
    assert ordered[-2:] == [busy, busiest]
    assert all(p.city_id == city.pk for p in ordered)


def test_all_gaps_and_suggestions_take_two_queries(city, django_assert_num_queries):
    group = factories.group_with_all_legs(city, per_leg=1)
    for sector in Sector.objects.filter(recommended=True):
        for _ in range(4):
            factories.person(city, sector.usual_leg, sector=sector)
    with django_assert_num_queries(2):
        gaps = seat_gaps(group)
    assert gaps and all(len(gap.suggestions) == SUGGESTIONS_PER_GAP for gap in gaps)


def test_member_loads_are_heaviest_first(city):
    group = factories.group_with_all_legs(city, per_leg=1)
    heavy = group.memberships.first().person
    ExistingInitiative.objects.create(city=city, name="Commission").people.add(heavy)
    rows = member_loads(group)
    assert rows[0][0].person == heavy
    assert rows[0][1].total == 2
    assert [load.total for _m, load in rows[1:]] == [1, 1, 1]


def test_seat_page_shows_gaps_suggestions_and_member_loads(client, coordinator_user, city):
    group = factories.group(city)
    _seat(group, "elected-officials", full_name="Mayor Seated")
    factories.person(city, Leg.COMMUNITY, sector=_sector("lgbtq-community"), full_name="Kai Hope")
    client.force_login(coordinator_user)
    response = client.get(reverse("group_seat_gaps", args=[group.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "LGBTQ+ community organisations" in body and "Kai Hope" in body
    assert "Mayor Seated" in body  # in the members' load table
    assert "A working group usually seats 10 to 40 people." in body


def test_seat_page_is_refused_to_members(client, member, group):
    client.force_login(member)
    assert client.get(reverse("group_seat_gaps", args=[group.pk])).status_code == 403


def test_seat_page_query_count_does_not_grow(client, coordinator_user, city):
    group = factories.group_with_all_legs(city, per_leg=1)
    client.force_login(coordinator_user)
    url = reverse("group_seat_gaps", args=[group.pk])
    small = page_queries(client, url)
    for sector in Sector.objects.filter(recommended=True)[:10]:
        factories.member(group, sector.usual_leg, sector=sector)
        for _ in range(5):
            person = factories.person(city, sector.usual_leg, sector=sector)
            ExistingInitiative.objects.create(city=city, name=f"Body {person.pk}").people.add(
                person
            )
    assert page_queries(client, url) == small
