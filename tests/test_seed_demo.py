"""`manage.py seed_demo`: idempotent, true to DOMAIN.md's facts, and usable for signing in."""

from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from briefings.models import Delivery, LandscapeBriefing
from stakeholders.models import City, Leg, Person, Programme, User
from stakeholders.roles import coordinated_city_ids
from trainings.models import Completion, TrainingModule, TrainingSession
from workinggroups.models import Attendance, Convening, Invitation, Membership, WorkingGroup

pytestmark = pytest.mark.django_db

SLUGS = ["albuquerque", "athens", "chattanooga", "overland-park", "stamford"]
# DOMAIN.md's table: IANA zone and 2020 census population.
FACTS = {
    "albuquerque": ("America/Denver", 564_559),
    "athens": ("America/New_York", 23_849),
    "chattanooga": ("America/New_York", 181_099),
    "overland-park": ("America/Chicago", 197_238),
    "stamford": ("America/New_York", 135_470),
}
DISCOURAGED = ("threat", "terrorism", "targeted violence", "mapping")


def seed() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def seeded(db):
    seed()


def snapshot() -> dict:
    """Every row of every model, field by field: equal snapshots mean equal data."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label
        in {"stakeholders", "workinggroups", "trainings", "briefings", "account", "guardian"}
    }


def test_running_twice_gives_the_same_data(seeded):
    first = snapshot()
    seed()
    second = snapshot()
    assert {label: len(rows) for label, rows in first.items()} == {
        label: len(rows) for label, rows in second.items()
    }
    assert first == second  # same values, down to updated_at and the password hashes


def test_the_summary_counts_what_was_seeded(db):
    out, _ = seed()
    assert "cities: 5" in out
    assert f"people: {Person.objects.count()}" in out


def test_the_programme_and_five_pilot_cities(seeded):
    programme = Programme.objects.get()
    assert programme.grant_reference == "DHS-23-TTP-132-00-01"
    cities = {city.slug: city for city in City.objects.all()}
    assert sorted(cities) == SLUGS
    for slug, (zone, population) in FACTS.items():
        city = cities[slug]
        assert (city.time_zone, city.population) == (zone, population)
        assert city.pilot_status == City.PilotStatus.ACTIVE
        assert city.programme == programme
    assert cities["overland-park"].form_of_government == "mayor_council_manager"
    assert cities["overland-park"].lead_portfolio == "city_managers_office"
    assert cities["stamford"].lead_role == "Director of Diversity, Equity & Inclusion"


def test_each_group_seats_10_to_40_people_on_all_four_legs(seeded):
    for city in City.objects.all():
        group = WorkingGroup.objects.get(city=city, kind=WorkingGroup.Kind.LOCAL_LEADERSHIP_GROUP)
        current = Membership.objects.filter(group=group, ended_on__isnull=True)
        assert 10 <= current.count() <= 40
        assert set(current.values_list("person__leg", flat=True)) == set(Leg.values)
        assert current.filter(role=Membership.Role.CHAIR).count() == 1
        assert current.filter(role=Membership.Role.CO_CHAIR).exists()


def test_people_sit_in_a_sector_of_their_own_leg(seeded):
    for person in Person.objects.select_related("sector", "organisation"):
        assert person.sector.usual_leg == person.leg, person
        assert person.email.endswith("@example.org")
        assert person.consent_to_contact and person.consent_recorded_at
        assert person.organisation is None or person.organisation.city_id == person.city_id


def test_overland_park_is_weak_on_law_enforcement(seeded):
    group = WorkingGroup.objects.get(city__slug="overland-park")
    officers = Person.objects.filter(
        memberships__group=group, memberships__ended_on__isnull=True, leg=Leg.LAW_ENFORCEMENT
    )
    assert officers.count() == 1
    held = group.convenings.filter(status=Convening.Status.HELD)
    came = Attendance.objects.filter(convening__in=held, person=officers.get()).count()
    assert came < held.count() / 2


def test_past_convenings_were_attended_and_upcoming_ones_have_invitations(seeded):
    now = timezone.now()
    for group in WorkingGroup.objects.all():
        past = group.convenings.filter(starts_at__lt=now)
        upcoming = group.convenings.filter(starts_at__gte=now)
        assert 3 <= past.count() <= 5
        assert upcoming.count() == 2
        assert all(c.status == Convening.Status.HELD for c in past)
        for convening in upcoming:
            assert convening.status == Convening.Status.SCHEDULED
            assert convening.starts_at <= now + timedelta(days=60)
            assert convening.invitations.exists()
        for convening in past:
            assert convening.attendances.exists()
            assert convening.invitations.filter(response="yes").exists()
    assert Invitation.objects.filter(convening__starts_at__gte=now, response="pending").exists()
    for convening in Convening.objects.all():
        assert convening.place or convening.online_url
        assert not convening.online_url or convening.online_url.startswith("https://")
        assert convening.ends_at > convening.starts_at
        assert convening.starts_at.astimezone(convening.group.city.zone).weekday() < 5


def test_answers_and_attendance_are_consistent(seeded):
    assert not Invitation.objects.exclude(response="pending").filter(responded_at=None).exists()
    assert set(Invitation.objects.values_list("response", flat=True)) >= {"yes", "no", "maybe"}
    for attendance in Attendance.objects.select_related("person"):
        assert attendance.leg == attendance.person.leg
    # Most who came had said yes.
    said_yes = Attendance.objects.filter(
        person__invitations__convening=F("convening"), person__invitations__response="yes"
    )
    assert said_yes.count() > Attendance.objects.count() / 2


def test_some_held_convening_misses_a_leg(seeded):
    held = Convening.objects.filter(status=Convening.Status.HELD).annotate(
        legs=Count("attendances__leg", distinct=True)
    )
    assert held.filter(legs__lt=len(Leg)).exists()


def test_trainings_have_sessions_modules_and_completions(seeded):
    assert TrainingModule.objects.filter(is_foundational=True).count() == 6
    staff = User.objects.get(email="staff@example.org")
    held_trainings = Convening.objects.filter(
        kind=Convening.Kind.TRAINING, status=Convening.Status.HELD
    )
    assert held_trainings.exists()
    for convening in held_trainings:
        session = TrainingSession.objects.get(convening=convening)
        assert session.trainer == staff
        assert session.modules.exists()
        attendees = set(convening.attendances.values_list("person", flat=True))
        completed = set(session.completions.values_list("person", flat=True))
        assert completed == attendees
    assert not Completion.objects.exclude(method=Completion.Method.ATTENDED).exists()


def test_briefings_are_marked_and_addressed(seeded):
    staff = User.objects.get(email="staff@example.org")
    published = LandscapeBriefing.objects.filter(status=LandscapeBriefing.Status.PUBLISHED)
    assert 3 <= published.count() <= 4
    assert set(published.values_list("tlp", flat=True)) == {"CLEAR", "GREEN", "AMBER", "RED"}
    assert LandscapeBriefing.objects.filter(status=LandscapeBriefing.Status.DRAFT).count() == 1
    assert set(LandscapeBriefing.objects.values_list("author", flat=True)) == {staff.pk}
    red = published.get(tlp="RED")
    assert red.audience_people.count() == 3
    for briefing in published:
        assert briefing.published_at <= timezone.now()
        assert (
            briefing.audience_cities.exists()
            or briefing.audience_groups.exists()
            or briefing.audience_sectors.exists()
            or briefing.audience_organisations.exists()
            or briefing.audience_people.exists()
        )


def test_published_briefings_are_delivered_to_their_audience(seeded):
    for briefing in LandscapeBriefing.objects.all():
        deliveries = Delivery.objects.filter(briefing=briefing)
        if briefing.status != LandscapeBriefing.Status.PUBLISHED:  # nothing sent yet
            assert not deliveries.exists()
            continue
        assert deliveries.exists()
        assert not deliveries.exclude(status=Delivery.Status.SENT).exists()
        assert not deliveries.filter(sent_at=None).exists()
    red = LandscapeBriefing.objects.get(tlp="RED")
    assert set(red.deliveries.values_list("person", flat=True)) == set(
        red.audience_people.values_list("pk", flat=True)
    )
    assert Delivery.objects.exclude(read_at=None).exists()


def test_every_demo_account_signs_in_with_a_verified_address(seeded, settings):
    emails = ["staff@example.org"] + [
        f"{role}.{slug}@example.org" for slug in SLUGS for role in ("coordinator", "member")
    ]
    assert sorted(User.objects.values_list("email", flat=True)) == sorted(emails)
    for email in emails:
        user = authenticate(email=email, password=settings.DEMO_PASSWORD)
        assert user is not None, email
        assert EmailAddress.objects.filter(
            user=user, email=email, verified=True, primary=True
        ).exists()


def test_a_changed_demo_password_applies_on_the_next_run(seeded, settings):
    settings.DEMO_PASSWORD = "another-demo-password-2027"
    seed()
    assert authenticate(email="member.athens@example.org", password="another-demo-password-2027")


def test_roles_of_the_demo_accounts(seeded):
    staff = User.objects.get(email="staff@example.org")
    assert staff.is_network_staff and staff.is_staff
    assert staff.display_name == "Network staff (demo)"
    assert not coordinated_city_ids(staff)
    for city in City.objects.all():
        coordinator = User.objects.get(email=f"coordinator.{city.slug}@example.org")
        assert coordinated_city_ids(coordinator) == {city.pk}
        assert not coordinator.is_network_staff
        assert coordinator.person.city == city
        assert coordinator.person.leg == Leg.CITY_STAFF
        assert coordinator.person.sector.slug == "community-liaisons"
        assert coordinator.person.memberships.get().role == Membership.Role.CHAIR
        member = User.objects.get(email=f"member.{city.slug}@example.org")
        assert not coordinated_city_ids(member) and not member.is_network_staff
        assert member.person.city == city and member.person.leg == Leg.COMMUNITY
        assert member.person.memberships.filter(group__city=city, ended_on__isnull=True).exists()


def test_the_demo_speaks_the_portals_words(seeded):
    texts = []
    for convening in Convening.objects.all():
        texts += [convening.title, convening.agenda]
    for briefing in LandscapeBriefing.objects.all():
        texts += [briefing.title, briefing.summary, briefing.body_markdown]
    for module in TrainingModule.objects.all():
        texts += [module.title, module.summary, module.objectives]
    for group in WorkingGroup.objects.all():
        texts += [group.name, group.purpose]
    for text in texts:
        for word in DISCOURAGED:
            assert word not in text.lower(), (word, text)


def test_all_addresses_are_fictional(seeded):
    addresses = list(Person.objects.values_list("email", flat=True))
    addresses += list(User.objects.values_list("email", flat=True))
    addresses += list(EmailAddress.objects.values_list("email", flat=True))
    assert addresses
    assert all(address.endswith("@example.org") for address in addresses)
    assert not Person.objects.filter(~Q(email__iendswith="@example.org")).exists()


def test_the_demo_shows_the_directory_moments_and_institutionalisation(seeded):
    from stakeholders.institution_selectors import institutionalisation_status
    from stakeholders.models import BudgetLine, FocusArea, LocalMoment

    assert FocusArea.objects.count() >= 6
    for city in City.objects.all():
        people = Person.objects.filter(city=city)
        assert people.filter(works_primary=True).count() == people.count()
        assert people.filter(focus_areas__isnull=False).distinct().count() == people.count()
        assert LocalMoment.objects.filter(city=city).count() >= 4
        assert city.next_mayoral_transition is not None
    # Overland Park rests on one office with no budget line: its page warns (lesson 1).
    overland = City.objects.get(slug="overland-park")
    assert not BudgetLine.objects.filter(city=overland).exists()
    assert institutionalisation_status(overland).warnings


def test_held_training_sessions_have_before_and_after_answers(seeded):
    from trainings.models import AssessmentRequest

    answered = AssessmentRequest.objects.filter(answered_at__isnull=False)
    assert answered.filter(phase="before").count() == answered.filter(phase="after").count() > 0
    for row in answered.filter(phase="after")[:20]:
        before = answered.get(session=row.session, person=row.person, phase="before")
        assert all(1 <= v <= 5 for v in row.confidence.values())
        assert sum(row.confidence.values()) >= sum(before.confidence.values())
