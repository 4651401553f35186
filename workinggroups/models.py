"""Working groups, memberships, convenings, invitations (RSVPs) and attendance."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City, Leg, Person


class ExistingInitiative(models.Model):
    """A body the prevention effort can be folded into (DOMAIN.md lesson 4)."""

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="initiatives", verbose_name=_("city")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("existing initiative")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="initiative_unique_in_city")
        ]

    def __str__(self) -> str:
        return self.name


class GroupKind(models.TextChoices):
    LOCAL_LEADERSHIP_GROUP = "llg", _("Local Leadership Group")
    CITY_PREVENTION_TEAM = "cpt", _("City Prevention Team")


class GroupStatus(models.TextChoices):
    FORMING = "forming", _("Forming")
    ACTIVE = "active", _("Active")
    HANDED_OVER = "handed_over", _("Handed over")
    CLOSED = "closed", _("Closed")


class WorkingGroup(models.Model):
    Kind = GroupKind

    Status = GroupStatus

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="working_groups", verbose_name=_("city")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.FORMING
    )
    purpose = models.TextField(_("purpose"), blank=True)
    formed_on = models.DateField(_("formed on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    initiatives = models.ManyToManyField(
        ExistingInitiative,
        blank=True,
        related_name="working_groups",
        verbose_name=_("folded into existing initiatives"),
    )

    class Meta:
        verbose_name = _("working group")
        ordering = ["city__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="group_unique_in_city"),
            models.CheckConstraint(
                condition=models.Q(kind__in=GroupKind.values), name="group_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=GroupStatus.values), name="group_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(formed_on__isnull=True)
                | models.Q(ends_on__gte=models.F("formed_on")),
                name="group_ends_after_formed",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    CO_CHAIR = "co_chair", _("Co-chair")
    MEMBER = "member", _("Member")
    OBSERVER = "observer", _("Observer")


class Membership(models.Model):
    Role = MembershipRole

    group = models.ForeignKey(
        WorkingGroup,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("working group"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        ordering = ["group", "person__full_name"]
        constraints = [
            # A person may leave and rejoin, but holds one current seat in a group at a time.
            models.UniqueConstraint(
                fields=["group", "person"],
                condition=models.Q(ended_on__isnull=True),
                name="membership_one_current_seat",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="membership_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=MembershipRole.values), name="membership_role_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["person"],
                condition=models.Q(ended_on__isnull=True),
                name="membership_current_by_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.group}"

    def clean(self) -> None:
        if self.group_id and self.person_id and self.group.city_id != self.person.city_id:
            raise ValidationError(_("A person can only sit on a working group of their own city."))

    @property
    def is_current(self) -> bool:
        return self.ended_on is None or self.ended_on >= timezone.localdate()


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
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
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
        ]
        indexes = [
            models.Index(fields=["group", "starts_at"], name="convening_group_start_idx"),
            models.Index(fields=["starts_at"], name="convening_start_idx"),
        ]

    def __str__(self) -> str:
        return self.title

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
        ]
        indexes = [models.Index(fields=["person", "convening"], name="invitation_person_idx")]

    def __str__(self) -> str:
        return f"{self.person} → {self.convening}"


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
