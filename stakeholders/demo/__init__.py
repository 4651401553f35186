"""Builds the demo data for `manage.py seed_demo`: the five pilot cities, their groups, people,
convenings, trainings, landscape briefings, local moments, budget lines and grants, and the
demo accounts.

Idempotent by design: every row is found by a natural key and brought to the planned values
(saved only when something differs, so a second run writes nothing that did not move). Every
choice comes from random.Random seeded with a fixed string, and every date is computed from
today's date in the city's own zone, so two runs on the same day give identical data.

cities.py and texts.py hold the facts and words; people.py, calendar.py and briefings.py write
them; rows.py holds the upsert they share.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from briefings.models import Delivery, LandscapeBriefing
from stakeholders.demo import briefings as briefings_
from stakeholders.demo import calendar, cities, institution, people, progress
from stakeholders.demo.rows import upsert
from stakeholders.models import City, Organisation, Person, Programme, User
from trainings.models import Completion, TrainingModule, TrainingSession
from workinggroups.models import (
    Attendance,
    Convening,
    ExistingInitiative,
    FrameworkVersion,
    Invitation,
    Membership,
    MilestoneRecord,
    WorkingGroup,
)

# What the summary counts, in this order.
SUMMARY_MODELS = [
    City,
    Organisation,
    ExistingInitiative,
    WorkingGroup,
    Person,
    Membership,
    Convening,
    Invitation,
    Attendance,
    TrainingModule,
    TrainingSession,
    Completion,
    LandscapeBriefing,
    Delivery,
    MilestoneRecord,
    FrameworkVersion,
    User,
]


@dataclass
class Result:
    counts: list[tuple[str, int]]


def seed(*, password: str, now: datetime | None = None) -> Result:
    """Create or refresh all demo data in one transaction; return the resulting counts."""
    now = now or timezone.now()
    with transaction.atomic():
        programme = upsert(Programme, name=cities.PROGRAMME["name"], values=cities.PROGRAMME)
        staff = people.account(
            cities.STAFF_EMAIL,
            password,
            display_name="Network staff (demo)",
            is_network_staff=True,
            is_staff=True,
        )
        modules = calendar.training_modules()
        areas = institution.focus_areas()
        casts = {}
        for plan in cities.CITIES:
            cast = people.city_and_roster(plan, programme, now)
            people.accounts_of(cast, password)
            calendar.convenings_of(cast, modules, staff)
            institution.directory_details(cast, areas)
            institution.moments(cast)
            institution.institution(cast)
            progress.progress_of(cast)
            casts[plan.slug] = cast
        briefings_.landscape_briefings(casts, staff, now)
    counts = [(str(m._meta.verbose_name_plural), m.objects.count()) for m in SUMMARY_MODELS]
    return Result(counts=counts)
