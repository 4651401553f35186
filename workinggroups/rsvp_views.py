"""The RSVP link from an invitation: it works without signing in.

GET only shows the convening and the answer buttons (mail scanners open every link, and
must not answer for anyone); POST records the answer. A link that cannot be used gets a
page that says why, with 400 (forged, altered, someone else's) or 410 (over, cancelled).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from workinggroups.convening_forms import AnswerForm
from workinggroups.convening_views import answer_message
from workinggroups.models import Invitation
from workinggroups.rsvp_services import (
    ANSWERS,
    AnswerRefused,
    RefusalReason,
    answer_window_refusal,
    invitation_answer,
)
from workinggroups.rsvp_tokens import read_rsvp_token


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def rsvp(request, token: str):
    claim = read_rsvp_token(token)
    if claim is None:
        return _refused(request, "invalid")
    invitation_id, person_id = claim
    form = None
    if request.method == "POST":
        answer = request.POST.get("answer")
        # The common case goes straight to the service, whose one UPDATE (or locked read)
        # finds the convening: no page to render, no form to build (the answer checked as
        # AnswerForm would: one of its choices), so nothing else to load.
        if answer in ANSWERS and not _signed_in_as_someone_else(request, person_id):
            try:
                result = invitation_answer(
                    invitation_id=invitation_id,
                    person_id=person_id,
                    answer=answer,
                    actor=request.user,
                )
            except AnswerRefused as error:
                if error.reason != RefusalReason.STARTED:  # started: the page says so, below
                    return _refused(request, error.reason.value, convening=error.convening)
            else:
                messages.success(request, answer_message(result))
                # Post/redirect/get: reloading the page does not answer again.
                return HttpResponseRedirect(request.path)
        form = AnswerForm(request.POST)
    return _page(request, invitation_id, person_id, form)


def _signed_in_as_someone_else(request, person_id: int) -> bool:
    return request.user.is_authenticated and request.user.person_id != person_id


def _page(request, invitation_id: int, person_id: int, form):
    """The convening and the answer buttons; for a POST, the form's errors or why no answer
    is taken now (410)."""
    invitation = (
        Invitation.objects.select_related("convening__group__city", "person")
        .filter(pk=invitation_id, person_id=person_id)
        .first()
    )
    if invitation is None:
        return _refused(request, "invalid")
    # A forwarded link opened by someone signed in as another person answers for no one.
    if _signed_in_as_someone_else(request, person_id):
        return _refused(request, "other_person")
    convening = invitation.convening
    refusal = answer_window_refusal(convening)
    if refusal in (RefusalReason.CANCELLED, RefusalReason.ENDED):
        return _refused(request, refusal.value, convening=convening)
    if form is None:
        wanted = request.GET.get("answer")
        preselect = wanted if wanted in ("yes", "no", "maybe") else None
        if preselect is None and invitation.response != "pending":
            preselect = invitation.response
        form = AnswerForm(initial={"answer": preselect} if preselect else None)
    context = {
        "invitation": invitation,
        "convening": convening,
        "city": convening.group.city,
        "form": form,
        "answer_open": refusal is None,
        "now": timezone.now(),
    }
    status = 410 if request.method == "POST" and refusal is not None else 200
    return render(request, "workinggroups/rsvp/answer.html", context, status=status)


def _refused(request, reason: str, convening=None):
    status = 400 if reason in ("invalid", "other_person") else 410
    context = {"reason": reason, "convening": convening}
    return render(request, "workinggroups/rsvp/refused.html", context, status=status)
