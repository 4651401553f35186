"""Attendance by leg, minutes and action items that carry into the next convening."""

import pytest
from django.urls import reverse

from stakeholders.models import Leg
from tests import factories
from workinggroups.models import ActionItem, Attendance

pytestmark = pytest.mark.django_db


def test_coordinator_takes_attendance_with_legs_copied_and_resaving_updates(
    client, coordinator_user, group
):
    convening = factories.convening(group, days_from_now=-0.01)
    people = [m.person for m in group.memberships.order_by("person__leg")]
    came = [p for p in people if p.leg != Leg.LAW_ENFORCEMENT][:4]
    client.force_login(coordinator_user)
    url = reverse("convening_attendance", args=[convening.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"present": [p.pk for p in came], "minutes": "We met."})
    rows = Attendance.objects.filter(convening=convening)
    assert {(a.person_id, a.leg) for a in rows} == {(p.pk, p.leg) for p in came}
    convening.refresh_from_db()
    assert convening.minutes == "We met." and convening.status == "held"
    client.post(url, {"present": [came[0].pk], "minutes": "We met briefly."})
    assert list(rows.values_list("person_id", flat=True)) == [came[0].pk]
    body = client.get(reverse("convening_detail", args=[convening.pk])).content.decode()
    assert "Leg missing" in body and "Law enforcement" in body


def test_attendance_is_not_taken_long_before_the_start(client, coordinator_user, group):
    convening = factories.convening(group, days_from_now=3)
    person = group.memberships.first().person
    client.force_login(coordinator_user)
    client.post(reverse("convening_attendance", args=[convening.pk]), {"present": [person.pk]})
    assert not Attendance.objects.exists()


def test_member_cannot_take_attendance(client, member, group):
    convening = factories.convening(group, days_from_now=-0.01)
    client.force_login(member)
    url = reverse("convening_attendance", args=[convening.pk])
    assert client.post(url, {"present": [member.person_id]}).status_code == 403
    assert not Attendance.objects.exists()


def test_open_action_items_show_on_the_next_convening_until_done(client, coordinator_user, group):
    held = factories.convening(group, days_from_now=-2)
    nxt = factories.convening(group, days_from_now=5)
    owner = group.memberships.first().person
    client.force_login(coordinator_user)
    client.post(
        reverse("action_item_create", args=[held.pk]),
        {"description": "Invite the school district", "owner": owner.pk, "due_on": ""},
    )
    item = ActionItem.objects.get()
    assert item.owner == owner and item.raised_at == held
    body = client.get(reverse("convening_detail", args=[nxt.pk])).content.decode()
    assert "Invite the school district" in body
    client.post(reverse("action_item_done", args=[held.pk, item.pk]))
    body = client.get(reverse("convening_detail", args=[nxt.pk])).content.decode()
    assert "Invite the school district" not in body


def test_an_action_item_owner_must_be_a_member(client, coordinator_user, group, city):
    held = factories.convening(group, days_from_now=-2)
    outsider = factories.person(city)
    client.force_login(coordinator_user)
    client.post(
        reverse("action_item_create", args=[held.pk]),
        {"description": "Something", "owner": outsider.pk},
    )
    assert not ActionItem.objects.exists()


def test_attendance_page_has_a_constant_query_count(client, coordinator_user, group):
    from tests.querycount import page_queries

    convening = factories.convening(group, days_from_now=-0.01)
    client.force_login(coordinator_user)
    url = reverse("convening_attendance", args=[convening.pk])
    small = page_queries(client, url)
    for _ in range(20):
        factories.attend(convening, factories.member(group))
    assert page_queries(client, url) == small
