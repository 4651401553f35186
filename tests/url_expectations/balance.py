"""URL permission rows for the four-leg balance, seat gaps and existing initiatives.

Members see the aggregate balance of their group and city (counts, no names); seat-gap
suggestions, civic load and who sits on which initiative are personal data, so those pages
are the city's coordinators' and network staff's (403 to members, 404 to other cities).
"""

from workinggroups.models import ExistingInitiative

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)
MANAGE_PAGE = (LOGIN, 403, 200, 404, 200)

GET = {
    "group_balance": (LOGIN, 200, 200, 404, 200),
    "city_balance": (LOGIN, 200, 200, 404, 200),
    "group_seat_gaps": MANAGE_PAGE,
    "group_initiatives": MANAGE_PAGE,
    "city_initiatives": MANAGE_PAGE,
    "initiative_detail": MANAGE_PAGE,
    "initiative_people": NOT_ALLOWED,
}
POST = {
    "group_balance": NOT_ALLOWED,
    "city_balance": NOT_ALLOWED,
    "group_seat_gaps": NOT_ALLOWED,
    # 302: an empty form folds the group into no initiative (none was linked); back to the page.
    "group_initiatives": (LOGIN, 403, 302, 404, 302),
    # 200: an empty form comes back with its errors; nothing is recorded.
    "city_initiatives": MANAGE_PAGE,
    "initiative_detail": NOT_ALLOWED,
    # 302: back to the initiative with a message (nobody chosen, nothing changes).
    "initiative_people": (LOGIN, 403, 302, 404, 302),
}


def kwargs(base) -> dict:
    city, group = base["city"], base["group"]
    initiative = ExistingInitiative.objects.create(city=city, name="Community-relations commission")
    return {
        "group_balance": {"group_id": group.pk},
        "city_balance": {"slug": city.slug},
        "group_seat_gaps": {"group_id": group.pk},
        "group_initiatives": {"group_id": group.pk},
        "city_initiatives": {"slug": city.slug},
        "initiative_detail": {"initiative_id": initiative.pk},
        "initiative_people": {"initiative_id": initiative.pk},
    }
