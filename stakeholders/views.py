from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from briefings.request_selectors import briefing_suggestion_for
from stakeholders import city_cards, selectors, services
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
        context["cities"] = cities = _with_legs(
            selectors.cities_with_leg_counts({city.pk for city in page.object_list})
        )
        context["city_cards"] = city_cards.render_cards(cities)
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
    upcoming = list(group_selectors.upcoming_convenings_of_city(city))
    groups = [
        (group, selectors.legs_from_annotations(group))
        for group in group_selectors.groups_of_city(city)
    ]
    context = {
        "city": city,
        "legs": selectors.legs_from_annotations(city),
        "groups": groups,
        # Drawn in Python (city_cards), as the homes' city cards are.
        "group_cards": city_cards.render_group_cards(groups),
        "upcoming": upcoming,
        "upcoming_items": city_cards.render_upcoming_items(upcoming, city.time_zone),
        "can_coordinate": viewer.can_coordinate(city.pk),
        "reminders_text": ", ".join(str(m) for m in city.reminder_offsets_minutes),
        # Lesson 7: a landscape briefing at the start of training, then on request.
        "briefing_suggestion": (
            briefing_suggestion_for(city) if viewer.can_coordinate(city.pk) else None
        ),
    }
    return render(request, "stakeholders/city_detail.html", context)


def _with_legs(cities) -> list:
    """The cities with their legs counted (.legs) and their home-page card (.card_html)."""
    cities = list(cities)
    for city in cities:
        city.legs = selectors.legs_from_annotations(city)
    city_cards.attach_cards(cities)
    return cities


@require_POST
def city_reminders(request, slug: str):
    """The coordinator sets the city's usual reminder times."""
    from workinggroups.convening_forms import CityRemindersForm

    city = access_city_by_slug(request, slug, manage=True)
    form = CityRemindersForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reminders"]))
    elif services.city_set_reminder_offsets(
        actor=request.user, city=city, offsets=form.cleaned_data["reminders"], request=request
    ):
        messages.success(request, _("The city's reminder times are saved."))
    return redirect("city_detail", slug=city.slug)
