import pytest
from django.urls import reverse

from audit.models import AuditAction
from audit.services import audit_record
from tests.querycount import page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(staff_user, coordinator_user, city, other_city):
    audit_record(
        actor=staff_user, action=AuditAction.ROLE_GRANTED, city=city, target=coordinator_user
    )
    audit_record(actor=coordinator_user, action=AuditAction.ROSTER_VIEWED, city=city, rows=12)
    audit_record(actor=staff_user, action=AuditAction.ROSTER_EXPORTED, city=other_city, rows=30)


def test_staff_filter_the_log_by_city_action_and_person(client, staff_user, city, entries):
    client.force_login(staff_user)
    url = reverse("audit_log")
    by_city = client.get(url, {"city": city.pk}).context["page"].object_list
    assert {e.city_id for e in by_city} == {city.pk} and len(by_city) == 2
    by_action = client.get(url, {"action": "roster.exported"}).context["page"].object_list
    assert [e.detail for e in by_action] == [{"rows": 30}]
    person = staff_user.email.split("@")[0]
    by_person = client.get(url, {"person": person}).context["page"].object_list
    assert {e.actor_label for e in by_person} == {staff_user.email}


def test_a_bad_filter_value_shows_the_whole_log_with_a_field_error(client, staff_user, entries):
    client.force_login(staff_user)
    response = client.get(reverse("audit_log"), {"city": "not-a-city"})
    assert response.status_code == 200
    assert response.context["form"].errors["city"]
    assert len(response.context["page"].object_list) == 3


def test_audit_log_query_count_does_not_grow_with_entries(client, staff_user, city):
    client.force_login(staff_user)
    url = reverse("audit_log")
    audit_record(actor=staff_user, action=AuditAction.ROLE_GRANTED, city=city)
    one = page_queries(client, url)
    for _ in range(60):
        audit_record(actor=staff_user, action=AuditAction.ROSTER_VIEWED, city=city, rows=3)
    assert page_queries(client, url) == one
