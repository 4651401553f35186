"""What carries a convening forward: action items, and each member's calendar feed."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Person
from workinggroups.models.convenings import Convening
from workinggroups.models.groups import WorkingGroup


class ActionItem(models.Model):
    """Agreed at a convening; open items carry into the next convening's agenda."""

    group = models.ForeignKey(
        WorkingGroup,
        on_delete=models.CASCADE,
        related_name="action_items",
        verbose_name=_("working group"),
    )
    raised_at = models.ForeignKey(
        Convening,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("agreed at"),
    )
    description = models.CharField(_("what"), max_length=500)
    owner = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("action item")
        ordering = ["done_at", "due_on", "created_at"]
        indexes = [
            models.Index(
                fields=["group", "due_on"],
                condition=models.Q(done_at__isnull=True),
                name="action_item_open_idx",
            )
        ]

    def __str__(self) -> str:
        return self.description


class CalendarFeed(models.Model):
    """A member's private iCalendar subscription address; revoking it makes a new one."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="calendar_feeds", verbose_name=_("person")
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(revoked_at__isnull=True),
                name="calendar_feed_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} calendar feed"
