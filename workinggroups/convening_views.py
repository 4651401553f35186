"""Convening pages: schedule, edit, cancel, invite, answer; series; the terminology check."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stakeholders.models import Leg
from workinggroups import convening_services as services
from workinggroups.civic_load import civic_loads
from workinggroups.convening_forms import AnswerForm, ConveningForm, InviteForm, SeriesForm
from workinggroups.models import (
    ActionItem,
    Attendance,
    ConveningMessage,
    InvitationResponse,
    MessageStatus,
)
from workinggroups.permissions import (
    access_convening,
    access_group,
    access_own_invitation,
    access_series,
)
from workinggroups.rsvp_services import (
    ANSWERS,
    AnswerRefused,
    RefusalReason,
    invitation_answer_locked,
    own_invitation_answer_at_once,
)


@require_http_methods(["GET", "POST"])
def convening_create(request, group_id: int):
    group, _viewer = access_group(request, group_id, manage=True)
    zone = group.city.zone
    form = ConveningForm(
        request.POST if request.method == "POST" else None, zone=zone, city=group.city
    )
    if request.method == "POST" and form.is_valid():
        convening = services.convening_schedule(
            actor=request.user, group=group, details=form.details()
        )
        messages.success(request, _("The convening is scheduled. Invite people next."))
        _after_save_notes(request, form, convening.title, convening.agenda)
        return redirect("convening_invite", convening_id=convening.pk)
    return _form_page(request, form, group=group, heading=_("Schedule a convening"))


@require_http_methods(["GET", "POST"])
def convening_edit(request, convening_id: int):
    convening, _viewer = access_convening(request, convening_id, manage=True)
    zone = convening.group.city.zone
    if request.method == "POST":
        form = ConveningForm(request.POST, zone=zone, city=convening.group.city)
    else:
        form = ConveningForm(
            initial=ConveningForm.initial_from(convening, zone),
            zone=zone,
            city=convening.group.city,
        )
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.convening_update(
                actor=request.user, convening_id=convening.pk, details=form.details()
            )
        except services.ConveningNotChangeable as error:
            messages.error(request, error.message)
            return redirect("convening_detail", convening_id=convening.pk)
        if updated.sequence != convening.sequence:
            messages.success(
                request, _("Saved. Everyone invited is told of the new time or place.")
            )
        else:
            messages.success(request, _("Saved."))
        _after_save_notes(request, form, updated.title, updated.agenda)
        return redirect("convening_detail", convening_id=convening.pk)
    return _form_page(
        request,
        form,
        group=convening.group,
        convening=convening,
        heading=_("Change “%(title)s”") % {"title": convening.title},
    )


def _after_save_notes(request, form, title: str, agenda: str) -> None:
    for note in form.notes:
        messages.info(request, note)
    for text in services.terminology_messages(services.convening_words(title=title, agenda=agenda)):
        messages.warning(request, text)


def _form_page(request, form, *, group, heading, convening=None, series=None):
    context = {
        "form": form,
        "group": group,
        "city": group.city,
        "convening": convening,
        "series": series,
        "heading": heading,
    }
    return render(request, "workinggroups/convenings/form.html", context)


@require_GET
def convening_detail(request, convening_id: int):
    convening, viewer = access_convening(request, convening_id)
    can_manage = viewer.can_coordinate(convening.group.city_id)
    own = None
    if viewer.user.person_id:
        own = convening.invitations.filter(person_id=viewer.user.person_id).first()
    counts = convening.invitations.aggregate(
        invited=Count("pk"),
        seated=Count("pk", filter=Q(response="yes", waitlisted_at__isnull=True)),
        waiting=Count("pk", filter=Q(waitlisted_at__isnull=False)),
        no=Count("pk", filter=Q(response="no")),
        maybe=Count("pk", filter=Q(response="maybe")),
        pending=Count("pk", filter=Q(response="pending")),
    )
    came = dict(
        Attendance.objects.filter(convening=convening)
        .values_list("leg")
        .annotate(n=Count("pk"))
        .values_list("leg", "n")
    )
    attendance = [
        {"leg": leg.value, "label": leg.label, "count": came.get(leg.value, 0)} for leg in Leg
    ]
    context = {
        "convening": convening,
        "group": convening.group,
        "city": convening.group.city,
        "can_manage": can_manage,
        "own": own,
        "answer_open": convening.starts_at > timezone.now()
        and convening.status == convening.Status.SCHEDULED,
        "counts": counts,
        "invitations": (
            convening.invitations.select_related("person").order_by(
                "person__leg", "person__full_name"
            )
            if can_manage
            else None
        ),
        "attendance": attendance,
        "attendance_taken": bool(came),
        "mail": _mail_summary(convening) if can_manage else None,
        "missing_legs": [row["label"] for row in attendance if not row["count"]],
        # Lesson: open action items carry into the next convening's agenda.
        "open_items": ActionItem.objects.filter(group=convening.group, done_at__isnull=True)
        .select_related("owner")
        .order_by("due_on", "created_at")[:50],
        "answer_form": AnswerForm(initial={"answer": own.response} if own else None),
    }
    return render(request, "workinggroups/convenings/detail.html", context)


@require_POST
def convening_cancel(request, convening_id: int):
    convening, _viewer = access_convening(request, convening_id, manage=True)
    if request.POST.get("confirm") != "cancel":
        messages.error(request, _("Tick the box to confirm the cancellation."))
        return redirect("convening_detail", convening_id=convening.pk)
    try:
        services.convening_cancel(actor=request.user, convening_id=convening.pk)
    except services.ConveningNotChangeable as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The convening is cancelled. Everyone invited is told."))
    return redirect("convening_detail", convening_id=convening.pk)


@require_http_methods(["GET", "POST"])
def convening_invite(request, convening_id: int):
    """Choose whom to invite, see the warnings (missing legs, words), then confirm.

    A first POST previews; the warnings are shown there, before anything is sent. A POST
    with confirm=1 sends. Warnings never block.
    """
    convening, _viewer = access_convening(request, convening_id, manage=True)
    members = list(
        services.invitable_people(convening.group)
        .select_related("sector")
        .order_by("leg", "full_name")
    )
    form = InviteForm(request.POST if request.method == "POST" else None, members=members)
    already = set(convening.invitations.values_list("person_id", flat=True))
    preview = None
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen()
        if request.POST.get("confirm") == "1":
            try:
                new = services.invitations_send(
                    actor=request.user,
                    convening_id=convening.pk,
                    person_ids=[p.pk for p in chosen],
                )
            except services.ConveningNotChangeable as error:
                messages.error(request, error.message)
                return redirect("convening_detail", convening_id=convening.pk)
            messages.success(
                request,
                _("%(count)s invitation(s) sent; people already invited were left as they were.")
                % {"count": len(new)},
            )
            return redirect("convening_detail", convening_id=convening.pk)
        new_people = [p for p in chosen if p.pk not in already]
        # Lesson 4 (civic fatigue): say who is already stretched before one more
        # invitation goes out. A warning, never a block.
        loads = civic_loads(p.pk for p in new_people)
        preview = {
            "new": new_people,
            "already": [p for p in chosen if p.pk in already],
            "warnings": services.invitation_warnings(convening, chosen).messages,
            "stretched": [(p, loads[p.pk]) for p in new_people if loads[p.pk].is_stretched],
        }
    context = {
        "convening": convening,
        "group": convening.group,
        "city": convening.group.city,
        "form": form,
        "preview": preview,
        "already_count": len(already),
    }
    return render(request, "workinggroups/convenings/invite.html", context)


@require_POST
def convening_answer(request, convening_id: int):
    """A signed-in member answers their own invitation from their home page."""
    back = (
        reverse("convening_detail", args=[convening_id])
        if request.POST.get("back") == "detail"
        else reverse("home")
    )
    answer = request.POST.get("answer")
    person_id = request.user.person_id
    # The common answer, to a convening of the person's own city, in one query (the answer
    # checked as AnswerForm would: one of its choices); the rest (another scope, a seat to
    # take or free, answers closed, a bad answer) goes the long way below.
    if person_id and answer in ANSWERS:
        result = own_invitation_answer_at_once(
            convening_id=convening_id, person_id=person_id, answer=answer, actor=request.user
        )
        if result is not None:
            messages.success(request, answer_message(result))
            return HttpResponseRedirect(back)
    invitation, _viewer = access_own_invitation(request, convening_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose yes, no or maybe."))
        return HttpResponseRedirect(back)
    try:
        result = invitation_answer_locked(
            invitation_id=invitation.pk,
            person_id=invitation.person_id,
            answer=form.cleaned_data["answer"],
            actor=request.user,
        )
    except AnswerRefused as refusal:
        messages.error(request, refusal_message(refusal.reason))
        return HttpResponseRedirect(back)
    messages.success(request, answer_message(result))
    return HttpResponseRedirect(back)


# The answers' labels, looked up without the model's choices machinery (Invitation's
# get_response_display): a hot path, one POST per answer.
_ANSWER_LABELS = dict(InvitationResponse.choices)


def answer_message(result) -> str:
    title = result.invitation.convening.title
    if result.waitlisted:
        return _(
            "Thank you. “%(title)s” is full, so you are on the waitlist: you will be told "
            "if a seat frees up."
        ) % {"title": title}
    return _("Thank you: your answer to “%(title)s” is “%(answer)s”.") % {
        "title": title,
        "answer": _ANSWER_LABELS.get(result.invitation.response, result.invitation.response),
    }


def refusal_message(reason: RefusalReason) -> str:
    return {
        RefusalReason.CANCELLED: _("This convening is cancelled."),
        RefusalReason.STARTED: _(
            "This convening has started: answers can be changed only until the start."
        ),
        RefusalReason.ENDED: _("This convening is over."),
    }.get(reason, _("This invitation cannot be answered."))


@require_GET
def convening_terminology(request, group_id: int):
    """As the coordinator types: the words lesson 6 advises against, with suggestions
    (an htmx fragment; a plain page without htmx)."""
    access_group(request, group_id, manage=True)
    words = services.convening_words(
        title=request.GET.get("title", "")[:200], agenda=request.GET.get("agenda", "")[:20000]
    )
    context = {"terminology": services.terminology_messages(words)}
    return render(request, "workinggroups/convenings/_terminology.html", context)


@require_http_methods(["GET", "POST"])
def series_create(request, group_id: int):
    group, _viewer = access_group(request, group_id, manage=True)
    form = SeriesForm(request.POST if request.method == "POST" else None, zone=group.city.zone)
    if request.method == "POST" and form.is_valid():
        series = services.series_schedule(actor=request.user, group=group, details=form.details())
        count = series.occurrences.count()
        messages.success(
            request,
            _("The series is scheduled: %(count)s convening(s) in the next twelve months.")
            % {"count": count},
        )
        _after_save_notes(request, form, series.title, series.agenda)
        return redirect("group_detail", group_id=group.pk)
    return _form_page(request, form, group=group, heading=_("Schedule a recurring convening"))


@require_http_methods(["GET", "POST"])
def series_edit(request, series_id: int):
    series, _viewer = access_series(request, series_id)
    zone = series.group.city.zone
    if request.method == "POST":
        form = SeriesForm(request.POST, zone=zone)
    else:
        form = SeriesForm(initial=SeriesForm.initial_from(series, zone), zone=zone)
    if request.method == "POST" and form.is_valid():
        services.series_update(actor=request.user, series_id=series.pk, details=form.details())
        messages.success(
            request,
            _(
                "The series is saved. Future convenings follow it, except those changed or "
                "cancelled on their own."
            ),
        )
        _after_save_notes(request, form, form.cleaned_data["title"], form.cleaned_data["agenda"])
        return redirect("group_detail", group_id=series.group_id)
    return _form_page(
        request,
        form,
        group=series.group,
        series=series,
        heading=_("Change the series “%(title)s”") % {"title": series.title},
    )


def _mail_summary(convening):
    """What the outbound ledger did for this convening, with every failure and its reason,
    so the coordinator can reach those people another way."""
    by_status = dict(
        ConveningMessage.objects.filter(convening=convening)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    problems = (
        ConveningMessage.objects.filter(
            convening=convening, status__in=[MessageStatus.FAILED, MessageStatus.MISSED]
        )
        .select_related("person")
        .order_by("person__full_name", "kind")
    )
    return {
        "sent": by_status.get(MessageStatus.SENT, 0),
        "waiting": by_status.get(MessageStatus.PENDING, 0)
        + by_status.get(MessageStatus.SENDING, 0),
        "problems": list(problems),
    }
