"""Convenings, their series, invitations (RSVPs) and attendance."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Leg, LocalMoment, Person
from workinggroups.models.groups import WorkingGroup


class ConveningKind(models.TextChoices):
    LAUNCH = "launch", _("Launch")
    WORKING_SESSION = "working_session", _("Working session")
    WORKSHOP = "workshop", _("Workshop")
    TRAINING = "training", _("Training")
    LANDSCAPE_BRIEFING = "landscape_briefing", _("Landscape briefing")


class ConveningStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


def validate_offsets(value) -> None:
    """Reminder offsets: minutes before the start, each between 5 minutes and 14 days."""
    if not isinstance(value, list) or not all(
        isinstance(item, int) and 5 <= item <= 14 * 24 * 60 for item in value
    ):
        raise ValidationError(
            _("Give reminder times as whole minutes before the start, from 5 to 20160.")
        )


class ConveningSeries(models.Model):
    """A recurring convening (e.g. the City Prevention Team meets quarterly).

    Occurrences are Convening rows made from the rule; one can be moved or cancelled on
    its own (then it is an exception and regenerating the series leaves it alone).
    """

    group = models.ForeignKey(
        WorkingGroup,
        on_delete=models.CASCADE,
        related_name="series",
        verbose_name=_("working group"),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ConveningKind.choices)
    # RFC 5545 recurrence rule without DTSTART, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=TU.
    rrule = models.CharField(_("recurrence rule"), max_length=300)
    # The first occurrence's start; later ones keep its local wall-clock time in the city's zone.
    first_starts_at = models.DateTimeField(_("first occurrence starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    until = models.DateField(_("repeats until"), null=True, blank=True)
    # Local dates (ISO strings) on which the rule does not apply.
    excluded_dates = models.JSONField(_("excluded dates"), default=list, blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("convening series")
        verbose_name_plural = _("convening series")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0), name="series_duration_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ConveningKind.values), name="series_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Convening(models.Model):
    Kind = ConveningKind

    Status = ConveningStatus

    group = models.ForeignKey(
        WorkingGroup,
        on_delete=models.CASCADE,
        related_name="convenings",
        verbose_name=_("working group"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    # Stored in UTC; always shown in the city's own zone.
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    local_moment = models.ForeignKey(
        LocalMoment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="convenings",
        verbose_name=_("local moment"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    series = models.ForeignKey(
        ConveningSeries,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="occurrences",
        verbose_name=_("series"),
    )
    # The start the series' rule gave this occurrence; it identifies the occurrence even
    # after it is moved.
    series_occurrence = models.DateTimeField(_("occurrence of the series"), null=True, blank=True)
    is_series_exception = models.BooleanField(_("changed on its own"), default=False)
    # iCalendar SEQUENCE: raised on every change people are told about.
    sequence = models.PositiveIntegerField(_("revision"), default=0)
    # Minutes before the start; empty means the city's default.
    reminder_offsets_minutes = models.JSONField(
        _("reminders (minutes before)"), null=True, blank=True, validators=[validate_offsets]
    )
    minutes = models.TextField(_("minutes"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("convening")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="convening_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gt=0),
                name="convening_capacity_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ConveningKind.values), name="convening_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ConveningStatus.values), name="convening_status_valid"
            ),
            models.UniqueConstraint(
                fields=["series", "series_occurrence"],
                condition=models.Q(series__isnull=False),
                name="convening_one_per_occurrence",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | models.Q(cancelled_at__isnull=False),
                name="convening_cancelled_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "starts_at"], name="convening_group_start_idx"),
            models.Index(fields=["starts_at"], name="convening_start_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reminder_offsets(self) -> list[int]:
        """Minutes before the start at which reminders go out (the city's, unless set here)."""
        if self.reminder_offsets_minutes is not None:
            return list(self.reminder_offsets_minutes)
        return list(self.group.city.reminder_offsets_minutes)

    @property
    def ical_uid(self) -> str:
        """Stable across every change, so calendars update the event instead of adding one."""
        return f"convening-{self.pk}@prevention-portal"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A convening must end after it starts.")})
        if not self.place and not self.online_url:
            raise ValidationError(_("Give a place, an online link or both."))


class InvitationResponse(models.TextChoices):
    PENDING = "pending", _("Not answered")
    YES = "yes", _("Yes")
    NO = "no", _("No")
    MAYBE = "maybe", _("Maybe")


class Invitation(models.Model):
    """One person invited to one convening, and their answer (RSVP)."""

    Response = InvitationResponse

    convening = models.ForeignKey(
        Convening,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("convening"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("person")
    )
    response = models.CharField(
        _("answer"), max_length=8, choices=Response.choices, default=Response.PENDING
    )
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # A yes past capacity waits here; the earliest is promoted when a seat frees up.
    waitlisted_at = models.DateTimeField(_("on the waitlist since"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("promoted from the waitlist at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        constraints = [
            models.UniqueConstraint(
                fields=["convening", "person"], name="invitation_one_per_person"
            ),
            models.CheckConstraint(
                condition=models.Q(response__in=InvitationResponse.values),
                name="invitation_response_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(response="pending") | models.Q(responded_at__isnull=False),
                name="invitation_answer_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(waitlisted_at__isnull=True) | models.Q(response="yes"),
                name="invitation_waitlist_only_for_yes",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "convening"], name="invitation_person_idx"),
            models.Index(
                fields=["convening", "waitlisted_at"],
                condition=models.Q(waitlisted_at__isnull=False),
                name="invitation_waitlist_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.convening}"

    @property
    def has_seat(self) -> bool:
        return self.response == InvitationResponse.YES and self.waitlisted_at is None


class Attendance(models.Model):
    """Who came. The leg is copied at the time so counts by leg survive a person's erasure."""

    convening = models.ForeignKey(
        Convening,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("convening"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendances",
        verbose_name=_("person"),
    )
    leg = models.CharField(_("leg"), max_length=20, choices=Leg.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["convening", "person"],
                condition=models.Q(person__isnull=False),
                name="attendance_once_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(leg__in=Leg.values), name="attendance_leg_valid"
            ),
        ]
        indexes = [models.Index(fields=["convening", "leg"], name="attendance_leg_idx")]

    def __str__(self) -> str:
        return f"{self.person or _('erased person')} at {self.convening}"
