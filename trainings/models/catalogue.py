"""Training modules (the SCN toolkit's foundational learning), sessions and completions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Person, PreventionLevel
from workinggroups.models import Convening


class TrainingModule(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200, unique=True)
    summary = models.TextField(_("summary"))
    objectives = models.TextField(_("objectives"), help_text=_("One learning objective a line."))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    prevention_level = models.CharField(
        _("prevention level"), max_length=10, choices=PreventionLevel.choices, blank=True
    )
    is_foundational = models.BooleanField(_("foundational module"), default=False)
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="unlocks",
        verbose_name=_("prerequisites"),
    )
    refresher_months = models.PositiveSmallIntegerField(
        _("refresher due after (months)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("training module")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0), name="module_duration_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(prevention_level="")
                | models.Q(prevention_level__in=PreventionLevel.values),
                name="module_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def objective_list(self) -> list[str]:
        return [line.strip() for line in self.objectives.splitlines() if line.strip()]


class TrainingSession(models.Model):
    """A training is a convening of kind "training", plus what it covers and who delivers it."""

    convening = models.OneToOneField(
        Convening,
        on_delete=models.CASCADE,
        related_name="training_session",
        verbose_name=_("convening"),
    )
    modules = models.ManyToManyField(
        TrainingModule, related_name="sessions", verbose_name=_("modules covered")
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trainings_delivered",
        verbose_name=_("trainer (network staff)"),
    )
    trainer_name = models.CharField(
        _("trainer (partner)"),
        max_length=200,
        blank=True,
        help_text=_("When a partner, not network staff, delivers the session."),
    )

    class Meta:
        verbose_name = _("training session")

    def __str__(self) -> str:
        return str(self.convening)


class CompletionMethod(models.TextChoices):
    ATTENDED = "attended", _("Attended a session")
    SELF_PACED = "self_paced", _("Self-paced")


class Completion(models.Model):
    Method = CompletionMethod

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="completions", verbose_name=_("person")
    )
    module = models.ForeignKey(
        TrainingModule,
        on_delete=models.PROTECT,
        related_name="completions",
        verbose_name=_("module"),
    )
    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="completions",
        verbose_name=_("session"),
    )
    method = models.CharField(_("how"), max_length=12, choices=Method.choices)
    completed_on = models.DateField(_("completed on"), default=timezone.localdate)

    class Meta:
        verbose_name = _("completion")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "module", "completed_on"], name="completion_once_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=CompletionMethod.values),
                name="completion_method_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(method="attended") | models.Q(session__isnull=False),
                name="completion_attended_has_session",
            ),
        ]
        indexes = [
            models.Index(fields=["module", "person"], name="completion_module_idx"),
            models.Index(fields=["person", "module"], name="completion_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.module}"
