"""Small builders for test data. Plain functions: each call makes one valid row."""

import itertools
from datetime import date, timedelta

from django.utils import timezone

from briefings.models import AudienceLeg, LandscapeBriefing
from stakeholders.models import City, Leg, Organisation, Person, Programme, Sector, User
from stakeholders.roles import grant_coordinator
from workinggroups.models import Attendance, Convening, Invitation, Membership, WorkingGroup

_seq = itertools.count(1)

TEST_PASSWORD = "a-long-test-password-1"


def programme() -> Programme:
    return Programme.objects.get_or_create(
        name="City-led prevention pilot",
        defaults={"starts_on": date(2023, 10, 1), "ends_on": date(2025, 9, 30)},
    )[0]


def city(name: str | None = None, *, time_zone: str = "America/Denver", **extra) -> City:
    n = next(_seq)
    name = name or f"Testville {n}"
    return City.objects.create(
        programme=programme(),
        name=name,
        state=extra.pop("state", "New Mexico"),
        slug=extra.pop("slug", f"{name.lower().replace(' ', '-')}-{n}"),
        time_zone=time_zone,
        form_of_government=extra.pop("form_of_government", "strong_mayor_council"),
        **extra,
    )


def sector_for(leg: str) -> Sector:
    return Sector.objects.filter(usual_leg=leg).order_by("position").first()


def person(city: City, leg: str = Leg.COMMUNITY, **extra) -> Person:
    n = next(_seq)
    return Person.objects.create(
        city=city,
        full_name=extra.pop("full_name", f"Person {n}"),
        leg=leg,
        sector=extra.pop("sector", None) or sector_for(leg),
        email=extra.pop("email", f"person{n}@example.org"),
        **extra,
    )


def organisation(city: City, name: str | None = None) -> Organisation:
    return Organisation.objects.create(city=city, name=name or f"Organisation {next(_seq)}")


def group(city: City, **extra) -> WorkingGroup:
    return WorkingGroup.objects.create(
        city=city,
        name=extra.pop("name", f"Local Leadership Group {next(_seq)}"),
        kind=extra.pop("kind", WorkingGroup.Kind.LOCAL_LEADERSHIP_GROUP),
        status=extra.pop("status", WorkingGroup.Status.ACTIVE),
        **extra,
    )


def member(group: WorkingGroup, leg: str = Leg.COMMUNITY, **extra) -> Person:
    someone = person(group.city, leg, **extra)
    Membership.objects.create(group=group, person=someone)
    return someone


def group_with_all_legs(city: City, per_leg: int = 3) -> WorkingGroup:
    wg = group(city)
    for leg in Leg:
        for _ in range(per_leg):
            member(wg, leg)
    return wg


def convening(group: WorkingGroup, *, days_from_now: float = 7, **extra) -> Convening:
    starts = timezone.now() + timedelta(days=days_from_now)
    return Convening.objects.create(
        group=group,
        kind=extra.pop("kind", Convening.Kind.WORKING_SESSION),
        title=extra.pop("title", f"Working session {next(_seq)}"),
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place=extra.pop("place", "City Hall, Room 2"),
        **extra,
    )


def invite(convening: Convening, person: Person, response: str = "pending") -> Invitation:
    return Invitation.objects.create(
        convening=convening,
        person=person,
        response=response,
        responded_at=None if response == "pending" else timezone.now(),
    )


def attend(convening: Convening, person: Person) -> Attendance:
    return Attendance.objects.create(convening=convening, person=person, leg=person.leg)


def user(email: str | None = None, **extra) -> User:
    from allauth.account.models import EmailAddress

    account = User.objects.create_user(
        email=email or f"user{next(_seq)}@example.org", password=TEST_PASSWORD, **extra
    )
    EmailAddress.objects.create(user=account, email=account.email, verified=True, primary=True)
    return account


def network_staff() -> User:
    return user(is_network_staff=True)


def coordinator(of: City) -> User:
    account = user()
    grant_coordinator(city=of, user=account)
    return account


def member_user(of: WorkingGroup, leg: str = Leg.COMMUNITY) -> User:
    return user(person=member(of, leg))


def briefing_author() -> User:
    return user(is_briefing_author=True)


def briefing(
    author: User | None = None,
    *,
    tlp: str = "GREEN",
    groups=(),
    cities=(),
    organisations=(),
    people=(),
    legs=(),
    **extra,
) -> LandscapeBriefing:
    """A draft briefing with the given audience (ids or objects)."""
    values = {
        "title": f"Landscape briefing {next(_seq)}",
        "summary": "What the working group should know this month.",
        "body_markdown": "## Summary\n\nSocial cohesion and safety in the city.",
        "tlp": tlp,
        **extra,
    }
    made = LandscapeBriefing.objects.create(author=author or network_staff(), **values)
    made.audience_groups.set(groups)
    made.audience_cities.set(cities)
    made.audience_organisations.set(organisations)
    made.audience_people.set(people)
    for leg in legs:
        AudienceLeg.objects.create(briefing=made, leg=leg)
    return made
