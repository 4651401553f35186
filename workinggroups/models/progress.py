"""Progress along the SCN toolkit's path (DOMAIN.md): milestones, the local prevention
framework's versions, the per-city summary the cross-pilot dashboard reads, and the funder's
aggregate reports.

Milestones that the records can prove (first convening held, a budget line, ...) are derived
from them and never typed in (workinggroups/milestones.py); the others are recorded here with a
date and evidence. A report holds aggregate counts only: no person's name or contact ever
enters one (the funder's rule).
"""

import uuid
from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City


class Milestone(models.TextChoices):
    """The path a city walks, in the order the toolkit gives it."""

    LEAD_DESIGNATED = "lead_designated", _("City lead designated")
    DIRECTORY_COMPILED = "directory_compiled", _("Stakeholder directory compiled")
    GROUP_FORMED = "group_formed", _("Working group formed with all four legs")
    FIRST_CONVENING = "first_convening", _("First convening held")
    FOUNDATIONAL_TRAINING = "foundational_training", _("Foundational training delivered")
    FIRST_BRIEFING = "first_briefing", _("First landscape briefing delivered")
    NEEDS_ASSESSMENT = "needs_assessment", _("Needs and vulnerabilities assessment done")
    FRAMEWORK_DRAFTED = "framework_drafted", _("Local prevention framework drafted")
    FRAMEWORK_REVIEWED = "framework_reviewed", _("Local prevention framework reviewed")
    FRAMEWORK_ADOPTED = "framework_adopted", _("Local prevention framework adopted")
    TEAM_QUARTERLY = "team_quarterly", _("City Prevention Team meeting at least quarterly")
    POST_INCIDENT_PROTOCOL = "post_incident_protocol", _("Post-incident protocol agreed")
    BUDGET_LINE = "budget_line", _("Dedicated budget line secured")
    FIRST_MONITORING_REVIEW = "first_monitoring_review", _("First monitoring review")


def evidence_path(instance: "MilestoneRecord", filename: str) -> str:
    # A random stored name, as for briefing attachments; the original name is in the row.
    return f"milestones/{instance.city_id}/{uuid.uuid4().hex}.pdf"


class MilestoneRecord(models.Model):
    """A milestone the records cannot prove, recorded by a coordinator or network staff with
    the date it was reached and its evidence (a document, a link, or both)."""

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="milestone_records", verbose_name=_("city")
    )
    milestone = models.CharField(_("milestone"), max_length=32, choices=Milestone.choices)
    reached_on = models.DateField(_("reached on"))
    evidence_url = models.URLField(_("evidence (link)"), max_length=500, blank=True)
    evidence_document = models.FileField(
        _("evidence (PDF)"), upload_to=evidence_path, max_length=200, blank=True
    )
    evidence_name = models.CharField(_("file name"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("milestone record")
        ordering = ["city", "reached_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["city", "milestone"], name="milestone_once_per_city"),
            models.CheckConstraint(
                condition=models.Q(milestone__in=Milestone.values), name="milestone_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(evidence_url="") | ~models.Q(evidence_document=""),
                name="milestone_has_evidence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_milestone_display()} ({self.reached_on:%Y-%m-%d})"


class FrameworkStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    REVIEWED = "reviewed", _("Reviewed")
    ADOPTED = "adopted", _("Adopted")
    SUPERSEDED = "superseded", _("Superseded")


class AdoptionInstrument(models.TextChoices):
    """How a city adopts its framework depends on its form of government (DOMAIN.md)."""

    COUNCIL_RESOLUTION = "council_resolution", _("Council resolution")
    BOARD_RESOLUTION = "board_resolution", _("Board of Representatives resolution")
    ORDINANCE = "ordinance", _("Ordinance")
    EXECUTIVE_ORDER = "executive_order", _("Mayor's executive order")
    CITY_MANAGER_DIRECTIVE = "city_manager_directive", _("City manager's directive")
    OTHER = "other", _("Other instrument")


# The framework's core components (DOMAIN.md, the toolkit's step 5), in the toolkit's order:
# (field name, label). The fields are booleans on FrameworkVersion so they can be counted.
FRAMEWORK_COMPONENTS = [
    ("has_statement_of_need", _("Statement of need")),
    ("has_objectives", _("Purpose and measurable objectives")),
    ("has_needs_and_vulnerabilities", _("Needs and vulnerabilities")),
    ("has_activities", _("Prevention activities")),
    ("has_referral_pathways", _("Referral pathways")),
    ("has_post_incident_response", _("Post-incident response")),
    ("has_monitoring", _("Monitoring")),
]


def framework_path(instance: "FrameworkVersion", filename: str) -> str:
    return f"frameworks/{instance.city_id}/{uuid.uuid4().hex}.pdf"


class FrameworkVersion(models.Model):
    """One version of a city's local prevention framework: its status, which core components
    it covers, and, once adopted, when and by which instrument."""

    Status = FrameworkStatus
    Instrument = AdoptionInstrument

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="framework_versions", verbose_name=_("city")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=FrameworkStatus.choices, default=FrameworkStatus.DRAFT
    )
    has_statement_of_need = models.BooleanField(_("statement of need"), default=False)
    has_objectives = models.BooleanField(_("purpose and measurable objectives"), default=False)
    has_needs_and_vulnerabilities = models.BooleanField(
        _("needs and vulnerabilities"), default=False
    )
    has_activities = models.BooleanField(_("prevention activities"), default=False)
    has_referral_pathways = models.BooleanField(_("referral pathways"), default=False)
    has_post_incident_response = models.BooleanField(_("post-incident response"), default=False)
    has_monitoring = models.BooleanField(_("monitoring"), default=False)
    drafted_on = models.DateField(_("drafted on"), default=timezone.localdate)
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    adoption_instrument = models.CharField(
        _("adopted by"), max_length=32, choices=AdoptionInstrument.choices, blank=True
    )
    instrument_reference = models.CharField(
        _("instrument reference"),
        max_length=200,
        blank=True,
        help_text=_("E.g. Resolution 2025-14, or Executive Order 3."),
    )
    document = models.FileField(
        _("document (PDF)"), upload_to=framework_path, max_length=200, blank=True
    )
    document_name = models.CharField(_("file name"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("framework version")
        ordering = ["city", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["city", "number"], name="framework_version_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=FrameworkStatus.values),
                name="framework_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(adoption_instrument__in=[*AdoptionInstrument.values, ""]),
                name="framework_instrument_valid",
            ),
            # An adopted (or later superseded) version says when and by what it was adopted;
            # one that was never adopted carries neither.
            models.CheckConstraint(
                condition=~models.Q(status="adopted")
                | (models.Q(adopted_on__isnull=False) & ~models.Q(adoption_instrument="")),
                name="framework_adoption_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    @property
    def components(self) -> list[tuple[str, str, bool]]:
        """(field, label, covered) for the seven core components, in the toolkit's order."""
        return [(name, label, getattr(self, name)) for name, label in FRAMEWORK_COMPONENTS]


class CityProgress(models.Model):
    """The dashboard's summary of one city, refreshed by Celery from the records.

    The cross-pilot dashboard reads one row per city instead of counting 2,000,000
    invitations on every request (issue #9's design note). `stale` is set when a record the
    summary depends on changes; the beat refreshes stale rows within minutes and every row
    daily. `figures` holds the per-leg and per-quarter detail; the columns are what the
    dashboard sorts and filters on.
    """

    city = models.OneToOneField(
        City,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="progress",
        verbose_name=_("city"),
    )
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    stale = models.BooleanField(_("needs refreshing"), default=True)
    milestones_reached = models.PositiveSmallIntegerField(_("milestones reached"), default=0)
    members = models.PositiveIntegerField(_("members"), default=0)
    convenings_held = models.PositiveIntegerField(_("convenings held"), default=0)
    last_convening_on = models.DateField(_("last convening"), null=True, blank=True)
    people_trained = models.PositiveIntegerField(_("people trained"), default=0)
    briefings_delivered = models.PositiveIntegerField(_("briefings delivered"), default=0)
    open_action_items = models.PositiveIntegerField(_("open action items"), default=0)
    warning_count = models.PositiveSmallIntegerField(_("warnings"), default=0)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # The compact row of the 1,000-city page reads these few columns and never decodes
    # JSON (0005): the milestone path as "1"/"0" per milestone in path order, the share
    # of current members trained and of delivered briefings read (percent, empty when there
    # is nothing to judge), the institutionalisation status (a code), and the warnings as
    # space-separated codes (words are chosen at display time, in the reader's language).
    milestone_path = models.CharField(_("milestone path"), max_length=14, blank=True, default="")
    trained_percent = models.PositiveSmallIntegerField(_("trained (%)"), null=True, blank=True)
    read_rate = models.PositiveSmallIntegerField(_("read rate (%)"), null=True, blank=True)
    institution_status = models.CharField(
        _("institutionalisation"), max_length=32, blank=True, default=""
    )
    warning_codes = models.CharField(_("warning codes"), max_length=400, blank=True, default="")
    # What a row of the paginated dashboard draws (the legs, the quarters, the warnings):
    # a few hundred bytes read fifty times a request, apart from `figures` (kilobytes,
    # stored out of line) so the page's query never reads those.
    dashboard_row = models.JSONField(_("dashboard row"), default=dict, blank=True)
    # The dashboard's cells for this city (after the city's own cell), written at refresh
    # time in `html_language` by workinggroups.progress_display from the columns above, with
    # every text escaped: a request pastes them instead of drawing fifty rows of charts
    # (issue #9's budget). In another language the page draws them from the columns.
    row_html = models.TextField(_("dashboard cells"), blank=True, default="")
    compact_html = models.TextField(_("compact cells"), blank=True, default="")
    html_language = models.CharField(_("cells' language"), max_length=15, blank=True, default="")
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("city progress summary")
        verbose_name_plural = _("city progress summaries")
        indexes = [
            models.Index(
                fields=["city"], condition=models.Q(stale=True), name="city_progress_stale_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} progress"

    @cached_property
    def display(self):
        """The summary as the pages show it: figures, words and charts (SummaryView)."""
        from workinggroups.progress_display import SummaryView

        return SummaryView(self)


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def report_path(instance: "ProgressReport", filename: str) -> str:
    return f"reports/{uuid.uuid4().hex}-{filename}"


class ProgressReport(models.Model):
    """A funder's report for a period and a scope (one city, or all when `city` is empty),
    built by Celery as CSV and PDF. Aggregate counts only."""

    Status = ReportStatus

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    city = models.ForeignKey(
        City,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="progress_reports",
        verbose_name=_("city (empty: all cities)"),
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to (inclusive)"))
    status = models.CharField(
        _("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    # Cities done out of cities to do, for the progress bar.
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("to do"), default=0)
    # Set when a worker starts; a report running for too long is reported stuck and requeued.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    csv_file = models.FileField(_("CSV"), upload_to=report_path, max_length=200, blank=True)
    pdf_file = models.FileField(_("PDF"), upload_to=report_path, max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("progress report")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReportStatus.values), name="report_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="report_period_ordered",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "requested_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="report_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        scope = self.city or _("all cities")
        return f"{scope}: {self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d}"
