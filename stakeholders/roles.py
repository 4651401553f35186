"""Who someone is in the portal: network staff, a city's coordinator, or a member.

Coordinators hold guardian's ``coordinate_city`` permission on their City (direct
foreign-key table), so a coordinator's scope is always one query away.
"""

from functools import cached_property

from guardian.shortcuts import assign_perm, remove_perm

from stakeholders.models import City, CityUserObjectPermission, User

COORDINATE_CITY = "stakeholders.coordinate_city"


def _coordinator_grants():
    """The coordinate_city permission rows: who coordinates which city."""
    return CityUserObjectPermission.objects.filter(permission__codename="coordinate_city")


def coordinated_cities_query(user: User):
    """The ids of the cities `user` coordinates, as a query (one column)."""
    return _coordinator_grants().filter(user=user).values_list("content_object_id", flat=True)


def coordinated_city_ids(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(coordinated_cities_query(user))


def sync_coordinator_flags(user_ids=None) -> int:
    """Set User.is_city_coordinator from the coordinate_city rows, for `user_ids` (every
    account when None); return how many accounts changed. The signals call it on every
    permission row written or deleted; the nightly beat calls it for all, in case a bulk
    path (guardian's bulk_assign_perm) skipped the signals."""
    from django.db.models import Exists, OuterRef, Q

    coordinates = Exists(_coordinator_grants().filter(user_id=OuterRef("pk")))
    accounts = User.objects.all() if user_ids is None else User.objects.filter(pk__in=user_ids)
    return accounts.filter(~Q(is_city_coordinator=coordinates)).update(
        is_city_coordinator=coordinates
    )


def grant_coordinator(*, city: City, user: User) -> None:
    assign_perm(COORDINATE_CITY, user, city)


def revoke_coordinator(*, city: City, user: User) -> None:
    remove_perm(COORDINATE_CITY, user, city)


class Viewer:
    """The signed-in user's roles, computed once per request."""

    def __init__(self, user: User) -> None:
        self.user = user

    @property
    def is_network_staff(self) -> bool:
        return bool(self.user.is_authenticated and self.user.is_network_staff)

    @cached_property
    def coordinated_city_ids(self) -> set[int]:
        return coordinated_city_ids(self.user)

    @property
    def knows_coordinated_cities(self) -> bool:
        return "coordinated_city_ids" in self.__dict__

    def remember_coordinated_city_ids(self, city_ids) -> None:
        """Keep the coordinated cities read with another query of this request (see
        permissions.access_city_by_slug): never carried over to another request, so a
        revoked coordinator loses access on their next page."""
        self.__dict__["coordinated_city_ids"] = set(city_ids)

    @property
    def is_coordinator(self) -> bool:
        return bool(self.coordinated_city_ids)

    @cached_property
    def member_city_id(self) -> int | None:
        person = self.user.person if self.user.is_authenticated and self.user.person_id else None
        return person.city_id if person else None

    @property
    def is_member(self) -> bool:
        return self.member_city_id is not None

    def can_coordinate(self, city_id: int) -> bool:
        return self.is_network_staff or city_id in self.coordinated_city_ids

    def can_view_city(self, city_id: int) -> bool:
        return self.can_coordinate(city_id) or self.member_city_id == city_id

    @property
    def role_label(self) -> str:
        from django.utils.translation import gettext as _

        if self.is_network_staff:
            return _("Network staff")
        if self.is_coordinator:
            return _("City coordinator")
        if self.is_member:
            return _("Member")
        if self.user.is_authenticated and self.user.is_briefing_author:
            return _("Briefing author")
        return _("Signed in")


def viewer_for(request) -> Viewer:
    viewer = getattr(request, "_viewer", None)
    if viewer is None or viewer.user is not request.user:
        viewer = Viewer(request.user)
        request._viewer = viewer
    return viewer
