"""The audit log: who did what to whose data, when and from where.

Append-only from the portal: no view edits or deletes an entry. Erasing a person
(issue 3) scrubs the personal copies held in `target_label` and `detail`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    ROSTER_VIEWED = "roster.viewed", _("Roster viewed")
    ROSTER_EXPORTED = "roster.exported", _("Roster exported")
    ROLE_GRANTED = "role.granted", _("Role granted")
    ROLE_REVOKED = "role.revoked", _("Role revoked")
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_RESENT = "invitation.resent", _("Invitation re-sent")
    INVITATION_REVOKED = "invitation.revoked", _("Invitation revoked")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
    PERSON_CHANGED = "person.changed", _("Person's details changed")
    PERSON_EXPORTED = "person.exported", _("Person's data downloaded")
    PERSON_ERASED = "person.erased", _("Person erased")
    ACCOUNT_DISABLED = "account.disabled", _("Account disabled")
    CONVENING_SCHEDULED = "convening.scheduled", _("Convening scheduled")
    CONVENING_CHANGED = "convening.changed", _("Convening changed")
    CONVENING_CANCELLED = "convening.cancelled", _("Convening cancelled")
    CONVENING_INVITED = "convening.invited", _("People invited to a convening")
    ATTENDANCE_RECORDED = "attendance.recorded", _("Attendance recorded")
    SERIES_SCHEDULED = "series.scheduled", _("Recurring convening scheduled")
    SERIES_CHANGED = "series.changed", _("Recurring convening changed")
    CITY_SETTINGS_CHANGED = "city.settings_changed", _("City settings changed")
    BRIEFING_CREATED = "briefing.created", _("Landscape briefing drafted")
    BRIEFING_CHANGED = "briefing.changed", _("Landscape briefing changed")
    BRIEFING_SCHEDULED = "briefing.scheduled", _("Landscape briefing scheduled")
    BRIEFING_PUBLISHED = "briefing.published", _("Landscape briefing published")
    BRIEFING_WITHDRAWN = "briefing.withdrawn", _("Landscape briefing withdrawn")
    BRIEFING_RETRIED = "briefing.retried", _("Failed briefing deliveries retried")
    BRIEFING_DOWNLOADED = "briefing.downloaded", _("Briefing attachment downloaded")
    BRIEFING_REQUESTED = "briefing_request.created", _("Landscape briefing requested")
    BRIEFING_REQUEST_CHANGED = "briefing_request.changed", _("Briefing request triaged")
    TRAINING_MODULE_CHANGED = "training.module_changed", _("Training module changed")
    TRAINING_COMPLETED = "training.completed", _("Training completed")
    TRAINING_MATERIAL_DOWNLOADED = "training.material_downloaded", _("Training material downloaded")
    MILESTONE_RECORDED = "milestone.recorded", _("Milestone recorded")
    MILESTONE_WITHDRAWN = "milestone.withdrawn", _("Milestone record withdrawn")
    FRAMEWORK_CHANGED = "framework.changed", _("Prevention framework version changed")
    PROGRESS_DOCUMENT_DOWNLOADED = (
        "progress.document_downloaded",
        _("Framework or milestone document downloaded"),
    )
    REPORT_REQUESTED = "report.requested", _("Progress report requested")
    REPORT_DOWNLOADED = "report.downloaded", _("Progress report downloaded")


class AuditEvent(models.Model):
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("who"),
    )
    # Kept when the account is later deleted, so the log still says who it was.
    actor_label = models.CharField(_("who (as recorded)"), max_length=254)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    city = models.ForeignKey(
        "stakeholders.City",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("city"),
    )
    target_type = models.CharField(_("what kind"), max_length=60, blank=True)
    target_id = models.CharField(_("which"), max_length=40, blank=True)
    target_label = models.CharField(_("what (as recorded)"), max_length=254, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("from browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit event")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            )
        ]
        indexes = [
            models.Index(fields=["city", "-created_at"], name="audit_city_idx"),
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
