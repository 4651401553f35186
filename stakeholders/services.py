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
    return _change_coordinator(actor=actor, user=user, city=city, grant=True, request=request)


def role_revoke_coordinator(*, actor: User, user: User, city: City, request=None) -> bool:
    """End `user`'s coordination of `city`; return False if they were not its coordinator."""
    return _change_coordinator(actor=actor, user=user, city=city, grant=False, request=request)


def _change_coordinator(*, actor: User, user: User, city: City, grant: bool, request) -> bool:
    with transaction.atomic():
        # Locking the account serialises two staff members changing the same roles.
        User.objects.select_for_update().get(pk=user.pk)
        if (city.pk in coordinated_city_ids(user)) == grant:
            return False
        (grant_coordinator if grant else revoke_coordinator)(city=city, user=user)
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_GRANTED if grant else AuditAction.ROLE_REVOKED,
            request=request,
            city=city,
            target=user,
            role="coordinator",
        )
    return True


# The roles held as a flag on the account, by the name the audit log records.
FLAG_ROLES = {"network_staff": "is_network_staff", "briefing_author": "is_briefing_author"}


def role_set_flag(*, actor: User, user: User, role: str, value: bool, request=None) -> bool:
    """Grant or revoke a network-wide role (see FLAG_ROLES); return False if nothing changed.

    Staff cannot remove their own network-staff role: the last of them could lock everyone
    out.
    """
    field = FLAG_ROLES[role]
    if role == "network_staff" and not value and actor.pk == user.pk:
        raise ValidationError(_("You cannot remove your own network-staff role."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if getattr(locked, field) == value:
            return False
        setattr(locked, field, value)
        locked.save(update_fields=[field])
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_GRANTED if value else AuditAction.ROLE_REVOKED,
            request=request,
            target=locked,
            role=role,
        )
    setattr(user, field, value)
    return True


def person_erase(*, actor: User, person, request=None) -> None:
    """Remove a person's personal data everywhere, keeping aggregate counts true.

    Attendance rows stay (their person is cleared, their leg kept) so attendance by leg
    does not change; invitations, memberships, completions and queued or sent messages go
    with the person; their account is deleted; audit entries keep what happened but lose
    the copies of the person's name and address.
    """
    from audit.models import AuditEvent
    from stakeholders.models import Person

    with transaction.atomic():
        person = Person.objects.select_for_update().select_related("city").get(pk=person.pk)
        city, person_id = person.city, person.pk
        account = User.objects.filter(person=person).first()
        labels = {label for label in (person.full_name, person.email) if label}
        if account is not None:
            labels.add(account.email)
        scrubbed = _("erased person")
        AuditEvent.objects.filter(
            target_type="stakeholders.person", target_id=str(person_id)
        ).update(target_label=scrubbed)
        if account is not None:
            AuditEvent.objects.filter(actor=account).update(actor_label=scrubbed, actor=None)
            AuditEvent.objects.filter(
                target_type="stakeholders.user", target_id=str(account.pk)
            ).update(target_label=scrubbed)
            _close_and_anonymise(account)
        for label in labels:
            AuditEvent.objects.filter(target_label=label).update(target_label=scrubbed)
        person.delete()
        audit_record(
            actor=actor,
            action=AuditAction.PERSON_ERASED,
            request=request,
            city=city,
            erased_person_id=person_id,
        )


def _close_and_anonymise(account: User) -> None:
    from allauth.account.models import EmailAddress

    from stakeholders.models import CityUserObjectPermission

    EmailAddress.objects.filter(user=account).delete()
    CityUserObjectPermission.objects.filter(user=account).delete()
    account.email = f"erased-{account.pk}@invalid"
    account.display_name = ""
    account.person = None
    account.is_active = False  # ends every session (stakeholders.signals)
    account.is_network_staff = account.is_briefing_author = False
    account.is_staff = account.is_superuser = False
    account.set_unusable_password()
    account.save()


def person_update_own_details(*, actor: User, person, form) -> list[str]:
    """Save the details a person changed about themselves; return the changed fields."""
    from django.utils import timezone

    changed = sorted(form.changed_data)
    if not changed:
        return []
    with transaction.atomic():
        updated = form.save(commit=False)
        if "consent_to_contact" in changed:
            # The constraint asks for a date whenever consent is given; keep when it changed.
            updated.consent_recorded_at = timezone.now() if updated.consent_to_contact else None
        updated.save()
        audit_record(
            actor=actor,
            action=AuditAction.PERSON_CHANGED,
            city=updated.city,
            target=updated,
            fields=changed,
        )
    return changed


def city_set_reminder_offsets(*, actor: User, city: City, offsets: list[int], request=None) -> bool:
    """Set the reminders every convening of the city gets unless it sets its own; pending
    reminders keep the times they were planned with."""
    with transaction.atomic():
        locked = City.objects.select_for_update().get(pk=city.pk)
        if locked.reminder_offsets_minutes == offsets:
            return False
        before = locked.reminder_offsets_minutes
        locked.reminder_offsets_minutes = offsets
        locked.save(update_fields=["reminder_offsets_minutes"])
        audit_record(
            actor=actor,
            action=AuditAction.CITY_SETTINGS_CHANGED,
            request=request,
            city=locked,
            target=locked,
            reminder_offsets_minutes={"from": before, "to": offsets},
        )
    city.reminder_offsets_minutes = offsets
    return True
