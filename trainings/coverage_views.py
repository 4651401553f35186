"""Training coverage pages: one city's (its coordinators and network staff) and every
city's (network staff).

The city page names the members not yet trained: coordinators manage them, so names are
fine there. A member of the city sees the city but not this page (403); another city's
coordinator does not see the city at all (404). The network page is for staff only (404 to
everyone else). Both read their numbers from trainings.coverage_selectors in a constant
number of queries.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from stakeholders.models import City, Leg
from stakeholders.permissions import access_city_by_slug, require_network_staff
from trainings import coverage_selectors as selectors
from trainings.coverage_rows import render_city_rows

# The network counts hundreds of cities; a page of fifty keeps the overview quick to read.
CITIES_PER_PAGE = 50


def _lagging(coverage: selectors.CityCoverage) -> list[dict]:
    return [
        {
            "leg": leg,
            "why": selectors.lag_sentence(leg, coverage),
            "advice": selectors.leg_advice(leg.leg),
        }
        for leg in coverage.lagging_legs
    ]


@require_GET
def city_training_coverage(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    coverage = selectors.city_coverage(city)
    context = {
        "city": city,
        "coverage": coverage,
        "legs": coverage.legs,
        "foundational": [row for row in coverage.modules if row.module.is_foundational],
        "other_modules": [row for row in coverage.modules if not row.module.is_foundational],
        "lagging": _lagging(coverage),
        "lag_relative": int(selectors.LAG_RELATIVE * 100),
        "lag_floor": int(selectors.LAG_FLOOR * 100),
    }
    return render(request, "trainings/coverage/city.html", context)


@require_GET
def training_coverage(request):
    require_network_staff(request)
    lagging_only = request.GET.get("lagging") == "1"
    number = request.GET.get("page")
    if lagging_only:
        # Which cities lag is known only once their coverage is counted, so count every
        # city (a few grouped queries in all) and page over the ones that lag.
        every = selectors.coverage_for_cities(
            City.objects.values_list("pk", flat=True), foundational_only=True
        )
        found = {pk: coverage for pk, coverage in every.items() if coverage.lagging_legs}
        cities = City.objects.filter(pk__in=list(found)).order_by("name", "pk")
        page = Paginator(cities, CITIES_PER_PAGE).get_page(number)
        coverage = found
    else:
        # Page over plain cities first, then count coverage for that page only.
        page = Paginator(City.objects.order_by("name", "pk"), CITIES_PER_PAGE).get_page(number)
        coverage = selectors.coverage_for_cities(
            [city.pk for city in page.object_list], foundational_only=True
        )
    context = {
        "page": page,
        # Written in Python (trainings/coverage_rows.py): the template loop was half the
        # page's time. Empty when the page has no city.
        "city_rows": render_city_rows(page.object_list, coverage),
        "leg_labels": [str(leg.label) for leg in Leg],
        "lagging_only": lagging_only,
        "query": "lagging=1" if lagging_only else "",
        "lag_relative": int(selectors.LAG_RELATIVE * 100),
        "lag_floor": int(selectors.LAG_FLOOR * 100),
    }
    return render(request, "trainings/coverage/network.html", context)
