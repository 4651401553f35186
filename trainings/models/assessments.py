"""What people learned: a short self-assessment before and after a training session.

Each person invited to a session answers once before and once after: confidence from 1 to
5 on each of the session's module objectives, and free text. The request is mailed with a
signed link that works without signing in (GET shows the form, POST records it). The
AssessmentRequest row is the outbound ledger for that mail (outbox) and, once answered,
holds the answers. A person's answers are shown to network staff only; everyone else sees
counts and the change from before to after, by leg.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Leg, Person
from trainings.models.catalogue import TrainingSession


class AssessmentPhase(models.TextChoices):
    BEFORE = "before", _("Before the session")
    AFTER = "after", _("After the session")


class AssessmentMailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class AssessmentRequest(models.Model):
    Phase = AssessmentPhase
    MailStatus = AssessmentMailStatus

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("session"),
    )
    # Cleared when the person is erased; the leg copy keeps the results by leg true.
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("person"),
    )
    leg = models.CharField(_("leg"), max_length=20, choices=Leg.choices)
    phase = models.CharField(_("phase"), max_length=6, choices=AssessmentPhase.choices)
    # The mail (ledger fields, as outbox.Ledger expects).
    status = models.CharField(
        _("mail status"),
        max_length=8,
        choices=AssessmentMailStatus.choices,
        default=AssessmentMailStatus.PENDING,
    )
    due_at = models.DateTimeField(_("send at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # The answer.
    closes_at = models.DateTimeField(_("answers accepted until"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # {"0": 3, "1": 5, ...}: objective position -> confidence 1..5.
    confidence = models.JSONField(_("confidence per objective"), default=dict, blank=True)
    comments = models.TextField(_("in your own words"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("self-assessment")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person", "phase"], name="assessment_once_per_phase"
            ),
            models.CheckConstraint(
                condition=models.Q(phase__in=AssessmentPhase.values), name="assessment_phase_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AssessmentMailStatus.values),
                name="assessment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(leg__in=Leg.values), name="assessment_leg_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="assessment_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending"),
                name="assessment_due_idx",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="assessment_stuck_idx",
            ),
            models.Index(fields=["session", "phase", "leg"], name="assessment_results_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()}: {self.person or _('erased person')} ({self.session})"


class CoverageNudge(models.Model):
    """A mailed nudge to a city's coordinators that a leg lags in training (at most one per
    city, leg and week). The row is the outbound ledger for that mail (outbox)."""

    city = models.ForeignKey(
        "stakeholders.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city")
    )
    leg = models.CharField(_("leg"), max_length=20, choices=Leg.choices)
    week = models.DateField(_("week of"), help_text=_("The Monday of the week it is about."))
    # What the nudge said, kept so the record explains itself later.
    trained_share = models.FloatField(_("share of the leg trained"))
    status = models.CharField(
        _("mail status"),
        max_length=8,
        choices=AssessmentMailStatus.choices,
        default=AssessmentMailStatus.PENDING,
    )
    due_at = models.DateTimeField(_("send at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("training nudge")
        constraints = [
            models.UniqueConstraint(fields=["city", "leg", "week"], name="nudge_once_a_week"),
            models.CheckConstraint(condition=models.Q(leg__in=Leg.values), name="nudge_leg_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=AssessmentMailStatus.values),
                name="nudge_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=models.Q(status="pending"), name="nudge_due_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.city}: {self.get_leg_display()} ({self.week})"
