"""Civic load (DOMAIN.md lesson 4): what each person already carries, and the warning when
a coordinator invites someone already stretched (a warning, never a block)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import Leg
from tests import factories
from workinggroups.civic_load import STRETCHED_ABOVE, UPCOMING_DAYS, CivicLoad, civic_loads
from workinggroups.models import ExistingInitiative, Invitation, Membership

pytestmark = pytest.mark.django_db


def _busy(city, person, *, groups=0, initiatives=0, upcoming=0):
    """Give `person` that many more group seats, initiative seats and upcoming invitations."""
    for _ in range(groups):
        Membership.objects.create(group=factories.group(city), person=person)
    for n in range(initiatives):
        initiative = ExistingInitiative.objects.create(
            city=city, name=f"Initiative {person.pk}-{n}"
        )
        initiative.people.add(person)
    host = factories.group(city)
    for day in range(upcoming):
        factories.invite(factories.convening(host, days_from_now=day + 1), person, "yes")


def test_load_counts_current_seats_initiatives_and_upcoming_invitations_not_declined(city):
    person = factories.person(city)
    _busy(city, person, groups=2, initiatives=1)
    ended = factories.group(city)
    Membership.objects.create(
        group=ended,
        person=person,
        started_on=timezone.localdate() - timedelta(days=30),
        ended_on=timezone.localdate(),
    )
    host = factories.group(city)
    factories.invite(factories.convening(host, days_from_now=3), person, "yes")
    factories.invite(factories.convening(host, days_from_now=4), person)  # not answered yet
    factories.invite(factories.convening(host, days_from_now=5), person, "no")  # declined
    factories.invite(factories.convening(host, days_from_now=-5), person, "yes")  # past
    factories.invite(factories.convening(host, days_from_now=UPCOMING_DAYS + 5), person, "yes")
    cancelled = factories.convening(
        host, days_from_now=6, status="cancelled", cancelled_at=timezone.now()
    )
    factories.invite(cancelled, person, "yes")
    other = factories.person(city)
    ExistingInitiative.objects.create(city=city, name="Someone else's").people.add(other)

    loads = civic_loads([person.pk, other.pk])
    assert loads[person.pk] == CivicLoad(groups=2, initiatives=1, upcoming=2)
    assert loads[person.pk].total == 5
    assert loads[other.pk] == CivicLoad(groups=0, initiatives=1, upcoming=0)
    summary = "2 working groups, 1 existing initiative, 2 convenings in the next 90 days"
    assert loads[person.pk].summary == summary


def test_stretched_only_past_the_named_threshold(city):
    at_limit = factories.person(city)
    _busy(city, at_limit, groups=2, initiatives=2, upcoming=STRETCHED_ABOVE - 4)
    past_limit = factories.person(city)
    _busy(city, past_limit, groups=2, initiatives=2, upcoming=STRETCHED_ABOVE - 3)
    loads = civic_loads([at_limit.pk, past_limit.pk])
    assert loads[at_limit.pk].total == STRETCHED_ABOVE
    assert not loads[at_limit.pk].is_stretched and loads[at_limit.pk].warning == ""
    assert loads[past_limit.pk].is_stretched
    assert "Already stretched" in loads[past_limit.pk].warning


def test_load_of_many_people_is_one_query(city, django_assert_num_queries):
    people = [factories.person(city) for _ in range(30)]
    for person in people[:5]:
        _busy(city, person, groups=1, initiatives=1, upcoming=1)
    with django_assert_num_queries(1):
        loads = civic_loads(p.pk for p in people)
    assert len(loads) == 30
    assert sum(load.total for load in loads.values()) == 15
    with django_assert_num_queries(0):
        assert civic_loads([]) == {}


def test_invite_preview_warns_about_stretched_people_but_still_sends(
    client, coordinator_user, group
):
    city = group.city
    stretched = factories.member(group, Leg.COMMUNITY, full_name="Busy Leader")
    _busy(city, stretched, groups=3, initiatives=3, upcoming=2)
    light = group.memberships.exclude(person=stretched).first().person
    convening = factories.convening(group, days_from_now=10)
    url = reverse("convening_invite", args=[convening.pk])
    client.force_login(coordinator_user)

    body = client.post(url, {"people": [stretched.pk, light.pk]}).content.decode()
    assert 'id="stretched-warning"' in body
    assert "1 person you are inviting is already stretched" in body
    assert "Busy Leader: 4 working groups, 3 existing initiatives, 2 convenings" in body
    assert f"{light.full_name}:" not in body
    assert not Invitation.objects.filter(convening=convening).exists()

    response = client.post(url, {"people": [stretched.pk, light.pk], "confirm": "1"})
    assert response.status_code == 302
    assert set(
        Invitation.objects.filter(convening=convening).values_list("person_id", flat=True)
    ) == {stretched.pk, light.pk}


def test_invite_preview_says_nothing_of_load_when_nobody_is_stretched(
    client, coordinator_user, group
):
    convening = factories.convening(group, days_from_now=10)
    client.force_login(coordinator_user)
    body = client.post(
        reverse("convening_invite", args=[convening.pk]), {"everyone": "on"}
    ).content.decode()
    assert "stretched" not in body
