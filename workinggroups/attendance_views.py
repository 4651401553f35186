"""Taking attendance on a phone, writing the minutes, recording action items."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from workinggroups import attendance_services as services
from workinggroups.attendance_forms import ActionItemForm, AttendanceForm
from workinggroups.convening_services import ConveningNotChangeable, invitable_people
from workinggroups.models import ActionItem
from workinggroups.permissions import access_convening


@require_http_methods(["GET", "POST"])
def convening_attendance(request, convening_id: int):
    convening, _viewer = access_convening(request, convening_id, manage=True)
    people = list(services.attendance_people(convening))
    present = set(convening.attendances.values_list("person_id", flat=True))
    if request.method == "POST":
        form = AttendanceForm(request.POST, people=people)
    else:
        form = AttendanceForm(
            initial={"present": sorted(present), "minutes": convening.minutes}, people=people
        )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.attendance_record(
                actor=request.user,
                convening_id=convening.pk,
                person_ids=[p.pk for p in form.cleaned_data["present"]],
                minutes=form.cleaned_data["minutes"],
            )
        except ConveningNotChangeable as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Attendance saved: %(count)s present.") % {"count": len(saved)}
            )
            return redirect("convening_detail", convening_id=convening.pk)
    context = {
        "convening": convening,
        "group": convening.group,
        "city": convening.group.city,
        "form": form,
        "item_form": ActionItemForm(members=invitable_people(convening.group)),
    }
    return render(request, "workinggroups/convenings/attendance.html", context)


@require_POST
def action_item_create(request, convening_id: int):
    convening, _viewer = access_convening(request, convening_id, manage=True)
    form = ActionItemForm(request.POST, members=invitable_people(convening.group))
    if form.is_valid():
        owner = form.cleaned_data["owner"]
        try:
            services.action_item_add(
                actor=request.user,
                convening_id=convening.pk,
                description=form.cleaned_data["description"],
                owner_id=owner.pk if owner else None,
                due_on=form.cleaned_data["due_on"],
            )
        except ConveningNotChangeable as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Action item added; it stays open until done."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("convening_detail", convening_id=convening.pk)


@require_POST
def action_item_done(request, convening_id: int, item_id: int):
    convening, _viewer = access_convening(request, convening_id, manage=True)
    if not ActionItem.objects.filter(pk=item_id, group_id=convening.group_id).exists():
        raise Http404
    services.action_item_done(actor=request.user, item_id=item_id)
    messages.success(request, _("Action item marked done."))
    return redirect("convening_detail", convening_id=convening.pk)
