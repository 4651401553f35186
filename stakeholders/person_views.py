"""A person's own data (download) and its erasure by network staff."""

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders import services
from stakeholders.forms import OwnDetailsForm
from stakeholders.models import Person
from stakeholders.permissions import require_network_staff
from stakeholders.person_data import person_data


@require_http_methods(["GET", "POST"])
def my_details(request):
    """A person keeps their own contact details and consent up to date."""
    person = request.user.person
    if person is None:
        raise Http404
    form = OwnDetailsForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        if services.person_update_own_details(actor=request.user, person=person, form=form):
            messages.success(request, _("Your details are saved."))
        return redirect("my_details")
    return render(request, "stakeholders/my_details.html", {"form": form, "person": person})


@require_GET
def my_data(request):
    """Download everything the portal holds about the signed-in person, as JSON."""
    person = request.user.person
    if person is None:
        raise Http404
    data = person_data(person)
    audit_record(
        actor=request.user,
        action=AuditAction.PERSON_EXPORTED,
        request=request,
        city=person.city,
        target=person,
    )
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    return response


@require_http_methods(["GET", "POST"])
def person_erase(request, person_id: int):
    """Staff erase a person: GET asks for confirmation, POST erases."""
    require_network_staff(request)
    person = get_object_or_404(Person.objects.select_related("city"), pk=person_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "erase":
            messages.error(request, _("Tick the box to confirm the erasure."))
            return render(request, "stakeholders/person_erase.html", {"person": person})
        city = person.city
        services.person_erase(actor=request.user, person=person, request=request)
        messages.success(request, _("The person's data has been erased."))
        return redirect("city_detail", slug=city.slug)
    return render(request, "stakeholders/person_erase.html", {"person": person})
