"""A person downloads their data; network staff erase a person without breaking counts."""

import json

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from stakeholders.models import Leg, Person, User
from tests import factories
from workinggroups.models import Attendance, Invitation, Membership

pytestmark = pytest.mark.django_db


def test_member_downloads_everything_held_about_them(client, member, group):
    past = factories.convening(group, days_from_now=-3, title="Spring working session")
    factories.invite(past, member.person, "yes")
    factories.attend(past, member.person)
    client.force_login(member)
    response = client.get(reverse("my_data"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["person"]["email"] == member.person.email
    assert data["account"]["email"] == member.email
    assert data["invitations"][0]["convening"] == "Spring working session"
    assert data["attendance"][0]["convening"] == "Spring working session"
    assert [m["working_group"] for m in data["memberships"]] == [group.name]
    assert AuditEvent.objects.filter(action=AuditAction.PERSON_EXPORTED, actor=member).exists()


def test_the_download_holds_directory_details_briefings_and_trainings(client, member, group):
    from briefings.services import briefing_publish, delivery_acknowledge
    from stakeholders.models import FocusArea
    from workinggroups.models import ExistingInitiative

    person = member.person
    Person.objects.filter(pk=person.pk).update(works_primary=True, works_tertiary=True)
    person.focus_areas.add(FocusArea.objects.create(slug="youth", name="Young people"))
    initiative = ExistingInitiative.objects.create(city=group.city, name="Human Rights Board")
    initiative.people.add(person)
    staff = factories.network_staff()
    briefing = factories.briefing(staff, groups=[group], title="Campus landscape")
    briefing_publish(actor=staff, briefing_id=briefing.pk)
    delivery_acknowledge(briefing=briefing, person_id=person.pk)

    client.force_login(member)
    data = json.loads(client.get(reverse("my_data")).content)
    assert data["person"]["focus_areas"] == ["Young people"]
    assert len(data["person"]["prevention_levels"]) == 2
    assert data["initiatives"] == ["Human Rights Board"]
    assert data["briefing_deliveries"][0]["briefing"] == "Campus landscape"
    assert data["briefing_deliveries"][0]["acknowledged_at"] is not None
    assert data["self_assessments"] == [] and data["training_materials_opened"] == []


def test_the_download_holds_nobody_elses_details(client, member, group):
    client.force_login(member)
    body = client.get(reverse("my_data")).content.decode()
    for membership in group.memberships.exclude(person=member.person):
        assert membership.person.email not in body
        assert membership.person.full_name not in body


@pytest.fixture
def erasable(group, member, coordinator_user, django_capture_on_commit_callbacks):
    person = member.person
    past = factories.convening(group, days_from_now=-5)
    factories.invite(past, person, "yes")
    factories.attend(past, person)
    upcoming = factories.convening(group, days_from_now=5)
    factories.invite(upcoming, person)
    audit_record(actor=coordinator_user, action=AuditAction.PERSON_CHANGED, target=person)
    audit_record(actor=member, action=AuditAction.PERSON_EXPORTED, target=person)
    return {"person": person, "account": member, "past": past}


def test_staff_erase_a_person_everywhere_and_attendance_by_leg_stays_true(
    client, staff_user, erasable, django_capture_on_commit_callbacks
):
    person, account, past = erasable["person"], erasable["account"], erasable["past"]
    name, email = person.full_name, person.email
    legs_before = list(Attendance.objects.filter(convening=past).values_list("leg", flat=True))
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("person_erase", args=[person.pk]), {"confirm": "erase"})
    assert response.status_code == 302

    assert not Person.objects.filter(pk=person.pk).exists()
    assert not Invitation.objects.filter(person_id=person.pk).exists()
    assert not Membership.objects.filter(person_id=person.pk).exists()
    assert list(Attendance.objects.filter(convening=past).values_list("leg", flat=True)) == (
        legs_before
    )
    assert Leg.COMMUNITY in legs_before
    account.refresh_from_db()
    assert not account.is_active and account.email.endswith("@invalid")
    assert not User.objects.filter(email=email).exists()
    for event in AuditEvent.objects.all():
        flat = json.dumps([event.actor_label, event.target_label, event.detail])
        assert name not in flat and email not in flat
    assert AuditEvent.objects.filter(action=AuditAction.PERSON_ERASED, actor=staff_user).exists()


def test_erasure_needs_the_confirmation_box(client, staff_user, erasable):
    client.force_login(staff_user)
    response = client.post(reverse("person_erase", args=[erasable["person"].pk]), {})
    assert response.status_code == 200
    assert Person.objects.filter(pk=erasable["person"].pk).exists()


def test_a_coordinator_cannot_erase(client, coordinator_user, erasable):
    client.force_login(coordinator_user)
    response = client.post(
        reverse("person_erase", args=[erasable["person"].pk]), {"confirm": "erase"}
    )
    assert response.status_code == 404
    assert Person.objects.filter(pk=erasable["person"].pk).exists()


def test_member_updates_their_own_details_and_consent(client, member):
    client.force_login(member)
    person = member.person
    response = client.post(
        reverse("my_details"),
        {
            "full_name": person.full_name,
            "role_title": "Youth pastor",
            "phone": "555-0100",
            "consent_to_contact": "on",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.role_title, person.phone, person.consent_to_contact) == (
        "Youth pastor",
        "555-0100",
        True,
    )
    assert person.consent_recorded_at is not None
    event = AuditEvent.objects.get(action=AuditAction.PERSON_CHANGED)
    # Reminders were on and the form left them off: turning them off is a change too.
    assert event.detail == {
        "fields": ["consent_to_contact", "phone", "reminders_enabled", "role_title"]
    }
    assert person.reminders_enabled is False


def test_an_empty_name_is_refused_and_nothing_changes(client, member):
    client.force_login(member)
    before = member.person.full_name
    response = client.post(reverse("my_details"), {"full_name": "", "phone": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors["full_name"]
    member.person.refresh_from_db()
    assert member.person.full_name == before and member.person.phone == ""
    assert not AuditEvent.objects.exists()
