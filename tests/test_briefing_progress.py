"""The author's live distribution progress, retrying failures, and coordinators' read rates
by city and leg (counts only, scoped to their cities)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AuditAction, AuditEvent
from briefings.models import TLP, Delivery
from briefings.reading_selectors import distribution_progress
from briefings.services import briefing_publish, briefing_withdraw
from stakeholders.models import Leg
from tests import factories
from tests.querycount import page_queries

pytestmark = pytest.mark.django_db

Status = Delivery.Status


def _published(author, **audience):
    briefing = factories.briefing(author, **audience)
    briefing_publish(actor=author, briefing_id=briefing.pk)
    briefing.refresh_from_db()
    return briefing


def _set(briefing, count: int, *, status=None, read=False, acknowledged=False, **filters):
    """Move `count` of the briefing's queued rows (matching filters) along."""
    now = timezone.now()
    ids = list(
        Delivery.objects.filter(briefing=briefing, status=Status.QUEUED, **filters)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    assert len(ids) == count
    changes = {}
    if status:
        changes["status"] = status
        if status == Status.SENT:
            changes["sent_at"] = now
        if status in (Status.FAILED, Status.SKIPPED):
            changes["last_error"] = "550 mailbox unavailable"
    if read:
        changes["read_at"] = now
    if acknowledged:
        changes["acknowledged_at"] = now
    Delivery.objects.filter(pk__in=ids).update(**changes)
    return ids


def _distribution_url(briefing, **query) -> str:
    url = reverse("briefing_distribution", args=[briefing.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


# --- Progress --------------------------------------------------------------------------------


def test_progress_counts_every_status_and_receipts_in_one_query(group, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])  # 12 recipients
    _set(briefing, 5, status=Status.SENT)
    _set(briefing, 2, status=Status.SENT, read=True)
    _set(briefing, 1, status=Status.SENT, read=True, acknowledged=True)
    _set(briefing, 2, status=Status.FAILED)
    _set(briefing, 1, status=Status.SENDING)
    with CaptureQueriesContext(connection) as captured:
        progress = distribution_progress(briefing.pk)
    assert len(captured) == 1
    assert "GROUP BY" in captured[0]["sql"]
    assert progress.counts == {
        "queued": 1,
        "sending": 1,
        "sent": 8,
        "failed": 2,
        "skipped": 0,
    }
    assert (progress.read, progress.acknowledged) == (3, 1)
    assert (progress.total, progress.finished, progress.percent) == (12, 10, 83)
    assert progress.active


def test_the_page_polls_while_rows_are_queued_and_stops_when_done(client, group, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    client.force_login(staff_user)
    response = client.get(_distribution_url(briefing))
    html = response.content.decode()
    status_url = reverse("briefing_distribution_status", args=[briefing.pk])
    signature = response.context["progress"].signature
    assert f'hx-get="{status_url}?seen={signature}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'aria-live="polite"' in html
    assert "<progress" in html and "0 of 12 deliveries handled" in html
    # Nothing changed since the page drew its numbers: no swap (204), polling goes on.
    unchanged = client.get(status_url, {"seen": signature})
    assert unchanged.status_code == 204 and unchanged.content == b""
    _set(briefing, 11, status=Status.SENT)
    _set(briefing, 1, status=Status.FAILED)
    fragment = client.get(status_url, {"seen": signature})
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "12 of 12 deliveries handled" in text
    assert "hx-trigger" not in text  # done: the fragment no longer asks to be polled
    assert "<html" not in text


def test_the_table_lists_deliveries_with_reasons_and_filters_problems_failed_first(
    client, group, staff_user
):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    skipped = _set(briefing, 2, status=Status.SKIPPED)
    failed = _set(briefing, 3, status=Status.FAILED)
    _set(briefing, 4, status=Status.SENT)
    client.force_login(staff_user)
    response = client.get(_distribution_url(briefing, status="problems"))
    rows = list(response.context["page"].object_list)
    assert {row.pk for row in rows[:3]} == set(failed)
    assert {row.pk for row in rows[3:]} == set(skipped) and len(rows) == 5
    html = response.content.decode()
    assert "550 mailbox unavailable" in html
    person = Delivery.objects.get(pk=failed[0]).person
    assert person.full_name in html and group.city.name in html
    only_sent = client.get(_distribution_url(briefing, status="sent")).context["page"]
    assert {row.status for row in only_sent.object_list} == {"sent"}
    # An unknown filter shows everything rather than failing.
    every = client.get(_distribution_url(briefing, status="bogus")).context["page"]
    assert every.paginator.count == 12


def test_the_distribution_page_query_count_does_not_grow_with_deliveries(client, city, staff_user):
    small_group = factories.group(city)
    factories.member(small_group)
    small = _published(staff_user, tlp=TLP.GREEN, groups=[small_group])
    large_group = factories.group_with_all_legs(city, per_leg=15)  # 60 recipients
    large = _published(staff_user, tlp=TLP.GREEN, groups=[large_group])
    _set(large, 10, status=Status.SENT, read=True)
    _set(large, 5, status=Status.FAILED)
    client.force_login(staff_user)
    assert page_queries(client, _distribution_url(small)) == page_queries(
        client, _distribution_url(large)
    )
    assert len(client.get(_distribution_url(large)).context["page"].object_list) == 50


def test_members_and_coordinators_cannot_see_the_distribution(
    client, group, member, staff_user, coordinator_user
):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    for user in (member, coordinator_user):
        client.force_login(user)
        assert client.get(_distribution_url(briefing)).status_code == 404
        url = reverse("briefing_distribution_status", args=[briefing.pk])
        assert client.get(url).status_code == 404


# --- Retrying failures -----------------------------------------------------------------------


def test_retrying_puts_failed_rows_back_in_the_queue_and_is_audited(client, group, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    failed = _set(briefing, 3, status=Status.FAILED)
    sent = _set(briefing, 2, status=Status.SENT)
    client.force_login(staff_user)
    response = client.post(reverse("briefing_retry_failed", args=[briefing.pk]), follow=True)
    assert response.redirect_chain[-1][0] == _distribution_url(briefing)
    assert "3 failed deliveries are queued again." in response.content.decode()
    assert set(Delivery.objects.filter(pk__in=failed).values_list("status", flat=True)) == {
        "queued"
    }
    assert set(Delivery.objects.filter(pk__in=sent).values_list("status", flat=True)) == {"sent"}
    event = AuditEvent.objects.get(action=AuditAction.BRIEFING_RETRIED)
    assert event.detail["retried"] == 3 and event.actor == staff_user


def test_retrying_a_withdrawn_briefing_says_why_not(client, group, staff_user):
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    _set(briefing, 1, status=Status.FAILED)
    briefing_withdraw(actor=staff_user, briefing_id=briefing.pk, reason="Outdated.")
    client.force_login(staff_user)
    response = client.post(reverse("briefing_retry_failed", args=[briefing.pk]), follow=True)
    assert "Only a published briefing" in response.content.decode()
    assert Delivery.objects.filter(briefing=briefing, status=Status.FAILED).count() == 1


# --- Read rates ------------------------------------------------------------------------------


@pytest.fixture
def two_city_briefing(city, other_city, staff_user):
    """A GREEN briefing to both cities' working groups: 2 people per leg in each city."""
    here = factories.group_with_all_legs(city, per_leg=2)
    there = factories.group_with_all_legs(other_city, per_leg=2)
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[here, there])
    Delivery.objects.filter(briefing=briefing).update(status=Status.SENT, sent_at=timezone.now())
    now = timezone.now()
    here_rows = Delivery.objects.filter(briefing=briefing, city=city)
    # In this city: both community members read (one acknowledged), one officer read.
    community = list(here_rows.filter(leg=Leg.COMMUNITY).values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=community).update(read_at=now)
    Delivery.objects.filter(pk=community[0]).update(acknowledged_at=now)
    officer = here_rows.filter(leg=Leg.LAW_ENFORCEMENT).values_list("pk", flat=True)[0]
    Delivery.objects.filter(pk=officer).update(read_at=now)
    # In the other city everybody read it.
    Delivery.objects.filter(briefing=briefing, city=other_city).update(read_at=now)
    return briefing


def _rates(response, briefing):
    item = next(b for b in response.context["briefings"] if b.briefing_id == briefing.pk)
    return {city.city_name: city for city in item.cities}


def test_a_coordinator_sees_read_rates_by_leg_for_their_city_only(
    client, city, two_city_briefing, coordinator_user
):
    client.force_login(coordinator_user)
    response = client.get(reverse("briefing_read_rates"))
    assert response.status_code == 200
    cities = _rates(response, two_city_briefing)
    assert list(cities) == [city.name]
    legs = cities[city.name].legs
    assert (legs[Leg.COMMUNITY].recipients, legs[Leg.COMMUNITY].delivered) == (2, 2)
    assert legs[Leg.COMMUNITY].read == 2
    assert legs[Leg.COMMUNITY].acknowledged == 1 and legs[Leg.COMMUNITY].rate == 100
    assert (legs[Leg.LAW_ENFORCEMENT].read, legs[Leg.LAW_ENFORCEMENT].rate) == (1, 50)
    assert (legs[Leg.MAYOR_COUNCIL].read, legs[Leg.MAYOR_COUNCIL].rate) == (0, 0)
    assert cities[city.name].total.rate == 38  # 3 of 8
    html = response.content.decode()
    # Legs named in words, rates in numbers; no names of who has or has not read.
    for leg in Leg:
        assert str(leg.label) in html
    assert "50 %" in html
    for person in two_city_briefing.deliveries.select_related("person"):
        assert person.person.full_name not in html


def test_a_coordinator_of_another_city_sees_nothing_of_this_city(
    client, city, other_city, two_city_briefing, other_coordinator
):
    client.force_login(other_coordinator)
    response = client.get(reverse("briefing_read_rates"))
    cities = _rates(response, two_city_briefing)
    assert list(cities) == [other_city.name]
    assert city.name not in response.content.decode()
    # Asking for the other city by its id does not widen the scope.
    response = client.get(reverse("briefing_read_rates") + f"?city={city.pk}")
    assert list(_rates(response, two_city_briefing)) == [other_city.name]


def test_a_briefing_that_did_not_reach_the_city_is_not_listed(
    client, city, other_city, staff_user, coordinator_user
):
    _published(staff_user, tlp=TLP.GREEN, groups=[factories.group_with_all_legs(other_city, 1)])
    client.force_login(coordinator_user)
    response = client.get(reverse("briefing_read_rates"))
    assert response.context["briefings"] == []
    assert "No published landscape briefing has reached these cities yet." in (
        response.content.decode()
    )


def test_staff_see_every_city_and_can_filter_by_one(
    client, city, other_city, two_city_briefing, staff_user
):
    client.force_login(staff_user)
    response = client.get(reverse("briefing_read_rates"))
    assert set(_rates(response, two_city_briefing)) == {city.name, other_city.name}
    assert _rates(response, two_city_briefing)[other_city.name].total.rate == 100
    response = client.get(reverse("briefing_read_rates") + f"?city={other_city.pk}")
    assert list(_rates(response, two_city_briefing)) == [other_city.name]
    assert client.get(reverse("briefing_read_rates") + "?city=x").status_code == 200


def test_a_leg_not_yet_sent_to_says_so_rather_than_zero_percent(
    client, city, staff_user, coordinator_user
):
    group = factories.group_with_all_legs(city, per_leg=1)
    briefing = _published(staff_user, tlp=TLP.GREEN, groups=[group])
    _set(briefing, 1, status=Status.SENT, leg=Leg.COMMUNITY)
    _set(briefing, 1, status=Status.SKIPPED, leg=Leg.CITY_STAFF)
    client.force_login(coordinator_user)
    response = client.get(reverse("briefing_read_rates"))
    legs = _rates(response, briefing)[city.name].legs
    assert (legs[Leg.COMMUNITY].delivered, legs[Leg.COMMUNITY].rate) == (1, 0)
    assert (legs[Leg.LAW_ENFORCEMENT].recipients, legs[Leg.LAW_ENFORCEMENT].rate) == (1, None)
    assert legs[Leg.CITY_STAFF].recipients == 0
    html = response.content.decode()
    assert "not delivered yet" in html and "no recipients in this leg" in html


def test_members_get_not_found_for_read_rates(client, member):
    client.force_login(member)
    assert client.get(reverse("briefing_read_rates")).status_code == 404


def test_withdrawn_briefings_have_no_read_rates(client, two_city_briefing, staff_user):
    briefing_withdraw(actor=staff_user, briefing_id=two_city_briefing.pk, reason="Outdated.")
    client.force_login(staff_user)
    assert client.get(reverse("briefing_read_rates")).context["briefings"] == []


def test_the_read_rates_query_count_does_not_grow_with_briefings(
    client, city, other_city, staff_user, coordinator_user
):
    here = factories.group_with_all_legs(city, per_leg=1)
    there = factories.group_with_all_legs(other_city, per_leg=1)
    _published(staff_user, tlp=TLP.GREEN, groups=[here, there])
    url = reverse("briefing_read_rates")
    client.force_login(coordinator_user)
    one = page_queries(client, url)
    for _ in range(24):
        _published(staff_user, tlp=TLP.GREEN, groups=[here, there])
    Delivery.objects.update(status=Status.SENT, sent_at=timezone.now(), read_at=timezone.now())
    assert page_queries(client, url) == one
    client.force_login(staff_user)
    assert len(client.get(url).context["briefings"]) == 20
    assert client.get(url + "?page=2").status_code == 200


# --- In the browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_progress_updates_live_in_the_browser_and_stops_polling_when_done(
    live_server, page, console_errors
):
    from tests.harness.browser import sign_in_as

    city = factories.city("Albuquerque", time_zone="America/Denver")
    people = [factories.person(city, leg) for leg in Leg]
    author = factories.network_staff()
    # Rows written directly: publishing would ask a (here absent) worker to send them.
    briefing = factories.briefing(
        author, tlp=TLP.GREEN, people=people, status="published", published_at=timezone.now()
    )
    for person in people:
        Delivery.objects.create(briefing=briefing, person=person, city=city, leg=person.leg)
    sign_in_as(page, author, live_server.url)
    page.goto(live_server.url + _distribution_url(briefing))
    region = page.locator("#distribution-progress")
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region).to_contain_text("0 of 4 deliveries handled")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    Delivery.objects.filter(briefing=briefing).update(status=Status.SENT, sent_at=timezone.now())

    expect(region).to_contain_text("4 of 4 deliveries handled")
    expect(region).to_contain_text("Every delivery is handled.")
    expect(region.locator("[hx-trigger]")).to_have_count(0)
    expect(region.locator("progress")).to_have_attribute("value", "4")
    assert page.evaluate("window.__sameDocument") is True
    assert console_errors == []
