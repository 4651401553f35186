"""The city's existing initiatives, who sits on them, and the groups folded into them.

Coordinators of the city and network staff only: who sits where is personal data.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from stakeholders.models import Person
from stakeholders.permissions import access_city_by_slug
from stakeholders.roles import viewer_for
from workinggroups import initiative_services as services
from workinggroups.civic_load import load_of, with_civic_load
from workinggroups.initiative_forms import (
    GroupInitiativesForm,
    InitiativeForm,
    PeopleSearchForm,
    SeatForm,
)
from workinggroups.models import ExistingInitiative, WorkingGroup
from workinggroups.permissions import access_group

SEARCH_RESULTS = 20


def access_initiative(request, initiative_id: int) -> ExistingInitiative:
    """Fetch an initiative to manage: 404 outside the viewer's cities, 403 for members of
    its city (they may see the city, not who sits where)."""
    viewer = viewer_for(request)
    initiative = ExistingInitiative.objects.select_related("city").filter(pk=initiative_id).first()
    if initiative is None or not viewer.can_view_city(initiative.city_id):
        raise Http404
    if not viewer.can_coordinate(initiative.city_id):
        raise PermissionDenied
    return initiative


@require_http_methods(["GET", "POST"])
def city_initiatives(request, slug: str):
    """List the city's existing initiatives; record a new one."""
    city = access_city_by_slug(request, slug, manage=True)
    form = InitiativeForm(request.POST if request.method == "POST" else None, city=city)
    if request.method == "POST" and form.is_valid():
        initiative = services.initiative_create(
            actor=request.user,
            city=city,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            request=request,
        )
        messages.success(request, _("The initiative is recorded."))
        return redirect("initiative_detail", initiative_id=initiative.pk)
    initiatives = (
        ExistingInitiative.objects.filter(city=city)
        .annotate(seat_count=Count("people", distinct=True))
        .prefetch_related(
            Prefetch("working_groups", queryset=WorkingGroup.objects.order_by("name"))
        )
        .order_by("name")
    )
    context = {"city": city, "initiatives": initiatives, "form": form}
    return render(request, "workinggroups/initiatives/city.html", context)


@require_http_methods(["GET"])
def initiative_detail(request, initiative_id: int):
    """Who sits on the initiative (with the load each carries), and a search to seat more."""
    initiative = access_initiative(request, initiative_id)
    seated = [
        (person, load_of(person))
        for person in with_civic_load(initiative.people.select_related("organisation")).order_by(
            "full_name"
        )
    ]
    search = PeopleSearchForm(request.GET or None)
    found = []
    if search.is_valid():
        found = [
            (person, load_of(person))
            for person in with_civic_load(
                Person.objects.filter(
                    city_id=initiative.city_id, full_name__icontains=search.cleaned_data["q"]
                ).exclude(initiatives=initiative)
            )
            .select_related("organisation", "sector")
            .order_by("full_name")[:SEARCH_RESULTS]
        ]
    context = {
        "initiative": initiative,
        "city": initiative.city,
        "seated": seated,
        "groups": initiative.working_groups.order_by("name"),
        "search": search,
        "found": found,
        "searched": search.is_bound,
    }
    return render(request, "workinggroups/initiatives/detail.html", context)


@require_POST
def initiative_people(request, initiative_id: int):
    """Seat one person on the initiative, or take them off; back to the initiative."""
    initiative = access_initiative(request, initiative_id)
    form = SeatForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person to seat or take off."))
    elif services.initiative_seat_change(
        actor=request.user,
        initiative_id=initiative.pk,
        person_id=form.cleaned_data["person"],
        seated=form.cleaned_data["seated"],
        request=request,
    ):
        messages.success(
            request,
            _("Seated on the initiative.")
            if form.cleaned_data["seated"]
            else _("Taken off the initiative."),
        )
    else:
        messages.info(request, _("Nothing changed."))
    url = reverse("initiative_detail", kwargs={"initiative_id": initiative.pk})
    query = request.POST.get("q", "").strip()
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode({"q": query[:100]})
    return redirect(url)


@require_http_methods(["GET", "POST"])
def group_initiatives(request, group_id: int):
    """Fold the group into existing initiatives of its city (lesson 4)."""
    group, _viewer = access_group(request, group_id, manage=True)
    initial = {"initiatives": list(group.initiatives.values_list("pk", flat=True))}
    form = GroupInitiativesForm(
        request.POST if request.method == "POST" else None, initial=initial, city=group.city
    )
    if request.method == "POST" and form.is_valid():
        changed = services.group_initiatives_set(
            actor=request.user,
            group_id=group.pk,
            initiative_ids=[i.pk for i in form.cleaned_data["initiatives"]],
            request=request,
        )
        messages.success(request, _("Saved.") if changed else _("Nothing changed."))
        return redirect("group_initiatives", group_id=group.pk)
    context = {"group": group, "city": group.city, "form": form}
    return render(request, "workinggroups/initiatives/group.html", context)
