"""One large city for `make bench`'s directory and balance pages (issue #6).

The seed_scale cities are small (about forty people each). The directory and the four-leg
balance must stay fast in a big city: 2,000 people in the directory (issue #9's "roster"
target: a 2,000-person city's directory filtered by leg, paginated) and 500 convenings with
their attendance at full scale (smaller at the other sizes, so the query counts can be
compared). Built once per size with bulk inserts, outside the scale prefix so that
seed_scale's own size check is not disturbed. Runs inside Django (config/benchtools.py).
"""

import random
from datetime import date, timedelta

BIG_CITY_SLUG = "bench-big-city"
# people in the directory, working groups, members per group, convenings per group
SHAPES = {
    "tiny": (80, 2, 20, 5),
    "small": (2_000, 5, 30, 40),
    "full": (2_000, 5, 40, 100),
}
ATTENDANCE_SHARE = 0.6


def ensure_big_city(size: str):
    """Return the big city, (re)building it when it does not have this size's shape."""
    from stakeholders.models import City, Person
    from workinggroups.models import Convening

    people, groups, members, convenings = SHAPES[size]
    city = City.objects.filter(slug=BIG_CITY_SLUG).first()
    # Two sizes have the same people: the convenings tell them apart.
    if (
        city is not None
        and Person.objects.filter(city=city).count() == people
        and Convening.objects.filter(group__city=city).count() == groups * convenings
    ):
        return city
    if city is not None:
        _delete(city)
    return _build(people, groups, members, convenings)


def _delete(city) -> None:
    from stakeholders.models import Person
    from workinggroups.models import Attendance, Convening, Invitation, WorkingGroup

    Attendance.objects.filter(convening__group__city=city).delete()
    Invitation.objects.filter(convening__group__city=city).delete()
    Convening.objects.filter(group__city=city).delete()
    WorkingGroup.objects.filter(city=city).delete()
    Person.objects.filter(city=city).delete()
    city.delete()


def _build(people: int, groups: int, members: int, convenings: int):
    from django.db import transaction
    from django.utils import timezone

    from stakeholders.models import City, Leg, Organisation, Person, Programme, Sector
    from workinggroups.models import Attendance, Convening, Membership, WorkingGroup

    rng = random.Random(f"bench-big-city:{people}")
    now = timezone.now()
    with transaction.atomic():
        programme, _ = Programme.objects.get_or_create(
            name="Bench programme",
            defaults={"starts_on": date(2026, 1, 1), "ends_on": date(2027, 12, 31)},
        )
        city = City.objects.create(
            programme=programme,
            slug=BIG_CITY_SLUG,
            name="Bench Big City",
            state="Ohio",
            time_zone="America/New_York",
            form_of_government=City.FormOfGovernment.MAYOR_COUNCIL,
        )
        sectors = list(Sector.objects.order_by("position"))
        organisations = Organisation.objects.bulk_create(
            Organisation(city=city, name=f"Organisation {n}", sector=rng.choice(sectors))
            for n in range(max(10, people // 50))
        )
        legs = list(Leg.values)
        # One leg in eight is law enforcement: the thin leg the balance page must flag.
        weights = [3, 2, 2, 1]
        Person.objects.bulk_create(
            (
                Person(
                    city=city,
                    full_name=f"Big City Person {n:05d}",
                    leg=(leg := rng.choices(legs, weights)[0]),
                    sector=rng.choice([s for s in sectors if s.usual_leg == leg] or sectors),
                    organisation=rng.choice(organisations),
                    email=f"big{n}@bench.example.org",
                    consent_to_contact=True,
                    consent_recorded_at=now,
                    works_primary=n % 2 == 0,
                    works_secondary=n % 3 == 0,
                )
                for n in range(people)
            ),
            batch_size=5_000,
        )
        person_ids = list(Person.objects.filter(city=city).values_list("pk", "leg"))
        for g in range(groups):
            group = WorkingGroup.objects.create(
                city=city,
                name=f"Big City group {g + 1}",
                kind=WorkingGroup.Kind.LOCAL_LEADERSHIP_GROUP,
            )
            seated = rng.sample(person_ids, members)
            Membership.objects.bulk_create(
                Membership(group=group, person_id=pk) for pk, _ in seated
            )
            planned = []
            for c in range(convenings):
                days = (c - convenings * 4 // 5) * 7  # four in five are past
                starts = now + timedelta(days=days)
                planned.append(
                    Convening(
                        group=group,
                        kind="working_session",
                        title=f"Working session {c + 1}",
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=2),
                        status="held" if days < 0 else "scheduled",
                    )
                )
            made = Convening.objects.bulk_create(planned)
            Attendance.objects.bulk_create(
                Attendance(convening=convening, person_id=pk, leg=leg)
                for convening in made
                if convening.status == "held"
                for pk, leg in seated
                if rng.random() < ATTENDANCE_SHARE
            )
    return city
