from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404

from stakeholders.roles import Viewer, viewer_for
from workinggroups import selectors
from workinggroups.models import Convening, ConveningSeries, Invitation, WorkingGroup


def access_group(request, group_id: int, *, manage: bool = False) -> tuple[WorkingGroup, Viewer]:
    """Fetch a working group (with its leg counts) the viewer may see: 404 outside scope,
    403 when they may see but not manage it."""
    viewer = viewer_for(request)
    group = selectors.group_with_leg_counts(group_id)
    if group is None:
        raise Http404
    _check_group_scope(viewer, group, manage=manage)
    return group, viewer


def _check_group_scope(viewer: Viewer, group: WorkingGroup, *, manage: bool, invited=None) -> None:
    """The one rule behind every object of a group: coordinators of its city and network
    staff see and manage; current members (and, for a convening, the people invited to it)
    see but may not manage (403); everyone else is told it does not exist (404)."""
    if not viewer.can_view_city(group.city_id):
        raise Http404
    if viewer.can_coordinate(group.city_id):
        return
    if not (_is_member_of(viewer, group) or (invited is not None and invited())):
        raise Http404
    if manage:
        raise PermissionDenied


def _is_member_of(viewer: Viewer, group: WorkingGroup) -> bool:
    person_id = viewer.user.person_id
    return (
        bool(person_id)
        and group.memberships.filter(person_id=person_id, ended_on__isnull=True).exists()
    )


def access_convening(
    request, convening_id: int, *, manage: bool = False
) -> tuple[Convening, Viewer]:
    """Fetch a convening (with its group and city) the viewer may see: 404 outside scope,
    403 when they may see but not manage it.

    Coordinators of the city and network staff see and manage. Current members of the
    group, and people invited to it, see it; every one else gets a 404.
    """
    viewer = viewer_for(request)
    convening = (
        Convening.objects.select_related("group__city", "series").filter(pk=convening_id).first()
    )
    if convening is None:
        raise Http404
    _check_group_scope(
        viewer,
        convening.group,
        manage=manage,
        invited=lambda: convening.invitations.filter(person_id=viewer.user.person_id).exists(),
    )
    return convening, viewer


def access_own_invitation(request, convening_id: int) -> tuple[Invitation, Viewer]:
    """Fetch the signed-in person's invitation to a convening (with the convening, its group
    and city), in one query: 404 when there is none or the convening is outside their scope.

    The rule is access_convening's for someone invited: coordinators of the city and network
    staff, and people of the group's city (a person sees their own city).
    """
    viewer = viewer_for(request)
    person_id = viewer.user.person_id
    invitation = (
        Invitation.objects.select_related("convening__group__city")
        .annotate(person_city_id=F("person__city_id"))
        .filter(convening_id=convening_id, person_id=person_id)
        .first()
        if person_id
        else None
    )
    if invitation is None:
        raise Http404
    city_id = invitation.convening.group.city_id
    if invitation.person_city_id != city_id and not viewer.can_coordinate(city_id):
        raise Http404
    return invitation, viewer


def access_series(request, series_id: int) -> tuple[ConveningSeries, Viewer]:
    """Fetch a series to manage: only coordinators of its city and network staff, 403 for
    members of its group, 404 for everyone else."""
    viewer = viewer_for(request)
    series = ConveningSeries.objects.select_related("group__city").filter(pk=series_id).first()
    if series is None:
        raise Http404
    _check_group_scope(viewer, series.group, manage=True)
    return series, viewer
