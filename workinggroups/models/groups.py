"""Working groups, the initiatives they are folded into, and their memberships."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City, Person


class ExistingInitiative(models.Model):
    """A body the prevention effort can be folded into (DOMAIN.md lesson 4)."""

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="initiatives", verbose_name=_("city")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Who sits on it: the civic load a person already carries (DOMAIN.md lesson 4).
    people = models.ManyToManyField(
        Person, blank=True, related_name="initiatives", verbose_name=_("people on it")
    )

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
