"""Landscape briefings on the digital landscape of hate and extremism (DOMAIN.md lesson 7)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City, Leg, Organisation, Person, Sector
from workinggroups.models import WorkingGroup


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST). Labels are written in capitals."""

    CLEAR = "CLEAR", "TLP:CLEAR"
    GREEN = "GREEN", "TLP:GREEN"
    AMBER = "AMBER", "TLP:AMBER"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "RED", "TLP:RED"


class BriefingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LandscapeBriefing(models.Model):
    Status = BriefingStatus

    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary line"), max_length=300)
    body_markdown = models.TextField(_("body (Markdown)"))
    tlp = models.CharField(_("TLP marking"), max_length=12, choices=TLP.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="briefings_written",
        verbose_name=_("author"),
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    review_by = models.DateField(_("review by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # The audience, chosen by cities, working groups, legs, sectors, organisations or people.
    audience_cities = models.ManyToManyField(City, blank=True, verbose_name=_("cities"))
    audience_groups = models.ManyToManyField(
        WorkingGroup, blank=True, verbose_name=_("working groups")
    )
    audience_sectors = models.ManyToManyField(Sector, blank=True, verbose_name=_("sectors"))
    audience_organisations = models.ManyToManyField(
        Organisation, blank=True, verbose_name=_("organisations")
    )
    audience_people = models.ManyToManyField(
        Person, blank=True, related_name="briefings_named_in", verbose_name=_("named people")
    )

    class Meta:
        verbose_name = _("landscape briefing")
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tlp__in=TLP.values), name="briefing_tlp_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=BriefingStatus.values), name="briefing_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="scheduled") | models.Q(publish_at__isnull=False),
                name="briefing_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_at__isnull=False),
                name="briefing_published_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["publish_at"],
                condition=models.Q(status="scheduled"),
                name="briefing_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"[{self.get_tlp_display()}] {self.title}"

    @property
    def tlp_label(self) -> str:
        return f"TLP:{self.tlp}"


class AudienceLeg(models.Model):
    briefing = models.ForeignKey(
        LandscapeBriefing, on_delete=models.CASCADE, related_name="audience_legs"
    )
    leg = models.CharField(_("leg"), max_length=20, choices=Leg.choices)

    class Meta:
        verbose_name = _("audience leg")
        constraints = [
            models.UniqueConstraint(fields=["briefing", "leg"], name="audience_leg_once"),
            models.CheckConstraint(
                condition=models.Q(leg__in=Leg.values), name="audience_leg_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_leg_display()


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(models.Model):
    """One row per message sent to one person: the outbound ledger for a briefing."""

    Status = DeliveryStatus

    briefing = models.ForeignKey(
        LandscapeBriefing,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("briefing"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="briefing_deliveries",
        verbose_name=_("person"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    failure_reason = models.CharField(_("reason"), max_length=300, blank=True)

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
        ]
        indexes = [
            # The beat task's claim scans only unsent rows.
            models.Index(
                fields=["queued_at"],
                condition=models.Q(status="queued"),
                name="delivery_queued_idx",
            ),
            models.Index(fields=["person", "briefing"], name="delivery_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.briefing} → {self.person}"
