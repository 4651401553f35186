"""One place that fetches an object and checks the viewer may see it, in one call.

Outside the viewer's scope: 404, so existence is not revealed. Visible but not
editable: 403.
"""

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404

from stakeholders.models import City, Person
from stakeholders.roles import Viewer, coordinated_cities_query, viewer_for


def access_city_by_slug(
    request, slug: str, *, manage: bool = False, queryset=None, read=None
) -> City:
    """Fetch a city the viewer may see (from `queryset`, to keep its annotations; or with
    `read(slug, roles_of)`, a compiled read such as directory_selectors.directory_city).

    The viewer's coordinated cities, when not known yet, are read in the same query
    (for this request only): a coordinator's city pages save one query.
    """
    viewer = viewer_for(request)
    read_roles = (
        connection.vendor == "postgresql"  # ArraySubquery; elsewhere a query of its own
        and request.user.is_authenticated
        and not viewer.is_network_staff
        and not viewer.knows_coordinated_cities
    )
    if read is not None:
        city = read(slug, request.user if read_roles else None)
    else:
        cities = queryset if queryset is not None else City.objects
        if read_roles:
            cities = cities.annotate(
                viewer_coordinated_city_ids=ArraySubquery(coordinated_cities_query(request.user))
            )
        city = cities.filter(slug=slug).first()
    if city is not None and read_roles:
        viewer.remember_coordinated_city_ids(city.viewer_coordinated_city_ids)
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


def access_person(request, person_id: int, *, manage: bool = False) -> tuple[Person, Viewer]:
    """Fetch a person the viewer may see: 404 outside their scope, 403 when they may see
    but not manage them.

    Coordinators (of the person's city) and network staff see and manage. A member sees
    only themselves and the people they sit with in a current working group (whose names
    the group's roster already shows them); every other person is a 404 to them.
    """
    viewer = viewer_for(request)
    person = Person.objects.select_related("city").filter(pk=person_id).first()
    if person is None or not _can_see_person(viewer, person):
        raise Http404
    if manage and not viewer.can_coordinate(person.city_id):
        raise PermissionDenied
    return person, viewer


def _can_see_person(viewer: Viewer, person: Person) -> bool:
    if viewer.can_coordinate(person.city_id):
        return True
    own = viewer.user.person_id if viewer.user.is_authenticated else None
    if not own or viewer.member_city_id != person.city_id:
        return False
    if own == person.pk:
        return True
    from workinggroups.models import Membership

    return Membership.objects.filter(
        person=person,
        ended_on__isnull=True,
        group__memberships__person_id=own,
        group__memberships__ended_on__isnull=True,
    ).exists()
