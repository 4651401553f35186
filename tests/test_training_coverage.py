"""Training coverage: the numbers by module and leg, when a leg lags, the bulk selector's
queries, and the two pages (permissions are in tests/url_expectations/training_coverage.py).
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import Leg
from tests import factories
from tests.querycount import page_queries
from trainings import coverage_selectors as selectors
from trainings.models import Completion, TrainingModule
from workinggroups.models import Convening, ConveningStatus, Membership

pytestmark = pytest.mark.django_db

# The pages count as of today; the selectors take the day, and tests pass the same one.
TODAY = timezone.localdate()


def module(title: str, *, foundational: bool = True, refresher_months=None) -> TrainingModule:
    return TrainingModule.objects.create(
        slug=title.lower().replace(" ", "-"),
        title=title,
        summary="What it covers.",
        objectives="Name the signs\nKnow whom to call",
        duration_minutes=90,
        is_foundational=foundational,
        refresher_months=refresher_months,
    )


def complete(person, training_module, on: date = TODAY) -> Completion:
    return Completion.objects.create(
        person=person,
        module=training_module,
        method=Completion.Method.SELF_PACED,
        completed_on=on,
    )


@pytest.fixture
def catalogue():
    return {
        "landscape": module("Landscape of hate", refresher_months=12),
        "roles": module("Roles of each leg"),
        "elective": module("Working with schools", foundational=False),
    }


@pytest.fixture
def hand_made(city, other_city, catalogue):
    """Community: 3 members (2 trained, one of them due for a refresher); law enforcement:
    2 (one started, none trained); city staff: 1 (trained); mayor and council: none. A
    former member and another city's member, both trained, must not count."""
    landscape, roles = catalogue["landscape"], catalogue["roles"]
    llg = factories.group(city)
    cpt = factories.group(city, kind="cpt", name="City Prevention Team")
    ana = factories.member(llg, Leg.COMMUNITY, full_name="Ana Community")
    Membership.objects.create(group=cpt, person=ana)  # in both groups: counted once
    ben = factories.member(llg, Leg.COMMUNITY, full_name="Ben Community")
    cy = factories.member(cpt, Leg.COMMUNITY, full_name="Cy Community")
    dee = factories.member(llg, Leg.LAW_ENFORCEMENT, full_name="Dee Officer")
    eli = factories.member(llg, Leg.LAW_ENFORCEMENT, full_name="Eli Officer")
    fay = factories.member(cpt, Leg.CITY_STAFF, full_name="Fay Staff")
    gus = factories.member(llg, Leg.COMMUNITY, full_name="Gus Former")
    Membership.objects.filter(person=gus).update(started_on=date(2024, 1, 1), ended_on=TODAY)
    elsewhere = factories.member(factories.group(other_city), Leg.LAW_ENFORCEMENT)

    two_years_ago = TODAY - timedelta(days=730)
    complete(ana, landscape, two_years_ago)
    complete(ana, landscape)  # the latest completion is what counts: current
    complete(ana, roles)
    complete(ben, landscape, two_years_ago)  # due for a refresher
    complete(ben, roles, two_years_ago)  # no refresher for this module: still current
    complete(ben, catalogue["elective"])
    complete(dee, landscape)
    complete(fay, landscape)
    complete(fay, roles)
    for person in (gus, elsewhere):
        complete(person, landscape)
        complete(person, roles)
    return {"cy": cy, "eli": eli, "dee": dee}


def cells_of(coverage, title):
    row = next(row for row in coverage.modules if row.module.title == title)
    return {cell.leg: (cell.members, cell.completed, cell.due) for cell in row.cells}


def test_coverage_counts_current_members_by_module_and_leg(city, hand_made):
    coverage = selectors.city_coverage(city, today=TODAY)

    assert [row.module.title for row in coverage.modules] == [
        "Landscape of hate",
        "Roles of each leg",
        "Working with schools",  # foundational first
    ]
    assert cells_of(coverage, "Landscape of hate") == {
        Leg.MAYOR_COUNCIL: (0, 0, 0),
        Leg.CITY_STAFF: (1, 1, 0),
        Leg.COMMUNITY: (3, 2, 1),
        Leg.LAW_ENFORCEMENT: (2, 1, 0),
    }
    assert cells_of(coverage, "Roles of each leg") == {
        Leg.MAYOR_COUNCIL: (0, 0, 0),
        Leg.CITY_STAFF: (1, 1, 0),
        Leg.COMMUNITY: (3, 2, 0),
        Leg.LAW_ENFORCEMENT: (2, 0, 0),
    }
    assert cells_of(coverage, "Working with schools")[Leg.COMMUNITY] == (3, 1, 0)
    legs = {leg.leg: (leg.members, leg.trained, leg.started) for leg in coverage.legs}
    assert legs == {
        Leg.MAYOR_COUNCIL: (0, 0, 0),
        Leg.CITY_STAFF: (1, 1, 1),
        Leg.COMMUNITY: (3, 2, 2),
        Leg.LAW_ENFORCEMENT: (2, 0, 1),
    }
    assert [person.full_name for person in coverage.not_yet_trained] == [
        "Cy Community",
        "Eli Officer",
    ]


def test_the_refresher_is_due_only_after_its_months(city, catalogue):
    person = factories.member(factories.group(city), Leg.COMMUNITY)
    complete(person, catalogue["landscape"], date(2024, 6, 16))

    def landscape_in_community(today):
        coverage = selectors.city_coverage(city, today=today)
        return cells_of(coverage, "Landscape of hate")[Leg.COMMUNITY]

    assert landscape_in_community(date(2025, 6, 16)) == (1, 1, 0)  # twelve months to the day
    assert landscape_in_community(date(2025, 6, 17)) == (1, 1, 1)


def test_months_before_keeps_to_the_end_of_a_shorter_month():
    assert selectors.months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert selectors.months_before(date(2025, 1, 15), 13) == date(2023, 12, 15)


def test_a_leg_under_half_of_the_best_legs_share_lags(city, hand_made):
    coverage = selectors.city_coverage(city, today=TODAY)

    assert [leg.leg for leg in coverage.lagging_legs] == [Leg.LAW_ENFORCEMENT]
    law = coverage.leg(Leg.LAW_ENFORCEMENT)
    assert law.reasons == (selectors.BELOW_HALF_OF_BEST,)
    sentence = selectors.lag_sentence(law, coverage)
    assert "0% of its members" in sentence and "City staff (100%)" in sentence
    # Two of three (67%) is not under half of 100%; no members is not judged at all.
    assert not coverage.leg(Leg.COMMUNITY).lags
    assert not coverage.leg(Leg.MAYOR_COUNCIL).lags


@pytest.mark.parametrize(
    ("members", "trained", "started", "best", "held", "expected"),
    [
        (3, 0, 0, 0.0, False, (selectors.NONE_TRAINED,)),
        (4, 0, 0, 0.5, False, (selectors.NONE_TRAINED, selectors.BELOW_HALF_OF_BEST)),
        (10, 3, 5, 0.8, False, (selectors.BELOW_HALF_OF_BEST,)),
        (10, 4, 5, 0.8, False, ()),  # exactly half of the best: not under it
        (10, 2, 5, 0.3, True, (selectors.BELOW_FLOOR_AFTER_SESSION,)),
        (10, 2, 5, 0.3, False, ()),  # no session yet: a fifth is no lag
        (4, 1, 1, 0.25, True, ()),  # exactly a quarter: not under it
        (0, 0, 0, 1.0, True, ()),  # no members: a seat gap, not a training lag
    ],
)
def test_lag_rules(members, trained, started, best, held, expected):
    assert (
        selectors.lag_reasons(
            members=members, trained=trained, started=started, best_share=best, held_session=held
        )
        == expected
    )


def test_a_held_training_session_brings_in_the_quarter_floor(city, catalogue):
    group = factories.group(city)
    people = [factories.member(group, Leg.COMMUNITY) for _ in range(5)]
    complete(people[0], catalogue["landscape"])
    complete(people[0], catalogue["roles"])
    complete(people[1], catalogue["landscape"])
    # One of five trained (20%) is the best share: nothing lags before a session...
    assert not selectors.city_coverage(city).lagging_legs
    convening = factories.convening(group, days_from_now=-7, kind=Convening.Kind.TRAINING)
    Convening.objects.filter(pk=convening.pk).update(status=ConveningStatus.HELD)

    # ... and under a quarter lags once the city has held one.
    coverage = selectors.city_coverage(city)
    assert coverage.held_session
    assert coverage.leg(Leg.COMMUNITY).reasons == (selectors.BELOW_FLOOR_AFTER_SESSION,)


def test_no_foundational_module_means_no_leg_is_judged(city):
    module("Working with schools", foundational=False)
    factories.group_with_all_legs(city, per_leg=1)

    coverage = selectors.city_coverage(city)
    assert coverage.foundational_count == 0
    assert not coverage.lagging_legs and coverage.not_yet_trained == ()


# --- The bulk selector -----------------------------------------------------------------------


def trained_city(catalogue, *, per_leg: int = 2):
    """A city whose law-enforcement leg lags: everyone else has both foundational modules."""
    place = factories.city()
    group = factories.group(place)
    for leg in Leg:
        for n in range(per_leg):
            person = factories.member(group, leg)
            if leg != Leg.LAW_ENFORCEMENT:
                complete(person, catalogue["landscape"], TODAY - timedelta(days=400 * n))
                complete(person, catalogue["roles"])
            elif n == 0:
                complete(person, catalogue["elective"])
    return place


def bulk_queries(city_ids) -> int:
    with CaptureQueriesContext(connection) as captured:
        selectors.coverage_for_cities(city_ids, today=TODAY)
    return len(captured)


def test_the_bulk_selectors_queries_do_not_grow_with_cities(catalogue):
    cities = [trained_city(catalogue) for _ in range(20)]

    one = bulk_queries([cities[0].pk])
    assert one == bulk_queries([city.pk for city in cities])
    assert one <= 4


def test_the_bulk_selector_gives_each_city_what_the_single_one_does(city, hand_made, catalogue):
    cities = [city, *(trained_city(catalogue, per_leg=n % 3 + 1) for n in range(19))]

    bulk = selectors.coverage_for_cities([c.pk for c in cities], today=TODAY)

    for place in cities:
        assert bulk[place.pk] == selectors.city_coverage(place, today=TODAY)
    assert [leg.leg for leg in bulk[cities[1].pk].lagging_legs] == [Leg.LAW_ENFORCEMENT]


# --- The city page ---------------------------------------------------------------------------


def city_url(place) -> str:
    return reverse("city_training_coverage", kwargs={"slug": place.slug})


def test_the_city_page_shows_the_table_the_lagging_leg_and_who_is_not_yet_trained(
    client, city, hand_made
):
    client.force_login(factories.coordinator(city))
    response = client.get(city_url(city))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="coverage-foundational"' in page and 'id="coverage-other"' in page
    # Counts and shares in words, beside the bar (which screen readers skip).
    assert "2 of 3 (66%)" in page and "1 due for a refresher" in page
    assert 'class="coverage-bar"' in page and 'aria-hidden="true"' in page
    assert "Law enforcement lags behind." in page
    assert "a time officers can attend" in page
    untrained = page.split('id="not-yet-trained"')[1].split("</ul>")[0]
    assert "Cy Community" in untrained and "Eli Officer" in untrained
    assert "Ana Community" not in untrained and "Dee Officer" not in untrained
    assert "Gus Former" not in page


def test_the_city_pages_queries_do_not_grow_with_the_city(client, city, other_city, catalogue):
    staff = factories.network_staff()
    small = factories.group(city)
    person = factories.member(small, Leg.COMMUNITY)
    complete(person, catalogue["landscape"])
    large = factories.group(other_city)
    for leg in Leg:
        for n in range(10):
            someone = factories.member(large, leg)
            if n % 2:
                complete(someone, catalogue["landscape"], TODAY - timedelta(days=500))
            if n % 3:
                complete(someone, catalogue["roles"])
                complete(someone, catalogue["elective"])
    client.force_login(staff)

    assert page_queries(client, city_url(city)) == page_queries(client, city_url(other_city))


# --- The network page ------------------------------------------------------------------------


NETWORK_URL = "/trainings/coverage/"  # reverse("training_coverage"), checked below


def test_the_network_pages_queries_do_not_grow_with_cities(client, catalogue):
    client.force_login(factories.network_staff())
    trained_city(catalogue)
    one = page_queries(client, NETWORK_URL)
    one_lagging = page_queries(client, NETWORK_URL + "?lagging=1")
    for _ in range(59):
        trained_city(catalogue, per_leg=1)

    assert page_queries(client, NETWORK_URL) == one
    assert page_queries(client, NETWORK_URL + "?lagging=1") == one_lagging
    assert page_queries(client, NETWORK_URL + "?page=2") == one


def test_the_network_page_lists_cities_by_name_fifty_a_page_and_filters_the_lagging(
    client, catalogue
):
    client.force_login(factories.network_staff())
    lagging = [trained_city(catalogue, per_leg=1) for _ in range(51)]
    balanced = factories.city("Aardvark Falls")
    person = factories.member(factories.group(balanced), Leg.COMMUNITY)
    complete(person, catalogue["landscape"])
    complete(person, catalogue["roles"])

    first = client.get(NETWORK_URL).content.decode()
    assert first.index("Aardvark Falls") < first.index(sorted(c.name for c in lagging)[0])
    assert first.count('href="/trainings/cities/') == 50
    assert "Page 1 of 2" in first
    second = client.get(NETWORK_URL + "?page=2").content.decode()
    assert second.count('href="/trainings/cities/') == 2

    filtered = client.get(NETWORK_URL + "?lagging=1").content.decode()
    assert "Aardvark Falls" not in filtered
    assert "51 cities have a leg that lags." in filtered
    assert "Law enforcement:" in filtered
    assert "lagging=1&amp;page=2" in filtered


def test_the_network_page_reads_the_same_as_the_bulk_selector(client, catalogue):
    place = trained_city(catalogue, per_leg=3)
    client.force_login(factories.network_staff())

    page = client.get(NETWORK_URL).content.decode()

    coverage = selectors.coverage_for_cities([place.pk], foundational_only=True)[place.pk]
    for leg in coverage.legs:
        assert f"{leg.trained} of {leg.members} ({leg.share}%)" in page
    assert reverse("training_coverage") == NETWORK_URL
