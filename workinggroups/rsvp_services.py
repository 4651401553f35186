"""Answers to invitations (RSVP), capacity and the waitlist.

An answer that may take or free a seat locks the convening's row first, so such answers to
the same convening are taken one at a time: two people can never both take the last seat.
Every other answer (the convening has no capacity, or neither the old nor the new answer is
a yes) touches no one else's row, and is one UPDATE of the invitation on its own
(`_answer_at_once`): no transaction to open, no lock to wait on.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import connection, transaction
from django.utils import timezone

from stakeholders.models import Person
from workinggroups.models import (
    Convening,
    ConveningStatus,
    Invitation,
    InvitationResponse,
    WorkingGroup,
)
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
    return _answer_at_once(
        "i.id = %s AND i.person_id = %s", [invitation_id, person_id], answer
    ) or invitation_answer_locked(
        invitation_id=invitation_id, person_id=person_id, answer=answer, actor=actor
    )


def own_invitation_answer_at_once(
    *, convening_id: int, person_id: int, answer: str, actor=None
) -> AnswerResult | None:
    """Record a signed-in person's answer to their invitation to a convening of their own
    city, when it can be taken at once (see the module's docstring): one query.

    Return None when it is not taken so: no such invitation, a convening of another city,
    answers closed, the same answer again, or a seat to take or free. The caller then checks
    access (a 404 outside the person's scope) and calls invitation_answer_locked.
    """
    if answer not in ANSWERS:
        raise ValueError(f"not an answer: {answer!r}")
    # The member's scope (workinggroups.permissions): a person sees the convenings of their
    # own city's groups, here those they are invited to. Anyone else goes the long way.
    scope = (
        f"i.convening_id = %s AND i.person_id = %s AND EXISTS (SELECT 1 FROM {_PERSON} p"  # noqa: S608
        f" JOIN {_GROUP} g ON g.city_id = p.city_id WHERE p.id = i.person_id"
        " AND g.id = c.group_id)"
    )
    return _answer_at_once(scope, [convening_id, person_id], answer)


_INVITATION = Invitation._meta.db_table
_CONVENING = Convening._meta.db_table
_PERSON = Person._meta.db_table
_GROUP = WorkingGroup._meta.db_table
_INVITATION_COLUMNS = [f.attname for f in Invitation._meta.concrete_fields]


def _answer_at_once(where: str, params: list, answer: str) -> AnswerResult | None:
    """The answer as one UPDATE, when it neither takes nor frees a seat; None otherwise.

    Safe without the convening's lock: no capacity means no seat to count and nobody waiting
    (removing a capacity promotes everyone, under that lock); with a capacity, a row that is
    not a yes is never touched by a promotion, and a no or maybe takes no seat. A concurrent
    change of the same row is re-checked by PostgreSQL against the newest version (READ
    COMMITTED), so a row that became a yes meanwhile is left to the locked path.
    """
    now = timezone.now()
    returning = ", ".join(f"i.{column}" for column in _INVITATION_COLUMNS)
    sql = (
        f"UPDATE {_INVITATION} AS i SET response = %s, responded_at = %s, waitlisted_at = NULL"  # noqa: S608
        f" FROM {_CONVENING} AS c WHERE c.id = i.convening_id AND {where}"
        " AND c.status = %s AND c.starts_at > %s AND i.response <> %s"
        " AND (c.capacity IS NULL OR (%s <> 'yes' AND i.response <> 'yes'))"
        f" RETURNING {returning}, c.title"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [answer, now, *params, ConveningStatus.SCHEDULED, now, answer, answer],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    invitation = Invitation.from_db(connection.alias, _INVITATION_COLUMNS, row[:-1])
    # Only the title is read (for the message); any other field loads on first use.
    invitation.convening = Convening.from_db(
        connection.alias, ["id", "title"], [invitation.convening_id, row[-1]]
    )
    return AnswerResult(invitation, False, [])


def invitation_answer_locked(
    *, invitation_id: int, person_id: int, answer: str, actor=None
) -> AnswerResult:
    """invitation_answer under the convening's lock: the way for every answer, and the only
    one for an answer that takes or frees a seat."""
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
