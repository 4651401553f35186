"""Four-leg balance pages (lessons 1 and 5) and the seat-gap page (lessons 3 and 4).

Members of a group see its balance: aggregate counts only, no names. Suggestions of people
from the directory and everyone's civic load are personal data, so the seat-gap page is
for the city's coordinators and network staff.
"""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from stakeholders.permissions import access_city_by_slug
from stakeholders.roles import viewer_for
from workinggroups import balance as selectors
from workinggroups.balance_svg import balance_svg, tie_text
from workinggroups.civic_load import STRETCHED_ABOVE, UPCOMING_DAYS
from workinggroups.models import WorkingGroup
from workinggroups.permissions import access_group
from workinggroups.seat_gaps import GROUP_SIZE_MAX, GROUP_SIZE_MIN, member_loads, seat_gaps

# The spans a coordinator may judge participation over (number of last held convenings).
SPANS = (3, 6, 12)


def _span(request) -> int:
    try:
        value = int(request.GET.get("last", selectors.RECENT_CONVENINGS))
    except ValueError:
        return selectors.RECENT_CONVENINGS
    return value if value in SPANS else selectors.RECENT_CONVENINGS


@require_GET
def group_balance(request, group_id: int):
    group, viewer = access_group(request, group_id)
    last = _span(request)
    balance = selectors.group_balance(group, last=last)
    context = {
        "group": group,
        "city": group.city,
        "balance": balance,
        "svg": balance_svg(
            balance,
            title=_("Four-leg balance of %(name)s") % {"name": group.name},
            id_prefix="stool-group",
        ),
        "ties": [(tie, tie_text(tie)) for tie in balance.ties],
        "recent": selectors.recent_attendance(group, last=last),
        "initiatives": list(group.initiatives.order_by("name").values_list("name", flat=True)),
        "can_manage": viewer.can_coordinate(group.city_id),
        "last": last,
        "spans": SPANS,
    }
    return render(request, "workinggroups/balance/group.html", context)


@require_GET
def city_balance(request, slug: str):
    city = access_city_by_slug(request, slug)
    viewer = viewer_for(request)
    last = _span(request)
    groups = list(WorkingGroup.objects.filter(city=city).order_by("name"))
    balance, per_group = selectors.city_and_groups_balance(city, groups, last=last)
    context = {
        "city": city,
        "balance": balance,
        "svg": balance_svg(
            balance,
            title=_("Four-leg balance of %(city)s's working groups together") % {"city": city.name},
            id_prefix="stool-city",
        ),
        "ties": [(tie, tie_text(tie)) for tie in balance.ties],
        "groups": [(group, per_group[group.pk]) for group in groups],
        "can_manage": viewer.can_coordinate(city.pk),
        "last": last,
        "spans": SPANS,
    }
    return render(request, "workinggroups/balance/city.html", context)


@require_GET
def group_seat_gaps(request, group_id: int):
    group, _viewer = access_group(request, group_id, manage=True)
    loads = member_loads(group)
    size = len(loads)
    gaps = seat_gaps(group)
    context = {
        "group": group,
        "city": group.city,
        "gaps": gaps,
        "gaps_without_suggestions": [gap for gap in gaps if not gap.suggestions],
        "loads": loads,
        "stretched_count": sum(1 for _m, load in loads if load.is_stretched),
        "size": size,
        "too_small": size < GROUP_SIZE_MIN,
        "too_large": size > GROUP_SIZE_MAX,
        "size_min": GROUP_SIZE_MIN,
        "size_max": GROUP_SIZE_MAX,
        "stretched_above": STRETCHED_ABOVE,
        "upcoming_days": UPCOMING_DAYS,
    }
    return render(request, "workinggroups/balance/seats.html", context)
