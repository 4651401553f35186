"""Four-leg balance (DOMAIN.md lessons 1 and 5): members and participation per leg, ties
between legs, plain-words warnings, the server-drawn picture and its text alternative."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from stakeholders.models import Leg
from tests import factories
from tests.querycount import page_queries
from workinggroups import balance as selectors
from workinggroups.balance_svg import balance_svg, description
from workinggroups.models import ActionItem, Attendance, ExistingInitiative, Membership

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    """Parse the portal's own SVG (well-formedness is what is under test)."""
    return ET.fromstring(svg)  # noqa: S314  (our own output, not untrusted input)


def _held(group, days_ago, people=(), **extra):
    convening = factories.convening(group, days_from_now=-days_ago, **extra)
    for person in people:
        factories.attend(convening, person)
    return convening


def _members(group, leg, n):
    return [factories.member(group, leg) for _ in range(n)]


def _kinds(balance, leg=None):
    return {w.kind for w in balance.warnings if leg is None or w.leg == leg}


# --- Warnings ------------------------------------------------------------------------------


@pytest.fixture
def lopsided(city):
    """No mayor or council; one city staffer; four community members who never come;
    four officers who come to both convenings."""
    group = factories.group(city)
    staff = _members(group, Leg.CITY_STAFF, 1)
    community = _members(group, Leg.COMMUNITY, 4)
    officers = _members(group, Leg.LAW_ENFORCEMENT, 4)
    _held(group, 20, officers + staff)
    _held(group, 10, officers)
    return group, staff, community, officers


def test_missing_thin_and_disengaged_legs_are_each_warned_about(lopsided):
    group, *_ = lopsided
    balance = selectors.group_balance(group)
    assert balance.convenings == 2
    assert _kinds(balance, Leg.MAYOR_COUNCIL) == {"missing"}
    assert _kinds(balance, Leg.CITY_STAFF) == {"thin"}
    assert _kinds(balance, Leg.COMMUNITY) == {"disengaged"}
    assert _kinds(balance, Leg.LAW_ENFORCEMENT) == set()
    community = balance.leg(Leg.COMMUNITY)
    assert (community.members, community.active, community.percent) == (4, 0, 0)
    officers = balance.leg(Leg.LAW_ENFORCEMENT)
    assert (officers.members, officers.active, officers.percent) == (4, 4, 100)
    texts = " ".join(w.text for w in balance.warnings)
    assert "No one from Mayor and council sits at the table" in texts
    assert "City staff is a thin leg: 1 member out of 9" in texts
    assert "Community organisations is disengaged: 0 of 4 members came" in texts
    # Lesson 6: the portal's own words.
    for word in ("threat", "mapping", "terrorism", "targeted violence"):
        assert word not in texts.lower()


def test_legs_with_members_but_no_shared_convening_have_no_tie(lopsided):
    group, *_ = lopsided
    balance = selectors.group_balance(group)
    no_tie = [w.text for w in balance.warnings if w.kind == "no_tie"]
    # Staff and officers met; community came to nothing; the mayor's leg is empty, so its
    # absence is the "missing" warning, not a tie warning.
    assert no_tie == [
        "No tie between City staff and Community organisations: nobody from the two took "
        "part in the same recent convening.",
        "No tie between Community organisations and Law enforcement: nobody from the two took "
        "part in the same recent convening.",
    ]


def test_disengagement_is_not_judged_on_a_single_convening(city):
    group = factories.group_with_all_legs(city, per_leg=3)
    came = list(group.memberships.exclude(person__leg=Leg.COMMUNITY))
    _held(group, 5, [m.person for m in came])
    balance = selectors.group_balance(group)
    assert balance.convenings == 1
    assert "disengaged" not in _kinds(balance)
    _held(group, 2, [m.person for m in came])
    assert _kinds(selectors.group_balance(group), Leg.COMMUNITY) == {"disengaged"}


def test_a_leg_where_a_third_came_is_not_disengaged(city):
    group = factories.group_with_all_legs(city, per_leg=3)
    people = [m.person for m in group.memberships.all()]
    first_of_each_leg = {p.leg: p for p in reversed(people)}
    _held(group, 9, first_of_each_leg.values())
    _held(group, 3, first_of_each_leg.values())
    balance = selectors.group_balance(group)
    assert [leg.active for leg in balance.legs] == [1, 1, 1, 1]
    assert "disengaged" not in _kinds(balance)


def test_only_the_last_held_convenings_count(city):
    group = factories.group(city)
    old_timer = factories.member(group, Leg.COMMUNITY)
    regular = factories.member(group, Leg.COMMUNITY)
    _held(group, 60, [old_timer])  # beyond the last two
    _held(group, 20, [regular])
    _held(group, 10, [regular])
    # Neither cancelled nor future convenings are "held".
    cancelled = _held(group, 5, [old_timer])
    cancelled.status = "cancelled"
    cancelled.cancelled_at = timezone.now()
    cancelled.save()
    factories.convening(group, days_from_now=5)
    balance = selectors.group_balance(group, last=2)
    assert balance.convenings == 2
    assert balance.leg(Leg.COMMUNITY).active == 1
    assert selectors.group_balance(group, last=6).leg(Leg.COMMUNITY).active == 2


def test_former_members_are_not_counted(city):
    group = factories.group_with_all_legs(city, per_leg=2)
    leaver = group.memberships.filter(person__leg=Leg.LAW_ENFORCEMENT).first()
    Membership.objects.filter(pk=leaver.pk).update(ended_on=timezone.localdate())
    assert selectors.group_balance(group).leg(Leg.LAW_ENFORCEMENT).members == 1


# --- Ties ----------------------------------------------------------------------------------


def test_ties_count_distinct_cross_leg_pairs_by_attendance_and_action_items(city):
    group = factories.group(city)
    a = factories.member(group, Leg.MAYOR_COUNCIL)
    b = factories.member(group, Leg.CITY_STAFF)
    c = factories.member(group, Leg.COMMUNITY)
    f = factories.member(group, Leg.COMMUNITY)
    d = factories.member(group, Leg.LAW_ENFORCEMENT)
    e = factories.member(group, Leg.COMMUNITY)
    _held(group, 20, [a, b, c, f])
    second = _held(group, 10, [a, b, d])
    # E missed the second convening but owns an item agreed there: E works with them.
    ActionItem.objects.create(group=group, raised_at=second, description="Draft", owner=e)
    # An erased person's attendance ties nobody.
    Attendance.objects.create(convening=second, person=None, leg=Leg.COMMUNITY)
    # Beyond the last two convenings: A and a new officer met there, but not lately.
    h = factories.member(group, Leg.LAW_ENFORCEMENT)
    _held(group, 90, [a, h])
    # Another group of the city: counts for the city, not for this group.
    other = factories.group(city)
    g = factories.member(other, Leg.LAW_ENFORCEMENT)
    Membership.objects.create(group=other, person=a)
    _held(other, 3, [a, g])

    ties = {(t.leg_a, t.leg_b): t.pairs for t in selectors.group_balance(group, last=2).ties}
    assert ties == {
        (Leg.MAYOR_COUNCIL, Leg.CITY_STAFF): 1,  # A-B, met twice: one pair
        (Leg.MAYOR_COUNCIL, Leg.COMMUNITY): 3,  # A-C, A-F, A-E (action item)
        (Leg.MAYOR_COUNCIL, Leg.LAW_ENFORCEMENT): 1,  # A-D (A-H was too long ago)
        (Leg.CITY_STAFF, Leg.COMMUNITY): 3,  # B-C, B-F, B-E
        (Leg.CITY_STAFF, Leg.LAW_ENFORCEMENT): 1,  # B-D
        (Leg.COMMUNITY, Leg.LAW_ENFORCEMENT): 1,  # D-E; C-F is within one leg
    }
    city_ties = {(t.leg_a, t.leg_b): t.pairs for t in selectors.city_balance(city, last=2).ties}
    assert city_ties[(Leg.MAYOR_COUNCIL, Leg.LAW_ENFORCEMENT)] == 2  # A-D and A-G
    assert city_ties[(Leg.MAYOR_COUNCIL, Leg.COMMUNITY)] == 3


def test_city_balance_counts_each_person_once_across_groups(city, other_city):
    first = factories.group_with_all_legs(city, per_leg=2)
    second = factories.group(city)
    someone = first.memberships.filter(person__leg=Leg.COMMUNITY).first().person
    Membership.objects.create(group=second, person=someone)
    factories.member(second, Leg.COMMUNITY)
    factories.group_with_all_legs(other_city, per_leg=5)  # another city: not counted
    _held(second, 4, [someone])
    _held(first, 8, [])
    balance = selectors.city_balance(city)
    assert [leg.members for leg in balance.legs] == [2, 2, 3, 2]
    assert balance.leg(Leg.COMMUNITY).active == 1
    assert balance.convenings == 2


def test_city_page_balance_matches_the_city_and_group_balances_computed_apart(city, other_city):
    """The city page reads the city's and its groups' balances from one tie query: the
    same numbers as computing them apart, with a pair tied in two groups one city tie."""
    first = factories.group(city)
    second = factories.group(city)
    a = factories.member(first, Leg.MAYOR_COUNCIL)
    b = factories.member(first, Leg.CITY_STAFF)
    c = factories.member(second, Leg.COMMUNITY)
    d = factories.member(second, Leg.LAW_ENFORCEMENT)
    Membership.objects.create(group=second, person=a)
    Membership.objects.create(group=second, person=b)
    _held(first, 2, [a, b])
    _held(second, 5, [a, b, c])  # A-B again: two group ties, one city tie
    _held(second, 9, [c, d])
    owner_meeting = _held(first, 12, [b])
    ActionItem.objects.create(group=first, raised_at=owner_meeting, description="Map", owner=d)
    factories.group_with_all_legs(other_city, per_leg=3)  # another city: not counted
    _held(factories.group(factories.city()), 1, [a, d])  # another city's group: not counted
    groups = list(city.working_groups.order_by("name"))
    for last in (1, 2, 6):
        city_balance, per_group = selectors.city_and_groups_balance(city, groups, last=last)
        assert city_balance == selectors.city_balance(city, last=last)
        assert per_group == selectors.groups_balance(groups, city_id=city.pk, last=last)
    city_balance, per_group = selectors.city_and_groups_balance(city, groups)
    ties = {(t.leg_a, t.leg_b): t.pairs for t in city_balance.ties}
    assert ties[(Leg.MAYOR_COUNCIL, Leg.CITY_STAFF)] == 1
    first_ties = {(t.leg_a, t.leg_b): t.pairs for t in per_group[first.pk].ties}
    second_ties = {(t.leg_a, t.leg_b): t.pairs for t in per_group[second.pk].ties}
    assert first_ties[(Leg.MAYOR_COUNCIL, Leg.CITY_STAFF)] == 1
    assert second_ties[(Leg.MAYOR_COUNCIL, Leg.CITY_STAFF)] == 1
    assert city_balance.convenings == 4
    assert selectors.city_and_groups_balance(factories.city(), []) == (
        selectors.city_balance(factories.city()),
        {},
    )


def test_balance_of_a_city_takes_a_fixed_number_of_queries(city, django_assert_num_queries):
    for _ in range(3):
        group = factories.group_with_all_legs(city, per_leg=2)
        for days in (3, 6, 9):
            _held(group, days, [m.person for m in group.memberships.all()])
    groups = list(city.working_groups.all())
    with django_assert_num_queries(3):
        selectors.groups_balance(groups, city_id=city.pk)
    with django_assert_num_queries(3):
        selectors.city_balance(city)
    with django_assert_num_queries(4):
        selectors.city_and_groups_balance(city, groups)


# --- The picture and its text alternative ---------------------------------------------------


def test_svg_is_well_formed_with_title_description_and_the_same_numbers(lopsided):
    group, *_ = lopsided
    balance = selectors.group_balance(group)
    svg = balance_svg(balance, title="Four-leg balance of <the group>", id_prefix="t")
    root = _parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "t-title t-desc"
    assert root.find(f"{SVG}title").get("id") == "t-title"
    assert root.find(f"{SVG}title").text == "Four-leg balance of <the group>"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == "t-desc"
    assert desc.text == description(balance)
    assert "Community organisations: 4 members, 0 came lately (0%) (Disengaged)." in desc.text
    assert "Law enforcement: 4 members, 4 came lately (100%)." in desc.text
    assert "City staff and Law enforcement: 4 pairs of people" in desc.text
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    # The state is written out, not left to colour.
    assert "Leg missing" in texts and "Thin leg" in texts and "Disengaged" in texts


def test_svg_of_a_group_without_members_or_convenings_is_still_valid(city):
    balance = selectors.group_balance(factories.group(city))
    root = _parse(balance_svg(balance, title="Empty", id_prefix="e"))
    assert "No convening held yet" in root.find(f"{SVG}desc").text
    assert [w.kind for w in balance.warnings] == ["missing"] * 4


def test_group_balance_page_shows_the_picture_and_a_table_with_the_same_numbers(
    client, member, lopsided
):
    group, *_ = lopsided
    Membership.objects.create(group=group, person=member.person)
    client.force_login(member)
    response = client.get(reverse("group_balance", args=[group.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    _parse(svg)
    balance = response.context["balance"]
    members = [int(n) for n in re.findall(r'data-members="(\d+)"', body)]
    active = [int(n) for n in re.findall(r'data-active="(\d+)"', body)]
    pairs = [int(n) for n in re.findall(r'data-pairs="(\d+)"', body)]
    assert members == [leg.members for leg in balance.legs]
    assert active == [leg.active for leg in balance.legs]
    assert pairs == [tie.pairs for tie in balance.ties]
    assert "Leg missing" in body and "Disengaged" in body
    # A member sees the aggregate only: no way to the directory's suggestions.
    assert reverse("group_seat_gaps", args=[group.pk]) not in body


def test_city_balance_page_lists_every_group(client, coordinator_user, city, lopsided):
    group, *_ = lopsided
    balanced = factories.group_with_all_legs(city, per_leg=3)
    client.force_login(coordinator_user)
    response = client.get(reverse("city_balance", args=[city.slug]), {"last": "3"})
    assert response.status_code == 200
    body = response.content.decode()
    assert group.name in body and balanced.name in body
    _parse(re.search(r"<svg.*?</svg>", body, re.S).group(0))
    assert reverse("city_initiatives", args=[city.slug]) in body
    assert response.context["last"] == 3


def test_group_balance_query_count_does_not_grow(client, coordinator_user, city):
    group = factories.group_with_all_legs(city, per_leg=1)
    _held(group, 3, [m.person for m in group.memberships.all()[:2]])
    client.force_login(coordinator_user)
    url = reverse("group_balance", args=[group.pk])
    small = page_queries(client, url)
    people = [factories.member(group, leg) for leg in Leg for _ in range(8)]
    for days in range(4, 16):
        convening = _held(group, days, people[: 20 + days])
        ActionItem.objects.create(
            group=group, raised_at=convening, description="Follow up", owner=people[0]
        )
    ExistingInitiative.objects.create(city=city, name="Racial-equity working group")
    group.initiatives.set(ExistingInitiative.objects.all())
    assert page_queries(client, url) == small


def test_city_balance_query_count_does_not_grow_with_groups_or_attendance(
    client, coordinator_user, city
):
    group = factories.group_with_all_legs(city, per_leg=3)
    convenings = [_held(group, days, []) for days in (2, 4)]
    people = [m.person for m in group.memberships.all()]
    for convening, person in zip(convenings * 5, people, strict=False):
        Attendance.objects.get_or_create(convening=convening, person=person, leg=person.leg)
    assert Attendance.objects.count() == 10
    client.force_login(coordinator_user)
    url = reverse("city_balance", args=[city.slug])
    small = page_queries(client, url)
    for _ in range(4):
        extra = factories.group_with_all_legs(city, per_leg=5)
        members = [m.person for m in extra.memberships.all()]
        for days in range(1, 11):
            _held(extra, days, members[: days * 2])
    assert Attendance.objects.count() >= 200
    assert page_queries(client, url) == small


# --- Existing initiatives ----------------------------------------------------------------


def test_coordinator_records_an_initiative_seats_people_and_folds_a_group_into_it(
    client, coordinator_user, city, other_city, group
):
    client.force_login(coordinator_user)
    response = client.post(
        reverse("city_initiatives", args=[city.slug]),
        {"name": "Community-relations commission", "description": "Meets monthly."},
    )
    initiative = ExistingInitiative.objects.get(city=city)
    assert response.status_code == 302
    assert response["Location"] == reverse("initiative_detail", args=[initiative.pk])
    # The same name twice is refused with a message, not a server error.
    again = client.post(
        reverse("city_initiatives", args=[city.slug]), {"name": "community-relations commission"}
    )
    assert again.status_code == 200 and "already has an initiative" in again.content.decode()

    neighbour = factories.person(city, Leg.COMMUNITY, full_name="Rosa Parks-Diaz")
    stranger = factories.person(other_city, Leg.COMMUNITY, full_name="Rosa Stranger")
    found = client.get(reverse("initiative_detail", args=[initiative.pk]), {"q": "rosa"})
    assert [p for p, _load in found.context["found"]] == [neighbour]
    url = reverse("initiative_people", args=[initiative.pk])
    client.post(url, {"person": neighbour.pk, "seated": "1"})
    client.post(url, {"person": stranger.pk, "seated": "1"})  # another city: ignored
    assert list(initiative.people.all()) == [neighbour]

    client.post(reverse("group_initiatives", args=[group.pk]), {"initiatives": [initiative.pk]})
    assert list(group.initiatives.all()) == [initiative]
    page = client.get(reverse("group_balance", args=[group.pk])).content.decode()
    assert "Community-relations commission" in page

    client.post(url, {"person": neighbour.pk, "seated": "0"})
    assert not initiative.people.exists()
    changes = list(
        AuditEvent.objects.filter(action=AuditAction.CITY_SETTINGS_CHANGED)
        .order_by("pk")
        .values_list("detail__change", flat=True)
    )
    assert changes == [
        "initiative_created",
        "initiative_seat_added",
        "group_initiatives",
        "initiative_seat_removed",
    ]


def test_a_group_cannot_be_folded_into_another_citys_initiative(
    client, coordinator_user, group, other_city
):
    elsewhere = ExistingInitiative.objects.create(city=other_city, name="Elsewhere")
    client.force_login(coordinator_user)
    response = client.post(
        reverse("group_initiatives", args=[group.pk]), {"initiatives": [elsewhere.pk]}
    )
    assert response.status_code == 200  # not a choice: the form says so
    assert not group.initiatives.exists()


def test_initiatives_page_query_count_does_not_grow(client, coordinator_user, city):
    group = factories.group_with_all_legs(city, per_leg=1)
    first = ExistingInitiative.objects.create(city=city, name="First")
    first.working_groups.add(group)
    client.force_login(coordinator_user)
    url = reverse("city_initiatives", args=[city.slug])
    small = page_queries(client, url)
    for n in range(10):
        initiative = ExistingInitiative.objects.create(city=city, name=f"Initiative {n}")
        initiative.people.set([m.person for m in group.memberships.all()])
        initiative.working_groups.add(group, factories.group(city))
    assert page_queries(client, url) == small


def test_initiative_page_query_count_does_not_grow_with_people(client, coordinator_user, city):
    initiative = ExistingInitiative.objects.create(city=city, name="Commission")
    initiative.people.add(factories.person(city))
    client.force_login(coordinator_user)
    url = reverse("initiative_detail", args=[initiative.pk]) + "?q=Person"
    small = page_queries(client, url)
    for _ in range(15):
        initiative.people.add(factories.person(city))
        factories.person(city)
    assert page_queries(client, url) == small
