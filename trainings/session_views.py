"""Training session pages: schedule, show and change a session; what people learned (results
per session, module and city; individual answers for network staff only)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from stakeholders.permissions import access_city_by_slug
from stakeholders.roles import viewer_for
from trainings import results_selectors as results
from trainings import session_services as services
from trainings.models import TrainingModule, TrainingSession
from trainings.session_forms import TrainingSessionEditForm, TrainingSessionForm
from workinggroups.convening_services import convening_words, terminology_messages
from workinggroups.permissions import access_convening, access_group

_ORDERED_MODULES = Prefetch("modules", queryset=TrainingModule.objects.order_by("title", "pk"))


def _access_session(request, session_id: int, *, manage: bool = False):
    """Fetch a session through its convening's rules: members of the group (and those
    invited) see it, coordinators of the city and staff manage it; others get a 404."""
    session = (
        TrainingSession.objects.select_related("trainer")
        .prefetch_related(_ORDERED_MODULES)
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Http404
    convening, viewer = access_convening(request, session.convening_id, manage=manage)
    session.convening = convening  # with its group and city already joined
    return session, viewer


@require_http_methods(["GET", "POST"])
def training_session_create(request, group_id: int):
    group, _viewer = access_group(request, group_id, manage=True)
    form = TrainingSessionForm(
        request.POST if request.method == "POST" else None, zone=group.city.zone, city=group.city
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.training_session_schedule(
                actor=request.user,
                group=group,
                details=form.details(),
                modules=list(data["modules"]),
                trainer=data["trainer"],
                trainer_name=data["trainer_name"],
            )
        except services.TrainingSessionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The training session is scheduled. Invite people next."))
            for note in form.notes:
                messages.info(request, note)
            convening = session.convening
            words = convening_words(title=convening.title, agenda=convening.agenda)
            for text in terminology_messages(words):
                messages.warning(request, text)
            return redirect("convening_invite", convening_id=convening.pk)
    context = {
        "form": form,
        "group": group,
        "city": group.city,
        "heading": _("Schedule a training session"),
    }
    return render(request, "trainings/sessions/form.html", context)


@require_GET
def training_session(request, session_id: int):
    session, viewer = _access_session(request, session_id)
    convening = session.convening
    can_manage = viewer.can_coordinate(convening.group.city_id)
    modules = list(session.modules.all())
    context = {
        "session": session,
        "convening": convening,
        "group": convening.group,
        "city": convening.group.city,
        "modules": modules,
        "objectives": services.objectives_of(modules),
        "can_manage": can_manage,
        "is_staff": viewer.is_network_staff,
        "assessments": services.assessment_counts(session) if can_manage else None,
    }
    return render(request, "trainings/sessions/detail.html", context)


@require_http_methods(["GET", "POST"])
def training_session_edit(request, session_id: int):
    session, _viewer = _access_session(request, session_id, manage=True)
    if request.method == "POST":
        form = TrainingSessionEditForm(request.POST)
    else:
        form = TrainingSessionEditForm(session=session)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.training_session_update(
                actor=request.user,
                session_id=session.pk,
                modules=list(data["modules"]),
                trainer=data["trainer"],
                trainer_name=data["trainer_name"],
            )
        except services.TrainingSessionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("training_session", session_id=session.pk)
    convening = session.convening
    context = {
        "form": form,
        "session": session,
        "convening": convening,
        "group": convening.group,
        "city": convening.group.city,
        "heading": _("Change what “%(title)s” covers") % {"title": convening.title},
    }
    return render(request, "trainings/sessions/edit.html", context)


@require_GET
def training_session_results(request, session_id: int):
    session, viewer = _access_session(request, session_id, manage=True)
    sessions = TrainingSession.objects.filter(pk=session.pk)
    context = {
        "session": session,
        "convening": session.convening,
        "group": session.convening.group,
        "city": session.convening.group.city,
        "results": results.assessment_results(sessions),
        "is_staff": viewer.is_network_staff,
    }
    return render(request, "trainings/sessions/results.html", context)


@require_GET
def training_session_answers(request, session_id: int):
    """Each person's answers: network staff only (403 to those who see the session)."""
    session, viewer = _access_session(request, session_id)
    if not viewer.is_network_staff:
        raise PermissionDenied
    objectives = services.objectives_of(list(session.modules.all()))
    answers = results.session_answers(session)
    rows = [
        (answer, [answer.confidence.get(str(o.position)) for o in objectives]) for answer in answers
    ]
    context = {
        "session": session,
        "convening": session.convening,
        "group": session.convening.group,
        "city": session.convening.group.city,
        "objectives": objectives,
        "rows": rows,
    }
    return render(request, "trainings/sessions/answers.html", context)


@require_GET
def training_module_results(request, slug: str):
    """A module's results over every session that covered it: all of them for staff, their
    own cities' for coordinators; 403 to everyone else."""
    module = get_object_or_404(TrainingModule, slug=slug)
    viewer = viewer_for(request)
    sessions = TrainingSession.objects.filter(modules=module)
    if not viewer.is_network_staff:
        if not viewer.coordinated_city_ids:
            raise PermissionDenied
        sessions = sessions.filter(convening__group__city_id__in=viewer.coordinated_city_ids)
    context = {
        "module": module,
        "results": results.assessment_results(sessions, module=module),
        "sessions": results.sessions_with_answer_counts(sessions),
        "scope_all": viewer.is_network_staff,
    }
    return render(request, "trainings/sessions/module_results.html", context)


@require_GET
def city_training_results(request, slug: str):
    """A city's results over its training sessions: its coordinators and staff (403 to its
    members, 404 to everyone else)."""
    city = access_city_by_slug(request, slug, manage=True)
    sessions = TrainingSession.objects.filter(convening__group__city=city)
    context = {
        "city": city,
        "results": results.assessment_results(sessions),
        "sessions": results.sessions_with_answer_counts(sessions),
    }
    return render(request, "trainings/sessions/city_results.html", context)
