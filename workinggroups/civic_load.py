"""Civic load: how much a person already carries (DOMAIN.md lesson 4, civic fatigue).

The same community leaders are asked to join one new initiative after another. Before a
coordinator seats or invites someone, the portal shows what that person already carries:
their current working-group seats, their seats on the city's existing initiatives, and
the convenings they are invited to in the coming weeks (and have not declined).

Everything here is computed in the database, as correlated subqueries, so the load of a
whole list of people costs one query however long the list is.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stakeholders.models import Person
from workinggroups.models import (
    Convening,
    ExistingInitiative,
    Invitation,
    InvitationResponse,
    Membership,
)

# How far ahead invitations count towards a person's load: about one quarter, the rhythm
# at which a City Prevention Team meets.
UPCOMING_DAYS = 90

# More commitments than this (groups + initiatives + convenings in the next 90 days) and a
# person is "stretched": one group meeting monthly plus one initiative is five; a sixth and
# a seventh commitment is where the pilots saw people start to drop out.
STRETCHED_ABOVE = 6


@dataclass(frozen=True)
class CivicLoad:
    groups: int
    initiatives: int
    upcoming: int

    @property
    def total(self) -> int:
        return self.groups + self.initiatives + self.upcoming

    @property
    def is_stretched(self) -> bool:
        return self.total > STRETCHED_ABOVE

    @property
    def summary(self) -> str:
        """The load in plain words, e.g. "2 working groups, 1 initiative, 4 convenings in
        the next 90 days"."""
        parts = [
            ngettext("%(n)d working group", "%(n)d working groups", self.groups)
            % {"n": self.groups},
            ngettext("%(n)d existing initiative", "%(n)d existing initiatives", self.initiatives)
            % {"n": self.initiatives},
            ngettext(
                "%(n)d convening in the next %(days)d days",
                "%(n)d convenings in the next %(days)d days",
                self.upcoming,
            )
            % {"n": self.upcoming, "days": UPCOMING_DAYS},
        ]
        return ", ".join(parts)

    @property
    def warning(self) -> str:
        if not self.is_stretched:
            return ""
        return _(
            "Already stretched: more than %(limit)d commitments. Consider folding this work "
            "into a body they already sit on, or asking someone else from their sector."
        ) % {"limit": STRETCHED_ABOVE}


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) of `queryset` (already filtered on OuterRef), 0 when empty."""
    # COUNT as a plain function, not an aggregate: Django then adds no GROUP BY and the
    # subquery returns exactly one row (0 when nothing matches).
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def load_annotations(now: datetime | None = None, person_ref: str = "pk") -> dict:
    """Annotations load_groups, load_initiatives, load_upcoming and civic_load for a Person
    queryset (or any queryset with `person_ref` pointing at a person id)."""
    now = now or timezone.now()
    person = OuterRef(person_ref)
    groups = _count(Membership.objects.filter(person_id=person, ended_on__isnull=True))
    initiatives = _count(ExistingInitiative.people.through.objects.filter(person_id=person))
    upcoming = _count(
        Invitation.objects.filter(
            person_id=person,
            convening__starts_at__gte=now,
            convening__starts_at__lt=now + timedelta(days=UPCOMING_DAYS),
        )
        .exclude(response=InvitationResponse.NO)
        .exclude(convening__status=Convening.Status.CANCELLED)
    )
    return {
        "load_groups": groups,
        "load_initiatives": initiatives,
        "load_upcoming": upcoming,
    }


def with_civic_load(people: QuerySet[Person], now: datetime | None = None) -> QuerySet[Person]:
    """Annotate people with their load, and `civic_load` (the total) to sort by."""
    return people.annotate(**load_annotations(now)).annotate(
        civic_load=F("load_groups") + F("load_initiatives") + F("load_upcoming")
    )


def load_of(obj) -> CivicLoad:
    """The CivicLoad of an object annotated by `with_civic_load`."""
    return CivicLoad(
        groups=obj.load_groups, initiatives=obj.load_initiatives, upcoming=obj.load_upcoming
    )


def civic_loads(person_ids, now: datetime | None = None) -> dict[int, CivicLoad]:
    """The load of many people at once (one query), by person id."""
    ids = set(person_ids)
    if not ids:
        return {}
    rows = (
        Person.objects.filter(pk__in=ids)
        .order_by()
        .annotate(**load_annotations(now))
        .values_list("pk", "load_groups", "load_initiatives", "load_upcoming")
    )
    return {pk: CivicLoad(groups=g, initiatives=i, upcoming=u) for pk, g, i, u in rows}
