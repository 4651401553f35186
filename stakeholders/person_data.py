"""Everything the portal holds about one person, for them to download (their right of access)."""

from typing import Any

from audit.models import AuditEvent
from briefings.models import Delivery
from stakeholders.models import AccountInvitation
from trainings.models import AssessmentRequest, Completion, MaterialRead
from workinggroups.models import Attendance, ExistingInitiative, Invitation, Membership


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def person_data(person) -> dict[str, Any]:
    """Return the person's record and every row that refers to them, as plain JSON data."""
    account = getattr(person, "user", None)
    return {
        "person": {
            "full_name": person.full_name,
            "role_title": person.role_title,
            "city": str(person.city),
            "leg": person.get_leg_display(),
            "sector": str(person.sector),
            "organisation": person.organisation.name if person.organisation_id else None,
            "email": person.email,
            "phone": person.phone,
            "consent_to_contact": person.consent_to_contact,
            "consent_recorded_at": _iso(person.consent_recorded_at),
            "reminders_enabled": person.reminders_enabled,
            "address_bounced_at": _iso(person.email_bounced_at),
            "prevention_levels": [str(level.label) for level in person.prevention_levels],
            "focus_areas": sorted(area.name for area in person.focus_areas.all()),
            "created_at": _iso(person.created_at),
            "updated_at": _iso(person.updated_at),
        },
        "account": (
            {
                "email": account.email,
                "display_name": account.display_name,
                "date_joined": _iso(account.date_joined),
                "last_login": _iso(account.last_login),
                "is_network_staff": account.is_network_staff,
                "is_briefing_author": account.is_briefing_author,
            }
            if account is not None
            else None
        ),
        "account_invitations": [
            {
                "sent_to": i.email,
                "created_at": _iso(i.created_at),
                "expires_at": _iso(i.expires_at),
                "times_sent": i.sent_count,
                "accepted_at": _iso(i.accepted_at),
                "revoked_at": _iso(i.revoked_at),
            }
            for i in AccountInvitation.objects.filter(person=person).order_by("created_at")
        ],
        "memberships": [
            {
                "working_group": m.group.name,
                "role": m.get_role_display(),
                "started_on": _iso(m.started_on),
                "ended_on": _iso(m.ended_on),
            }
            for m in Membership.objects.filter(person=person).select_related("group")
        ],
        "initiatives": sorted(
            ExistingInitiative.objects.filter(people=person).values_list("name", flat=True)
        ),
        "invitations": [
            {
                "convening": i.convening.title,
                "starts_at": _iso(i.convening.starts_at),
                "answer": i.get_response_display(),
                "answered_at": _iso(i.responded_at),
            }
            for i in Invitation.objects.filter(person=person).select_related("convening")
        ],
        "attendance": [
            {"convening": a.convening.title, "starts_at": _iso(a.convening.starts_at)}
            for a in Attendance.objects.filter(person=person).select_related("convening")
        ],
        "training_completions": [
            {
                "module": c.module.title,
                "how": c.get_method_display(),
                "completed_on": _iso(c.completed_on),
            }
            for c in Completion.objects.filter(person=person).select_related("module")
        ],
        "training_materials_opened": [
            {"material": r.material.title, "module": r.material.module.title, "at": _iso(r.read_at)}
            for r in MaterialRead.objects.filter(person=person).select_related("material__module")
        ],
        "self_assessments": [
            {
                "session": str(a.session.convening.title),
                "phase": a.get_phase_display(),
                "answered_at": _iso(a.answered_at),
                "confidence_by_objective": a.confidence,
                "in_your_own_words": a.comments,
            }
            for a in AssessmentRequest.objects.filter(person=person).select_related(
                "session__convening"
            )
        ],
        "briefing_deliveries": [
            {
                "briefing": d.briefing.title,
                "marking": d.briefing.tlp_label,
                "status": d.get_status_display(),
                "sent_at": _iso(d.sent_at),
                "read_at": _iso(d.read_at),
                "acknowledged_at": _iso(d.acknowledged_at),
            }
            for d in Delivery.objects.filter(person=person).select_related("briefing")
        ],
        "audit_entries_about_you": [
            {"when": _iso(e.created_at), "action": e.get_action_display(), "by": e.actor_label}
            for e in AuditEvent.objects.filter(
                target_type="stakeholders.person", target_id=str(person.pk)
            )
        ],
    }
