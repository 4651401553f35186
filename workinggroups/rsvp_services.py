"""Answers to invitations (RSVP), capacity and the waitlist.

Every answer to a convening locks the convening's row first, so answers to the same
convening are taken one at a time: two people can never both take the last seat.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from workinggroups.models import Convening, ConveningStatus, Invitation, InvitationResponse
from workinggroups.signals import seat_promoted

ANSWERS = (InvitationResponse.YES, InvitationResponse.NO, InvitationResponse.MAYBE)


class RefusalReason(StrEnum):
    INVALID = "invalid"  # no such invitation for this person
    CANCELLED = "cancelled"
    STARTED = "started"  # answers close at the start
    ENDED = "ended"  # the link has expired with the convening


class AnswerRefused(Exception):
    """The answer was not taken; nothing changed. `convening` is set when one was found."""

    def __init__(self, reason: RefusalReason, convening: Convening | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.convening = convening


@dataclass(frozen=True)
class AnswerResult:
    invitation: Invitation
    # A yes past capacity: the person waits for a seat.
    waitlisted: bool
    promoted: list[Invitation]


def answer_window_refusal(convening: Convening, now=None) -> RefusalReason | None:
    """Why a convening takes no answers now, or None when it does."""
    now = now or timezone.now()
    if convening.status == ConveningStatus.CANCELLED:
        return RefusalReason.CANCELLED
    if now >= convening.ends_at:
        return RefusalReason.ENDED
    if now >= convening.starts_at:
        return RefusalReason.STARTED
    return None


def invitation_answer(
    *, invitation_id: int, person_id: int, answer: str, actor=None
) -> AnswerResult:
    """Record a person's answer to their invitation; seat, waitlist or promote as needed.

    Refuse (AnswerRefused) when the invitation is not this person's, the convening is
    cancelled, or it has started. A constant number of queries, whatever the invitation count.
    """
    if answer not in ANSWERS:
        raise ValueError(f"not an answer: {answer!r}")
    with transaction.atomic():
        # The convening's row is the lock every answer to it waits on. Only that row: the
        # invitation is read after the lock is held (a row read in the same statement could
        # be a version from before the wait), and promotions lock invitations after it.
        convening = next(
            iter(
                Convening.objects.select_for_update(of=("self",))
                .filter(invitations__pk=invitation_id, invitations__person_id=person_id)
                .order_by()[:1]
            ),
            None,
        )
        if convening is None:
            raise AnswerRefused(RefusalReason.INVALID)
        now = timezone.now()
        refusal = answer_window_refusal(convening, now)
        if refusal is not None:
            raise AnswerRefused(refusal, convening)
        invitation = Invitation.objects.get(pk=invitation_id)
        invitation.convening = convening
        if invitation.response == answer:
            return AnswerResult(invitation, invitation.waitlisted_at is not None, [])
        had_seat = invitation.has_seat
        invitation.response = answer
        invitation.responded_at = now
        if answer == InvitationResponse.YES:
            if convening.capacity is not None and _seated(convening) >= convening.capacity:
                invitation.waitlisted_at = now
        else:
            invitation.waitlisted_at = None
        invitation.save(update_fields=["response", "responded_at", "waitlisted_at"])
        # Without a capacity nobody waits (a capacity removed promotes everyone waiting:
        # convening_services._fill_free_seats), so a freed seat has no one to go to.
        frees_a_seat = had_seat and convening.capacity is not None
        promoted = promote_waiting(convening, seats=1, now=now) if frees_a_seat else []
    return AnswerResult(invitation, invitation.waitlisted_at is not None, promoted)


def _seated(convening: Convening) -> int:
    return Invitation.objects.filter(
        convening=convening, response=InvitationResponse.YES, waitlisted_at__isnull=True
    ).count()


def promote_waiting(convening: Convening, *, seats: int, now=None) -> list[Invitation]:
    """Give up to `seats` free seats to the longest-waiting yeses; call with the convening
    row locked. Sends seat_promoted for each, inside the caller's transaction."""
    if seats <= 0:
        return []
    now = now or timezone.now()
    waiting = list(
        Invitation.objects.filter(convening=convening, waitlisted_at__isnull=False).order_by(
            "waitlisted_at", "pk"
        )[:seats]
    )
    if not waiting:
        return []
    Invitation.objects.filter(pk__in=[w.pk for w in waiting]).update(
        waitlisted_at=None, promoted_at=now
    )
    for invitation in waiting:
        invitation.waitlisted_at = None
        invitation.promoted_at = now
        invitation.convening = convening
        seat_promoted.send(sender=Invitation, invitation=invitation)
    return waiting


def free_seats(convening: Convening) -> int | None:
    """Seats still free (None: no limit); call with the convening row locked."""
    if convening.capacity is None:
        return None
    return max(convening.capacity - _seated(convening), 0)
