"""The self-assessment link from the mail: it works without signing in.

GET only shows the form (mail scanners open every link and must not answer for anyone);
POST records the answers, once. As with the RSVP link (workinggroups.rsvp_views), a link
that cannot be used gets a page that says why and changes nothing: 400 when forged, altered
or opened signed in as someone else; 410 when the answers have closed or the session was
cancelled; 409 when answers were already recorded and someone sends them again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from trainings import session_services as services
from trainings.assessment_forms import AssessmentForm
from trainings.assessment_tokens import read_assessment_token
from trainings.models import AssessmentRequest, TrainingModule

STATUS = {
    services.GONE: 400,
    "other_person": 400,
    services.CANCELLED: 410,
    services.CLOSED: 410,
    services.ANSWERED: 409,
}


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def training_assessment(request, token: str):
    assessment_id = read_assessment_token(token)
    assessment = None
    if assessment_id is not None:
        assessment = (
            AssessmentRequest.objects.select_related("person", "session__convening__group__city")
            .filter(pk=assessment_id)
            .first()
        )
    if assessment is None or assessment.person_id is None:
        return _refused(request, services.GONE)
    # A forwarded link opened by someone signed in as another person answers for no one.
    if request.user.is_authenticated and request.user.person_id != assessment.person_id:
        return _refused(request, "other_person")
    session = assessment.session
    modules = list(TrainingModule.objects.filter(sessions=session).order_by("title", "pk"))
    objectives = services.objectives_of(modules)
    refusal = services.assessment_refusal(assessment, now=timezone.now())
    if refusal == services.ANSWERED and request.method == "GET":
        return _page(request, assessment, modules, form=None, done=True)
    if refusal is not None:
        return _refused(request, refusal, assessment=assessment)
    form = AssessmentForm(request.POST if request.method == "POST" else None, objectives=objectives)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_answer(
                actor=request.user,
                assessment_id=assessment.pk,
                confidence=form.confidence(),
                comments=form.cleaned_data["comments"],
            )
        except services.AssessmentRefused as error:
            # Another submission won the race, or the answers closed meanwhile.
            return _refused(request, error.reason, assessment=assessment)
        messages.success(request, _("Thank you: your answers are recorded."))
        # Post/redirect/get: reloading the page does not send the answers again.
        return redirect(request.path)
    return _page(request, assessment, modules, form=form, done=False)


def _page(request, assessment, modules, *, form, done: bool):
    convening = assessment.session.convening
    context = {
        "assessment": assessment,
        "session": assessment.session,
        "convening": convening,
        "city": convening.group.city,
        "modules": modules,
        "form": form,
        "done": done,
    }
    return render(request, "trainings/assessments/form.html", context)


def _refused(request, reason: str, assessment=None):
    context = {
        "reason": reason,
        "assessment": assessment,
        "convening": assessment.session.convening if assessment else None,
        "city": assessment.session.convening.group.city if assessment else None,
    }
    return render(
        request, "trainings/assessments/refused.html", context, status=STATUS.get(reason, 400)
    )
