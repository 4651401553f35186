"""Writes for accounts and roles. Each change is one transaction with one audit entry."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.models import City, User
from stakeholders.roles import coordinated_city_ids, grant_coordinator, revoke_coordinator


def role_grant_coordinator(*, actor: User, user: User, city: City, request=None) -> bool:
    """Make `user` a coordinator of `city`; return False if they already were."""
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if city.pk in coordinated_city_ids(user):
            return False
        grant_coordinator(city=city, user=user)
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_GRANTED,
            request=request,
            city=city,
            target=user,
            role="coordinator",
        )
    return True


def role_revoke_coordinator(*, actor: User, user: User, city: City, request=None) -> bool:
    """End `user`'s coordination of `city`; return False if they were not its coordinator."""
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if city.pk not in coordinated_city_ids(user):
            return False
        revoke_coordinator(city=city, user=user)
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_REVOKED,
            request=request,
            city=city,
            target=user,
            role="coordinator",
        )
    return True


def role_set_network_staff(*, actor: User, user: User, value: bool, request=None) -> bool:
    """Grant or revoke the network-staff role; return False if nothing changed.

    Staff cannot remove their own role: the last staff member could lock everyone out.
    """
    if not value and actor.pk == user.pk:
        raise ValidationError(_("You cannot remove your own network-staff role."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_network_staff == value:
            return False
        locked.is_network_staff = value
        locked.save(update_fields=["is_network_staff"])
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_GRANTED if value else AuditAction.ROLE_REVOKED,
            request=request,
            target=locked,
            role="network_staff",
        )
    user.is_network_staff = value
    return True
