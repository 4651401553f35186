"""Writes for a city's local moments.

Local moments are public calendar facts (an election, the school year's start), not
personal data, so they are not audited; each write is still one transaction that checks
the model's rules before saving.
"""

from dataclasses import dataclass, fields
from datetime import date

from django.db import transaction

from stakeholders.models import City, LocalMoment


@dataclass
class MomentDetails:
    """What a coordinator enters for one local moment."""

    title: str
    kind: str
    starts_on: date
    ends_on: date | None = None
    notes: str = ""


def _as_kwargs(details: MomentDetails) -> dict:
    return {f.name: getattr(details, f.name) for f in fields(details)}


def local_moment_create(*, actor, city: City, details: MomentDetails) -> LocalMoment:
    """Add a local moment to the city's calendar."""
    with transaction.atomic():
        moment = LocalMoment(city=city, **_as_kwargs(details))
        moment.full_clean()
        moment.save()
    return moment


def local_moment_update(*, actor, moment_id: int, details: MomentDetails) -> LocalMoment:
    """Change a local moment; convenings and briefings tied to it stay tied."""
    with transaction.atomic():
        moment = LocalMoment.objects.select_for_update().get(pk=moment_id)
        for name, value in _as_kwargs(details).items():
            setattr(moment, name, value)
        moment.full_clean()
        moment.save()
    return moment


def local_moment_delete(*, actor, moment_id: int) -> int:
    """Remove a local moment. Convenings tied to it keep their date and lose the tie;
    briefings lose it from their list of moments. Return how many convenings were tied."""
    with transaction.atomic():
        moment = LocalMoment.objects.select_for_update().filter(pk=moment_id).first()
        if moment is None:
            return 0
        tied = moment.convenings.count()
        moment.delete()
    return tied
