"""Account invitation pages: the inviter's page per person, and the public accept page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stakeholders import invitation_services as services
from stakeholders.invitation_forms import AcceptInvitationForm, LinkAccountForm
from stakeholders.invitation_services import InvitationNotPossible, InvitationRefused, RefusalReason
from stakeholders.models import Person, User
from stakeholders.permissions import access_person

# --- The inviter's page ---------------------------------------------------------------------


@require_GET
def person_invitation(request, person_id: int):
    """The person's invitation status, with the actions their state allows."""
    person, viewer = access_person(request, person_id, manage=True)
    invitation = person.account_invitations.first()
    has_account = User.objects.filter(person=person).exists()
    is_open = invitation is not None and invitation.is_open
    context = {
        "viewer": viewer,
        "person": person,
        "city": person.city,
        "invitation": invitation,
        "has_account": has_account,
        "can_send": bool(person.email) and not has_account and not is_open,
        "can_resend": bool(person.email) and not has_account and is_open,
        "can_revoke": is_open,
    }
    return render(request, "stakeholders/invitations/person_invitation.html", context)


@require_POST
def person_invitation_send(request, person_id: int):
    person, _viewer = access_person(request, person_id, manage=True)
    return _change(
        request, person, services.account_invitation_send, _("Invitation sent to %(name)s.")
    )


@require_POST
def person_invitation_resend(request, person_id: int):
    person, _viewer = access_person(request, person_id, manage=True)
    return _change(
        request,
        person,
        services.account_invitation_resend,
        _("Invitation sent again to %(name)s. Links in earlier messages no longer work."),
    )


@require_POST
def person_invitation_revoke(request, person_id: int):
    person, _viewer = access_person(request, person_id, manage=True)
    return _change(
        request,
        person,
        services.account_invitation_revoke,
        _("The invitation to %(name)s is revoked: its link no longer works."),
    )


def _change(request, person: Person, service, done: str):
    try:
        invitation = service(actor=request.user, person=person, request=request)
    except InvitationNotPossible as error:
        messages.error(request, error.message)
    else:
        if getattr(invitation, "delivery_failed", False):
            messages.error(
                request,
                _(
                    "The invitation to %(name)s is saved but the message could not be sent. "
                    "Try sending it again later."
                )
                % {"name": person.full_name},
            )
        else:
            messages.success(request, done % {"name": person.full_name})
    # Post/redirect/get: a reload of the result page must not send the invitation again.
    return redirect("person_invitation", person_id=person.pk)


# --- The invited person's page ----------------------------------------------------------------

# Gone for good (410) when the link was genuine once; 400 for anything else.
_REFUSAL_STATUS = {
    RefusalReason.EXPIRED: 410,
    RefusalReason.USED: 410,
    RefusalReason.WITHDRAWN: 410,
    RefusalReason.SUPERSEDED: 410,
}


@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def account_invitation_accept(request, token: str):
    """Open an invitation link: GET shows the form and changes nothing; POST accepts."""
    try:
        check = services.account_invitation_check(token=token, request=request)
    except InvitationRefused as refusal:
        return _refused(request, refusal.reason)
    invitation = check.invitation
    data = request.POST if request.method == "POST" else None
    if check.existing_account is None:
        form = AcceptInvitationForm(data, email=invitation.email)
    else:
        form = LinkAccountForm(data)
    if form.is_bound and form.is_valid():
        try:
            account = services.account_invitation_accept(
                token=token, password=form.cleaned_data.get("password1"), request=request
            )
        except InvitationRefused as refusal:
            return _refused(request, refusal.reason)
        except ValidationError as error:
            form.add_error("password1" if "password1" in form.fields else None, error)
        else:
            if request.user.is_authenticated and request.user.pk == account.pk:
                if check.existing_account is None:
                    messages.success(request, _("Welcome. Your account is ready."))
                else:
                    messages.success(request, _("Your account is now linked to your record."))
                return redirect("home")
            messages.info(
                request,
                _(
                    "Your address already had an account in the portal: it is now linked to "
                    "your record. Sign in with that account's password (or reset it)."
                ),
            )
            return redirect("account_login")
    context = {
        "form": form,
        "invitation": invitation,
        "person": invitation.person,
        "city": invitation.person.city,
        "existing_account": check.existing_account is not None,
    }
    return render(request, "stakeholders/invitations/accept.html", context)


def _refused(request, reason: RefusalReason):
    return render(
        request,
        "stakeholders/invitations/refused.html",
        {"reason": reason.value},
        status=_REFUSAL_STATUS.get(reason, 400),
    )
