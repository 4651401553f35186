"""Account invitations: people join the portal by invitation only.

A coordinator (for their city) or network staff sends a person a signed, expiring,
single-use link; opening it lets the person choose a password, and the new account is
linked to their person record. Every change is one transaction with one audit entry, and
the message leaves only after the transaction commits.
"""

import logging
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import login, password_validation
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.invitation_tokens import (
    ExpiredInvitationToken,
    InvalidInvitationToken,
    InvitationClaim,
    invitation_lifetime,
    make_invitation_token,
    read_invitation_token,
)
from stakeholders.models import AccountInvitation, Person, User, new_invitation_nonce
from stakeholders.roles import Viewer

logger = logging.getLogger(__name__)

# The account a new member signs in with: the model backend, so allauth's extra login
# stages (which expect its own flows) are not entered from here.
_LOGIN_BACKEND = "stakeholders.auth_backends.ModelBackend"


class InvitationNotPossible(Exception):
    """The inviter asked for something the person's state does not allow; say why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RefusalReason(StrEnum):
    INVALID = "invalid"  # forged, altered, malformed, or for an invitation that is gone
    EXPIRED = "expired"
    USED = "used"
    WITHDRAWN = "withdrawn"  # revoked, or the person's address changed since it was sent
    SUPERSEDED = "superseded"  # an older link after a re-send
    OTHER_ACCOUNT = "other_account"  # opened while signed in as someone else
    CONFLICT = "conflict"  # the address's account cannot take this person record


class InvitationRefused(Exception):
    """An invitation link that cannot be used. Nothing was changed."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class InvitationCheck:
    """A usable invitation as its link's holder sees it, before they accept."""

    invitation: AccountInvitation
    # The address already has an account: accepting links it instead of making another.
    existing_account: User | None


# --- Sending, re-sending, revoking ------------------------------------------------------


def account_invitation_send(*, actor: User, person: Person, request) -> AccountInvitation:
    """Invite a person to open an account and mail them the link after commit.

    Refuse (InvitationNotPossible) when the person has no address, already has an
    account, or already has an open invitation (re-send that one instead). Whether some
    other account uses the address is never consulted here, so the inviter learns nothing
    about accounts outside their scope.
    """
    _require_manager(actor, person)
    with transaction.atomic():
        # Lock the person so two inviters clicking at once make one invitation, not an error.
        person = Person.objects.select_for_update().select_related("city").get(pk=person.pk)
        _require_invitable(person)
        if AccountInvitation.objects.filter(
            person=person, accepted_at__isnull=True, revoked_at__isnull=True
        ).exists():
            raise InvitationNotPossible(
                _("%(name)s already has an open invitation: re-send it instead.")
                % {"name": person.full_name}
            )
        now = timezone.now()
        invitation = AccountInvitation.objects.create(
            person=person,
            email=person.email,
            invited_by=actor,
            created_at=now,
            expires_at=now + invitation_lifetime(),
            sent_count=1,
            last_sent_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.INVITATION_SENT,
            request=request,
            city=person.city,
            target=person,
            invitation=invitation.pk,
            expires_at=invitation.expires_at.isoformat(),
        )
        _mail_after_commit(invitation, actor=actor, request=request)
    return invitation


def account_invitation_resend(*, actor: User, person: Person, request) -> AccountInvitation:
    """Mail the person's open invitation again with a fresh link and a fresh expiry.

    The new nonce makes every earlier link for this invitation stop working. The link
    goes to the person's current address, which may have been corrected since.
    """
    _require_manager(actor, person)
    with transaction.atomic():
        person = Person.objects.select_for_update().select_related("city").get(pk=person.pk)
        _require_invitable(person)
        invitation = _open_invitation_for_update(person)
        if invitation is None:
            raise InvitationNotPossible(
                _("%(name)s has no open invitation to re-send.") % {"name": person.full_name}
            )
        now = timezone.now()
        address_changed = invitation.email.lower() != person.email.lower()
        invitation.email = person.email
        invitation.nonce = new_invitation_nonce()
        invitation.expires_at = now + invitation_lifetime()
        invitation.sent_count += 1
        invitation.last_sent_at = now
        invitation.save(
            update_fields=["email", "nonce", "expires_at", "sent_count", "last_sent_at"]
        )
        audit_record(
            actor=actor,
            action=AuditAction.INVITATION_RESENT,
            request=request,
            city=person.city,
            target=person,
            invitation=invitation.pk,
            sent_count=invitation.sent_count,
            address_changed=address_changed,
            expires_at=invitation.expires_at.isoformat(),
        )
        _mail_after_commit(invitation, actor=actor, request=request)
    return invitation


def account_invitation_revoke(*, actor: User, person: Person, request) -> AccountInvitation:
    """Withdraw the person's open invitation: its links stop working at once."""
    _require_manager(actor, person)
    with transaction.atomic():
        invitation = _open_invitation_for_update(person)
        if invitation is None:
            raise InvitationNotPossible(
                _("%(name)s has no open invitation to revoke.") % {"name": person.full_name}
            )
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=AuditAction.INVITATION_REVOKED,
            request=request,
            city=person.city,
            target=person,
            invitation=invitation.pk,
        )
    return invitation


# --- Accepting ------------------------------------------------------------------------------


def account_invitation_check(*, token: str, request) -> InvitationCheck:
    """Return the invitation a link stands for if it can be accepted now; change nothing.

    Raise InvitationRefused otherwise, with the reason to explain to its holder.
    """
    claim = _claim(token)
    invitation = (
        AccountInvitation.objects.select_related("person__city")
        .filter(pk=claim.invitation_id)
        .first()
    )
    existing = _judge(invitation, claim.nonce, request)
    return InvitationCheck(invitation=invitation, existing_account=existing)


def account_invitation_accept(*, token: str, password: str | None, request) -> User:
    """Accept an invitation: make the person's account (or link the one their address
    already has), verify the address, close the invitation and sign a new account in.

    An address that already has an account keeps its password and is not signed in here:
    that account may have two-factor sign-in, which a link in a mailbox must not bypass.
    The invitation row is locked, so two tabs accepting at once make one account.
    """
    claim = _claim(token)
    try:
        with transaction.atomic():
            invitation = (
                AccountInvitation.objects.select_for_update(of=("self",))
                .select_related("person__city")
                .filter(pk=claim.invitation_id)
                .first()
            )
            existing = _judge(invitation, claim.nonce, request)
            person = invitation.person
            if existing is None:
                if password is None:
                    # The account the page offered to link vanished since: start again.
                    raise InvitationRefused(RefusalReason.CONFLICT)
                account = User(email=invitation.email.lower(), person=person)
                password_validation.validate_password(password, account)
                account.set_password(password)
                account.save()
                EmailAddress.objects.create(
                    user=account, email=account.email, verified=True, primary=True
                )
                outcome = "created"
            else:
                account = User.objects.select_for_update().get(pk=existing.pk)
                account.person = person
                account.save(update_fields=["person"])
                _verify_address(account, invitation.email)
                outcome = "linked"
            invitation.accepted_at = timezone.now()
            invitation.save(update_fields=["accepted_at"])
            audit_record(
                actor=account,
                action=AuditAction.INVITATION_ACCEPTED,
                request=request,
                city=person.city,
                target=person,
                invitation=invitation.pk,
                account=outcome,
            )
    except IntegrityError as error:
        # Someone made an account for this address (e.g. in the admin) in the meantime.
        raise InvitationRefused(RefusalReason.CONFLICT) from error
    if outcome == "created":
        login(request, account, backend=_LOGIN_BACKEND)
    return account


# --- Helpers --------------------------------------------------------------------------------


def _require_manager(actor: User, person: Person) -> None:
    # The views check first (404/403); this keeps the rule true for any other caller.
    if not Viewer(actor).can_coordinate(person.city_id):
        raise PermissionDenied


def _require_invitable(person: Person) -> None:
    if not person.email:
        raise InvitationNotPossible(
            _("%(name)s has no email address: add one before inviting them.")
            % {"name": person.full_name}
        )
    if User.objects.filter(person=person).exists():
        raise InvitationNotPossible(
            _("%(name)s already has an account.") % {"name": person.full_name}
        )


def _open_invitation_for_update(person: Person) -> AccountInvitation | None:
    return (
        AccountInvitation.objects.select_for_update()
        .filter(person=person, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )


def _claim(token: str) -> InvitationClaim:
    try:
        return read_invitation_token(token)
    except ExpiredInvitationToken as error:
        raise InvitationRefused(RefusalReason.EXPIRED) from error
    except InvalidInvitationToken as error:
        raise InvitationRefused(RefusalReason.INVALID) from error


def _judge(invitation: AccountInvitation | None, nonce: str, request) -> User | None:
    """Refuse an invitation that cannot be accepted now by this visitor; else return the
    account its address already has, if any."""
    if invitation is None:
        # Signed by us but gone (the person was erased): the same answer as a forgery.
        raise InvitationRefused(RefusalReason.INVALID)
    existing = _account_with_address(invitation.email)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.pk != getattr(existing, "pk", None):
        # Checked before the invitation's state, so a wrong account learns nothing of it.
        raise InvitationRefused(RefusalReason.OTHER_ACCOUNT)
    if invitation.accepted_at is not None:
        raise InvitationRefused(RefusalReason.USED)
    if invitation.revoked_at is not None:
        raise InvitationRefused(RefusalReason.WITHDRAWN)
    if not constant_time_compare(invitation.nonce, nonce):
        raise InvitationRefused(RefusalReason.SUPERSEDED)
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(RefusalReason.EXPIRED)
    person = invitation.person
    if person.email.lower() != invitation.email.lower():
        raise InvitationRefused(RefusalReason.WITHDRAWN)
    if User.objects.filter(person=person).exists():
        raise InvitationRefused(RefusalReason.USED)
    if existing is not None and (
        not existing.is_active or (existing.person_id and existing.person_id != person.pk)
    ):
        # A disabled account stays disabled; an account keeps the person it already is.
        raise InvitationRefused(RefusalReason.CONFLICT)
    return existing


def _account_with_address(email: str) -> User | None:
    account = User.objects.filter(email__iexact=email).first()
    if account is None:
        address = (
            EmailAddress.objects.filter(email__iexact=email, verified=True)
            .select_related("user")
            .first()
        )
        account = address.user if address else None
    return account


def _verify_address(account: User, email: str) -> None:
    # Whoever opened the link reads that mailbox: the address is proven.
    address = EmailAddress.objects.filter(user=account, email__iexact=email).first()
    if address is None:
        has_primary = EmailAddress.objects.filter(user=account, primary=True).exists()
        EmailAddress.objects.create(
            user=account, email=email.lower(), verified=True, primary=not has_primary
        )
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


# --- Mail -----------------------------------------------------------------------------------


def _mail_after_commit(invitation: AccountInvitation, *, actor: User, request) -> None:
    """Build the message now (inside the request) and send it once the rows are committed.

    Sending synchronously on commit is a stop-gap until the outbound-mail ledger (issue
    "convenings") takes invitations as rows claimed by a Celery beat task.
    """
    person = invitation.person
    city = person.city
    link = request.build_absolute_uri(
        reverse("account_invitation_accept", kwargs={"token": make_invitation_token(invitation)})
    )
    if Viewer(actor).is_network_staff:
        inviter = _("Strong Cities Network staff")
    else:
        inviter = _("The city coordinator")
    context = {
        "person": person,
        "city": city,
        "link": link,
        "inviter": inviter,
        "expires_at": invitation.expires_at,
        "resent": invitation.sent_count > 1,
    }
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "[Prevention portal] ")
    subject = render_to_string("stakeholders/invitations/email/subject.txt", context)
    # A header must be one line, whatever the template or a city's name holds.
    subject = prefix + " ".join(subject.split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("stakeholders/invitations/email/body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        # One message per person: never a shared To or Cc that shows who else is invited.
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("stakeholders/invitations/email/body.html", context), "text/html"
    )
    transaction.on_commit(partial(_deliver, message, invitation))


def _deliver(message: EmailMultiAlternatives, invitation: AccountInvitation) -> None:
    try:
        message.send()
    except Exception:
        # The invitation is committed either way; the inviter is told and can re-send.
        logger.exception("Account invitation %s could not be mailed", invitation.pk)
        invitation.delivery_failed = True
