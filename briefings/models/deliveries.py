"""The outbound ledger for landscape briefings: one row per briefing and recipient.

Rows are written in the publishing transaction; a beat task claims the queued ones and
short tasks send them (ARCHITECTURE.md, "Outbound mail is data first"). The same row later
records that its person read and acknowledged the briefing.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from briefings.models.briefings import LandscapeBriefing
from stakeholders.models import City, Leg, Person


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(models.Model):
    Status = DeliveryStatus

    briefing = models.ForeignKey(
        LandscapeBriefing,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("briefing"),
    )
    # Cleared when the person is erased; the city and leg copies keep read rates true.
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="briefing_deliveries",
        verbose_name=_("person"),
    )
    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="+", verbose_name=_("city")
    )
    leg = models.CharField(_("leg"), max_length=20, choices=Leg.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["briefing", "person"], name="delivery_once_per_person"),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(leg__in=Leg.values), name="delivery_leg_valid"
            ),
        ]
        indexes = [
            # The beat's claim scans only queued rows.
            models.Index(
                fields=["queued_at"],
                condition=models.Q(status="queued"),
                name="delivery_queued_idx",
            ),
            # Rows stuck mid-send are looked for by claim time.
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="delivery_stuck_idx",
            ),
            # Progress counts per briefing, and read rates per city and leg.
            models.Index(fields=["briefing", "status"], name="delivery_progress_idx"),
            models.Index(fields=["briefing", "city", "leg"], name="delivery_city_leg_idx"),
            models.Index(fields=["person", "briefing"], name="delivery_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.briefing} → {self.person or _('erased person')}"
