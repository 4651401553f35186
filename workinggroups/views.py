from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.selectors import legs_from_annotations
from workinggroups import selectors
from workinggroups.permissions import access_group


@require_GET
def group_detail(request, group_id: int):
    group, viewer = access_group(request, group_id)
    roster = list(selectors.current_roster(group))
    show_contacts = viewer.can_coordinate(group.city_id)
    if show_contacts:
        # A roster with contact details is personal data: every view of it is on record.
        audit_record(
            actor=request.user,
            action=AuditAction.ROSTER_VIEWED,
            request=request,
            city=group.city,
            target=group,
            rows=len(roster),
        )
    context = {
        "group": group,
        "city": group.city,
        "legs": legs_from_annotations(group),
        "roster": roster,
        # Members see fellow members' names and organisations, never their contact details.
        "show_contacts": show_contacts,
        "recent": selectors.recent_convenings_with_attendance(group),
        "upcoming": selectors.upcoming_convenings_of_group(group),
    }
    return render(request, "workinggroups/group_detail.html", context)
