from django.shortcuts import render
from django.views.decorators.http import require_GET

from stakeholders.selectors import legs_from_annotations
from workinggroups import selectors
from workinggroups.permissions import access_group


@require_GET
def group_detail(request, group_id: int):
    group, viewer = access_group(request, group_id)
    roster = list(selectors.current_roster(group))
    context = {
        "group": group,
        "city": group.city,
        "legs": legs_from_annotations(group),
        "roster": roster,
        # Members see fellow members' names and organisations, never their contact details.
        "show_contacts": viewer.can_coordinate(group.city_id),
        "recent": selectors.recent_convenings_with_attendance(group),
        "upcoming": selectors.upcoming_convenings_of_group(group),
    }
    return render(request, "workinggroups/group_detail.html", context)
