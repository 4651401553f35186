from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from stakeholders import selectors
from stakeholders.models import City
from stakeholders.permissions import access_city_by_slug
from stakeholders.roles import viewer_for
from workinggroups import selectors as group_selectors

# The network counts hundreds of cities; a page of fifty keeps the overview quick to read.
CITIES_PER_PAGE = 50


@require_GET
def home(request):
    """Each role lands on what it needs first: staff all cities, coordinators their city,
    members their upcoming convenings."""
    viewer = viewer_for(request)
    context = {"viewer": viewer}
    if viewer.is_network_staff:
        # Page over plain cities first, then count legs for that page only: aggregating
        # every city before the LIMIT cost 200 ms at 1,000 cities (make bench).
        page = Paginator(City.objects.order_by("name"), CITIES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        context["page"] = page
        context["cities"] = _with_legs(
            selectors.cities_with_leg_counts({city.pk for city in page.object_list})
        )
        return render(request, "stakeholders/home_staff.html", context)
    if viewer.is_coordinator:
        context["cities"] = _with_legs(
            selectors.cities_with_leg_counts(viewer.coordinated_city_ids)
        )
        return render(request, "stakeholders/home_coordinator.html", context)
    if viewer.is_member:
        person = request.user.person
        context["person"] = person
        context["invitations"] = group_selectors.upcoming_invitations_of_person(person)
        # Answers can be changed until the start; the page hides the buttons after it.
        context["now"] = timezone.now()
        return render(request, "stakeholders/home_member.html", context)
    return render(request, "stakeholders/home_unlinked.html", context)


@require_GET
def account(request):
    """One place for a person's own account: address, password, two-factor, sessions."""
    return render(request, "stakeholders/account.html", {"viewer": viewer_for(request)})


@require_GET
def city_detail(request, slug: str):
    city = access_city_by_slug(request, slug, queryset=selectors.cities_with_leg_counts())
    viewer = viewer_for(request)
    context = {
        "city": city,
        "legs": selectors.legs_from_annotations(city),
        "groups": [
            (group, selectors.legs_from_annotations(group))
            for group in group_selectors.groups_of_city(city)
        ],
        "upcoming": group_selectors.upcoming_convenings_of_city(city),
        "can_coordinate": viewer.can_coordinate(city.pk),
    }
    return render(request, "stakeholders/city_detail.html", context)


def _with_legs(cities) -> list:
    cities = list(cities)
    for city in cities:
        city.legs = selectors.legs_from_annotations(city)
    return cities
