"""Home, city and working-group pages: who may see what, and what they show."""

import pytest
from django.urls import reverse

from stakeholders.models import Leg
from tests import factories

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client, city, group):
    for url in [
        reverse("home"),
        reverse("city_detail", args=[city.slug]),
        reverse("group_detail", args=[group.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_staff_home_lists_every_city_with_its_legs(client, staff_user, city, other_city, group):
    client.force_login(staff_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Albuquerque" in body and "Stamford" in body
    for leg in Leg:
        assert str(leg.label) in body


def test_coordinator_home_shows_only_their_city(client, coordinator_user, city, other_city):
    client.force_login(coordinator_user)
    body = client.get(reverse("home")).content.decode()
    assert "Albuquerque" in body
    assert "Stamford" not in body


def test_member_home_lists_their_upcoming_convenings(client, member, group):
    upcoming = factories.convening(group, title="Back-to-school convening")
    factories.invite(upcoming, member.person, "yes")
    not_invited = factories.convening(group, title="Chairs only")
    client.force_login(member)
    body = client.get(reverse("home")).content.decode()
    assert "Back-to-school convening" in body
    assert not_invited.title not in body


def test_coordinator_of_another_city_gets_404_for_the_city(client, other_coordinator, city):
    client.force_login(other_coordinator)
    assert client.get(reverse("city_detail", args=[city.slug])).status_code == 404


def test_city_page_shows_counts_per_leg_and_flags_a_missing_leg(client, coordinator_user, city):
    group = factories.group(city)
    for leg in (Leg.MAYOR_COUNCIL, Leg.CITY_STAFF, Leg.COMMUNITY):
        factories.member(group, leg)
    client.force_login(coordinator_user)
    response = client.get(reverse("city_detail", args=[city.slug]))
    assert response.status_code == 200
    legs = {leg.leg: leg.members for leg in response.context["legs"]}
    assert legs == {
        Leg.MAYOR_COUNCIL: 1,
        Leg.CITY_STAFF: 1,
        Leg.COMMUNITY: 1,
        Leg.LAW_ENFORCEMENT: 0,
    }
    assert "Leg missing" in response.content.decode()


def test_member_sees_fellow_members_but_not_their_contact_details(client, member, group):
    fellow = group.memberships.exclude(person=member.person).first().person
    client.force_login(member)
    body = client.get(reverse("group_detail", args=[group.pk])).content.decode()
    assert fellow.full_name in body
    assert fellow.email not in body


def test_coordinator_sees_contact_details_on_the_roster(client, coordinator_user, group):
    someone = group.memberships.first().person
    client.force_login(coordinator_user)
    body = client.get(reverse("group_detail", args=[group.pk])).content.decode()
    assert someone.email in body


def test_member_of_another_group_gets_404_for_the_group(client, city, group):
    outsider = factories.member_user(factories.group(city))
    client.force_login(outsider)
    assert client.get(reverse("group_detail", args=[group.pk])).status_code == 404


def test_convening_times_show_in_the_city_zone_with_abbreviation(client, coordinator_user, group):
    factories.convening(group, title="Winter session")
    client.force_login(coordinator_user)
    body = client.get(reverse("group_detail", args=[group.pk])).content.decode()
    assert " MST" in body or " MDT" in body


def test_a_leg_with_one_person_or_under_an_eighth_of_seats_is_thin():
    from stakeholders.selectors import LegCount

    def leg(members, total):
        return LegCount(leg="x", label="x", members=members, total=total, largest=10)

    assert leg(1, 8).is_thin  # one person is always thin
    assert not leg(2, 16).is_thin  # exactly an eighth holds
    assert leg(2, 20).is_thin  # under an eighth of twenty seats
    assert not leg(0, 20).is_thin and leg(0, 20).is_missing


def test_viewing_a_roster_with_contact_details_is_audited_with_its_row_count(
    client, coordinator_user, member, group
):
    from audit.models import AuditAction, AuditEvent

    client.force_login(member)
    client.get(reverse("group_detail", args=[group.pk]))
    assert not AuditEvent.objects.exists()  # members see no contact details

    client.force_login(coordinator_user)
    client.get(reverse("group_detail", args=[group.pk]), REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.ROSTER_VIEWED
    assert event.actor == coordinator_user
    assert event.city == group.city
    assert event.detail == {"rows": group.memberships.filter(ended_on__isnull=True).count()}
    assert event.ip_address == "203.0.113.9"


def test_staff_home_shows_cities_fifty_to_a_page(client, staff_user):
    for n in range(51):
        factories.city(f"City {n:02d}")
    client.force_login(staff_user)
    first = client.get(reverse("home"))
    assert len(first.context["cities"]) == 50
    second = client.get(reverse("home"), {"page": 2})
    assert [c.name for c in second.context["cities"]] == ["City 50"]
    assert "Page 2 of 2" in second.content.decode()


def test_group_page_shows_the_six_latest_convenings_with_attendance_by_leg(
    client, coordinator_user, group
):
    held = [factories.convening(group, days_from_now=-d, title=f"Held {d}") for d in range(1, 9)]
    for membership in group.memberships.all():
        factories.attend(held[0], membership.person)
    client.force_login(coordinator_user)
    recent = client.get(reverse("group_detail", args=[group.pk])).context["recent"]
    assert [row.convening.title for row in recent] == [f"Held {d}" for d in range(1, 7)]
    assert recent[0].attended_by_leg == {leg.value: 3 for leg in Leg}
    assert recent[1].missing_legs == [str(leg.label) for leg in Leg]


def test_coordinator_reaches_each_members_invitation_from_the_roster(
    client, coordinator_user, member, group
):
    someone = group.memberships.first().person
    link = reverse("person_invitation", args=[someone.pk])
    client.force_login(coordinator_user)
    assert link in client.get(reverse("group_detail", args=[group.pk])).content.decode()
    client.force_login(member)
    assert link not in client.get(reverse("group_detail", args=[group.pk])).content.decode()


def test_coordinator_sets_the_citys_reminder_times(client, coordinator_user, city):
    from audit.models import AuditAction, AuditEvent

    client.force_login(coordinator_user)
    url = reverse("city_reminders", args=[city.slug])
    client.post(url, {"reminders": "60, 2880"})
    city.refresh_from_db()
    assert city.reminder_offsets_minutes == [2880, 60]
    event = AuditEvent.objects.get(action=AuditAction.CITY_SETTINGS_CHANGED)
    assert event.detail == {"reminder_offsets_minutes": {"from": [1440, 120], "to": [2880, 60]}}

    response = client.post(url, {"reminders": "tomorrow"}, follow=True)
    assert "whole minutes" in response.content.decode()
    city.refresh_from_db()
    assert city.reminder_offsets_minutes == [2880, 60]


def test_a_member_cannot_change_the_citys_reminder_times(client, member, city):
    client.force_login(member)
    response = client.post(reverse("city_reminders", args=[city.slug]), {"reminders": "5"})
    assert response.status_code == 403
    city.refresh_from_db()
    assert city.reminder_offsets_minutes == [1440, 120]


def test_every_page_title_is_plain_text(client, coordinator_user, city, group):
    """A form once leaked into the city page's <title>; a title holds words only."""
    import re

    client.force_login(coordinator_user)
    for url in (reverse("home"), reverse("city_detail", args=[city.slug]), f"/groups/{group.pk}/"):
        html = client.get(url).content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert "<" not in title and len(title) < 120, (url, title)
    city_html = client.get(reverse("city_detail", args=[city.slug])).content.decode()
    assert city_html.count('id="reminders-heading"') == 1
