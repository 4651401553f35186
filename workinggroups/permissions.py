from django.core.exceptions import PermissionDenied
from django.http import Http404

from stakeholders.roles import Viewer, viewer_for
from workinggroups import selectors
from workinggroups.models import WorkingGroup


def access_group(request, group_id: int, *, manage: bool = False) -> tuple[WorkingGroup, Viewer]:
    """Fetch a working group (with its leg counts) the viewer may see: 404 outside scope,
    403 when they may see but not manage it."""
    viewer = viewer_for(request)
    group = selectors.group_with_leg_counts(group_id)
    if group is None or not viewer.can_view_city(group.city_id):
        raise Http404
    if not viewer.can_coordinate(group.city_id) and not _is_member_of(viewer, group):
        raise Http404
    if manage and not viewer.can_coordinate(group.city_id):
        raise PermissionDenied
    return group, viewer


def _is_member_of(viewer: Viewer, group: WorkingGroup) -> bool:
    person_id = viewer.user.person_id
    return (
        bool(person_id)
        and group.memberships.filter(person_id=person_id, ended_on__isnull=True).exists()
    )
