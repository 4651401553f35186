"""Landscape briefings on the digital landscape of hate and extremism (DOMAIN.md lesson 7)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City, Leg, LocalMoment, Organisation, Person, Sector
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
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("why it was withdrawn"), max_length=300, blank=True)
    local_moments = models.ManyToManyField(
        LocalMoment, blank=True, related_name="briefings", verbose_name=_("local moments")
    )
    # TLP:CLEAR only: any signed-in user may read it, not only the recipients.
    shown_to_all_signed_in = models.BooleanField(_("show to every signed-in user"), default=False)
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
            models.CheckConstraint(
                condition=~models.Q(status="withdrawn") | models.Q(withdrawn_at__isnull=False),
                name="briefing_withdrawn_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(shown_to_all_signed_in=False) | models.Q(tlp="CLEAR"),
                name="briefing_open_only_if_clear",
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


def attachment_path(instance: "BriefingAttachment", filename: str) -> str:
    # A random name: the stored file never reveals the original name, and two uploads of
    # "briefing.pdf" cannot collide. The original name is kept in the row.
    return f"briefings/{instance.briefing_id}/{uuid.uuid4().hex}.pdf"


class BriefingAttachment(models.Model):
    """A PDF attached to a briefing. Kept outside MEDIA_URL: served only through the
    download view, which checks the reader and stamps AMBER and RED copies."""

    briefing = models.ForeignKey(
        LandscapeBriefing,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("briefing"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
