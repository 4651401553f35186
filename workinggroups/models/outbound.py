"""The outbound ledger for convenings: every message to a person is a row first.

A beat task claims due rows and short tasks send them (ARCHITECTURE.md, "Outbound mail is
data first"). The unique key makes "at most once" a database fact, not a hope.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Person
from workinggroups.models.convenings import Convening


class MessageKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")
    UPDATE = "update", _("Change of time or place")
    CANCELLATION = "cancellation", _("Cancellation")
    PROMOTION = "promotion", _("A seat freed up")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    MISSED = "missed", _("Missed (too late to send)")
    SKIPPED = "skipped", _("Skipped")


class ConveningMessage(models.Model):
    convening = models.ForeignKey(
        Convening, on_delete=models.CASCADE, related_name="messages", verbose_name=_("convening")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="convening_messages", verbose_name=_("to")
    )
    kind = models.CharField(_("kind"), max_length=14, choices=MessageKind.choices)
    # For reminders: minutes before the start. 0 for every other kind.
    offset_minutes = models.PositiveIntegerField(_("minutes before the start"), default=0)
    # The convening's SEQUENCE the message speaks of (a second move sends a second update).
    sequence = models.PositiveIntegerField(_("revision"), default=0)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("convening message")
        constraints = [
            models.UniqueConstraint(
                fields=["convening", "person", "kind", "offset_minutes", "sequence"],
                name="convening_message_once",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=MessageKind.values), name="convening_message_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values),
                name="convening_message_status",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="convening_message_sent_has_time",
            ),
        ]
        indexes = [
            # The beat's sweep reads only what is still pending, by due time.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending"),
                name="convening_message_due_idx",
            ),
            # Rows stuck mid-send are looked for by claim time.
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="convening_message_stuck_idx",
            ),
            models.Index(fields=["convening", "kind"], name="convening_message_conv_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.person} ({self.convening})"
