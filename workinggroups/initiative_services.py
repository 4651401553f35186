"""Existing initiatives: record them, who sits on them, and fold groups into them.

DOMAIN.md lesson 4: rather than build one more body from scratch, fold the prevention
effort into what the city already has (a racial-equity working group, a community-relations
commission). Who sits on those bodies is part of the civic load a person already carries.
"""

from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.models import City, Person
from workinggroups.models import ExistingInitiative, WorkingGroup

# No audit action of its own exists for initiatives yet; they are part of how the city
# organises its prevention work, so they are logged as a change to the city's settings
# with the exact change in the detail.


def initiative_create(
    *, actor, city: City, name: str, description: str = "", request=None
) -> ExistingInitiative:
    """Record an existing initiative of the city."""
    with transaction.atomic():
        initiative = ExistingInitiative.objects.create(
            city=city, name=name.strip(), description=description.strip()
        )
        audit_record(
            actor=actor,
            action=AuditAction.CITY_SETTINGS_CHANGED,
            request=request,
            city=city,
            target=initiative,
            change="initiative_created",
        )
    return initiative


def initiative_seat_change(
    *, actor, initiative_id: int, person_id: int, seated: bool, request=None
) -> bool:
    """Seat a person of the initiative's city on it, or take them off. Return whether
    anything changed (a person of another city is never seated)."""
    with transaction.atomic():
        initiative = (
            ExistingInitiative.objects.select_for_update()
            .select_related("city")
            .get(pk=initiative_id)
        )
        person = Person.objects.filter(pk=person_id, city_id=initiative.city_id).first()
        if person is None:
            return False
        on_it = initiative.people.filter(pk=person.pk).exists()
        if on_it == seated:
            return False
        if seated:
            initiative.people.add(person)
        else:
            initiative.people.remove(person)
        audit_record(
            actor=actor,
            action=AuditAction.CITY_SETTINGS_CHANGED,
            request=request,
            city=initiative.city,
            target=initiative,
            change="initiative_seat_added" if seated else "initiative_seat_removed",
            person_id=person.pk,
        )
    return True


def group_initiatives_set(*, actor, group_id: int, initiative_ids, request=None) -> bool:
    """Set the existing initiatives a group is folded into (only its own city's).
    Return whether anything changed."""
    with transaction.atomic():
        group = (
            WorkingGroup.objects.select_for_update(of=("self",))
            .select_related("city")
            .get(pk=group_id)
        )
        wanted = set(
            ExistingInitiative.objects.filter(
                city_id=group.city_id, pk__in=set(initiative_ids)
            ).values_list("pk", flat=True)
        )
        current = set(group.initiatives.values_list("pk", flat=True))
        if wanted == current:
            return False
        group.initiatives.set(wanted)
        audit_record(
            actor=actor,
            action=AuditAction.CITY_SETTINGS_CHANGED,
            request=request,
            city=group.city,
            target=group,
            change="group_initiatives",
            added=sorted(wanted - current),
            removed=sorted(current - wanted),
        )
    return True
