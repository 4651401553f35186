"""One place that fetches an object and checks the viewer may see it, in one call.

Outside the viewer's scope: 404, so existence is not revealed. Visible but not
editable: 403.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from stakeholders.models import City
from stakeholders.roles import viewer_for


def access_city_by_slug(request, slug: str, *, manage: bool = False, queryset=None) -> City:
    """Fetch a city the viewer may see (from `queryset`, to keep its annotations)."""
    viewer = viewer_for(request)
    city = (queryset if queryset is not None else City.objects).filter(slug=slug).first()
    if city is None or not viewer.can_view_city(city.pk):
        raise Http404
    if manage and not viewer.can_coordinate(city.pk):
        raise PermissionDenied
    return city


def require_network_staff(request) -> None:
    """Pages for network staff only; to anyone else they do not exist (404)."""
    if not viewer_for(request).is_network_staff:
        raise Http404


def access_account_for_roles(request, user_id: int):
    """Fetch an account whose roles network staff may change."""
    from stakeholders.models import User

    require_network_staff(request)
    account = User.objects.filter(pk=user_id).first()
    if account is None:
        raise Http404
    return account
