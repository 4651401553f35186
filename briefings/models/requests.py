"""Briefing requests: a coordinator asks for a landscape briefing; network staff triage it.

Each step is an event row. The row is also the notice to the requester (ledger style): a
beat task sends the events not yet notified, so a step and its mail cannot part ways.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from briefings.models.briefings import LandscapeBriefing
from stakeholders.models import City
from workinggroups.models import Convening, WorkingGroup


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    SCHEDULED = "scheduled", _("Scheduled as a convening")
    DELIVERED = "delivered", _("Delivered")
    DECLINED = "declined", _("Declined")


class BriefingRequest(models.Model):
    Status = RequestStatus

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="briefing_requests", verbose_name=_("city")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="briefing_requests",
        verbose_name=_("requested by"),
    )
    topic = models.CharField(_("topic"), max_length=200)
    local_context = models.TextField(
        _("local context"),
        help_text=_("What is happening locally: incidents, tensions, a coming local moment."),
    )
    needed_by = models.DateField(_("needed by"))
    audience_groups = models.ManyToManyField(
        WorkingGroup, blank=True, related_name="+", verbose_name=_("working groups")
    )
    audience_note = models.CharField(
        _("who should hear it"),
        max_length=300,
        blank=True,
        help_text=_("E.g. the whole working group, or the law-enforcement leg and faith leaders."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    decline_reason = models.CharField(_("why it was declined"), max_length=500, blank=True)
    convening = models.ForeignKey(
        Convening,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("convening"),
    )
    briefing = models.ForeignKey(
        LandscapeBriefing,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("briefing"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("briefing request")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RequestStatus.values),
                name="briefing_request_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="declined") | ~models.Q(decline_reason=""),
                name="briefing_request_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="scheduled") | models.Q(convening__isnull=False),
                name="briefing_request_scheduled_has_convening",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="briefing_request_triage")]

    def __str__(self) -> str:
        return f"{self.topic} ({self.city})"


class RequestEvent(models.Model):
    """One step of a request, and the notice of it to the requester."""

    request = models.ForeignKey(
        BriefingRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("request")
    )
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    notified_at = models.DateTimeField(_("requester told at"), null=True, blank=True)
    notify_attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    notify_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("request event")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(notified_at__isnull=True, notify_attempts__lt=5),
                name="request_event_unnotified_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request}: {self.get_status_display()}"
