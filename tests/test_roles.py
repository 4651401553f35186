"""Network staff grant and revoke roles in the browser; each change is audited."""

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from stakeholders.roles import coordinated_city_ids
from tests import factories
from tests.querycount import page_queries

pytestmark = pytest.mark.django_db


def test_staff_makes_an_account_coordinator_of_a_city(client, staff_user, city, member):
    client.force_login(staff_user)
    response = client.post(
        reverse("role_grant_coordinator", args=[member.pk]), {"city": city.pk}, follow=True
    )
    assert response.status_code == 200
    assert coordinated_city_ids(member) == {city.pk}
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert (event.actor, event.city, event.target_id) == (staff_user, city, str(member.pk))
    assert event.detail == {"role": "coordinator"}
    assert "now coordinates" in response.content.decode()


def test_granting_a_role_twice_records_it_once(client, staff_user, city, member):
    client.force_login(staff_user)
    url = reverse("role_grant_coordinator", args=[member.pk])
    client.post(url, {"city": city.pk})
    client.post(url, {"city": city.pk})
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_GRANTED).count() == 1


def test_staff_revokes_a_coordinator(client, staff_user, coordinator_user, city):
    client.force_login(staff_user)
    client.post(reverse("role_revoke_coordinator", args=[coordinator_user.pk, city.pk]))
    assert coordinated_city_ids(coordinator_user) == set()
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_REVOKED, city=city).count() == 1


def test_an_unknown_city_changes_nothing_and_says_why(client, staff_user, member):
    client.force_login(staff_user)
    response = client.post(
        reverse("role_grant_coordinator", args=[member.pk]), {"city": "999999"}, follow=True
    )
    assert "Choose one of the cities" in response.content.decode()
    assert coordinated_city_ids(member) == set()
    assert not AuditEvent.objects.exists()


def test_staff_grants_and_removes_the_network_staff_role(client, staff_user, member):
    client.force_login(staff_user)
    url = reverse("role_network_staff", args=[member.pk])
    client.post(url, {"value": "1"})
    member.refresh_from_db()
    assert member.is_network_staff
    client.post(url, {"value": "0"})
    member.refresh_from_db()
    assert not member.is_network_staff
    assert AuditEvent.objects.filter(detail__role="network_staff").count() == 2


def test_staff_cannot_remove_their_own_role(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("role_network_staff", args=[staff_user.pk]), {"value": "0"}, follow=True
    )
    staff_user.refresh_from_db()
    assert staff_user.is_network_staff
    assert "cannot remove your own" in response.content.decode()


def test_a_coordinator_cannot_grant_roles(client, coordinator_user, other_city, member):
    client.force_login(coordinator_user)
    response = client.post(
        reverse("role_grant_coordinator", args=[member.pk]), {"city": other_city.pk}
    )
    assert response.status_code == 404
    assert coordinated_city_ids(member) == set()


def test_roles_page_query_count_does_not_grow_with_accounts(client, staff_user, city):
    client.force_login(staff_user)
    few = page_queries(client, reverse("roles"))
    for _ in range(49):
        factories.coordinator(city)
    assert page_queries(client, reverse("roles")) == few


def test_staff_grants_the_briefing_author_role(client, staff_user, member):
    client.force_login(staff_user)
    client.post(reverse("role_briefing_author", args=[member.pk]), {"value": "1"})
    member.refresh_from_db()
    assert member.is_briefing_author
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert event.detail == {"role": "briefing_author"}
