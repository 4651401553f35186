from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.selectors import legs_from_annotations
from workinggroups import group_rows, selectors
from workinggroups.permissions import access_group


@require_GET
def group_detail(request, group_id: int):
    group, viewer = access_group(request, group_id)
    roster = selectors.roster_rows(group)
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
    city = group.city
    legs = legs_from_annotations(group)
    recent = selectors.recent_convenings_with_attendance(group)
    upcoming = selectors.upcoming_convenings_of_group(group)
    context = {
        "group": group,
        "city": city,
        "legs": legs,
        "roster": roster,
        # Members see fellow members' names and organisations, never their contact details.
        "show_contacts": show_contacts,
        "recent": recent,
        "upcoming": upcoming,
        # The repeated rows are drawn in Python (group_rows): the template loops were most
        # of this page's render time in `make bench`.
        "roster_rows": group_rows.render_roster_rows(roster, show_contacts=show_contacts),
        "recent_rows": group_rows.render_recent_rows(recent, legs, city.time_zone),
        "upcoming_items": group_rows.render_upcoming_items(upcoming, city.time_zone),
    }
    return render(request, "workinggroups/group_detail.html", context)
