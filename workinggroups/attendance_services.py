"""Who came, the minutes, and the action items agreed at a convening."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.models import Person
from workinggroups import signals
from workinggroups.convening_services import ConveningNotChangeable
from workinggroups.models import ActionItem, Attendance, Convening, ConveningStatus, Membership

# Attendance can be taken from a little before the start (people arrive early).
OPENS_BEFORE_START = timedelta(hours=1)


def attendance_people(convening: Convening):
    """Whom attendance is taken among: the invited and the group's current members."""
    return (
        Person.objects.filter(invitations__convening=convening)
        .union(
            Person.objects.filter(
                memberships__group_id=convening.group_id, memberships__ended_on__isnull=True
            )
        )
        .order_by("leg", "full_name")
    )


def attendance_record(*, actor, convening_id: int, person_ids, minutes: str) -> list[Attendance]:
    """Save who came (each with their leg copied, so counts by leg outlive an erasure) and
    the minutes; saving again replaces the list. The convening is marked held."""
    with transaction.atomic():
        convening = (
            Convening.objects.select_for_update(of=("self",))
            .select_related("group__city")
            .get(pk=convening_id)
        )
        if convening.status == ConveningStatus.CANCELLED:
            raise ConveningNotChangeable(_("A cancelled convening has no attendance."))
        if timezone.now() < convening.starts_at - OPENS_BEFORE_START:
            raise ConveningNotChangeable(
                _("Attendance can be taken from an hour before the start.")
            )
        allowed = {p.pk: p for p in attendance_people(convening)}
        chosen = {pk for pk in person_ids if pk in allowed}
        Attendance.objects.filter(convening=convening, person__isnull=False).exclude(
            person_id__in=chosen
        ).delete()
        present = set(
            Attendance.objects.filter(convening=convening).values_list("person_id", flat=True)
        )
        Attendance.objects.bulk_create(
            [
                Attendance(convening=convening, person_id=pk, leg=allowed[pk].leg)
                for pk in sorted(chosen - present)
            ]
        )
        convening.minutes = minutes
        if convening.status == ConveningStatus.SCHEDULED and chosen:
            convening.status = ConveningStatus.HELD
        convening.save(update_fields=["minutes", "status", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.ATTENDANCE_RECORDED,
            city=convening.group.city,
            target=convening,
            present=len(chosen),
        )
        signals.attendance_recorded.send(sender=Convening, convening=convening, actor=actor)
    return list(Attendance.objects.filter(convening=convening))


def action_item_add(
    *, actor, convening_id: int, description: str, owner_id: int | None, due_on: date | None
) -> ActionItem:
    """Record an action item agreed at a convening; the owner must be a current member."""
    with transaction.atomic():
        convening = Convening.objects.get(pk=convening_id)
        if (
            owner_id is not None
            and not Membership.objects.filter(
                group_id=convening.group_id, person_id=owner_id, ended_on__isnull=True
            ).exists()
        ):
            raise ConveningNotChangeable(_("The owner must be a member of the group."))
        return ActionItem.objects.create(
            group_id=convening.group_id,
            raised_at=convening,
            description=description,
            owner_id=owner_id,
            due_on=due_on,
        )


def action_item_done(*, actor, item_id: int) -> ActionItem:
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().get(pk=item_id)
        if item.done_at is None:
            item.done_at = timezone.now()
            item.save(update_fields=["done_at"])
    return item
