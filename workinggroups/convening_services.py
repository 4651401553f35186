"""Scheduling convenings and series, and inviting people to them.

Each service is one transaction that locks the rows it changes and sends the convening
signals (workinggroups.signals) inside it, so the outbound ledger's rows commit or roll
back with the change. Nothing here blocks on words or missing legs: those are warnings,
computed by `invitation_warnings` for the pages to show.
"""

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.models import Leg, Person
from workinggroups import series as series_rules
from workinggroups.models import (
    Convening,
    ConveningSeries,
    ConveningStatus,
    Invitation,
    Membership,
    WorkingGroup,
)
from workinggroups.rsvp_services import free_seats, promote_waiting
from workinggroups.signals import convening_cancelled, convening_invited, convening_moved
from workinggroups.terminology import Finding, check_terminology


class ConveningNotChangeable(Exception):
    """The convening's state does not allow the change; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ConveningDetails:
    """What a coordinator enters for one convening (times already in UTC)."""

    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    online_url: str = ""
    agenda: str = ""
    capacity: int | None = None
    reminder_offsets_minutes: list[int] | None = None


@dataclass
class SeriesDetails:
    """What a coordinator enters for a recurring convening."""

    kind: str
    title: str
    rrule: str
    first_starts_at: datetime
    duration_minutes: int
    until: date | None = None
    excluded_dates: list[str] = field(default_factory=list)
    place: str = ""
    online_url: str = ""
    agenda: str = ""
    capacity: int | None = None


_MOVING_FIELDS = ("starts_at", "ends_at", "place", "online_url")


def _lock(convening_id: int) -> Convening:
    return (
        Convening.objects.select_for_update(of=("self",))
        .select_related("group__city")
        .get(pk=convening_id)
    )


def convening_schedule(*, actor, group: WorkingGroup, details: ConveningDetails) -> Convening:
    """Schedule a single convening of a working group."""
    with transaction.atomic():
        convening = Convening(group=group, **_as_kwargs(details))
        convening.full_clean()
        convening.save()
        _audit(actor, AuditAction.CONVENING_SCHEDULED, convening)
    return convening


def _audit(actor, action: AuditAction, convening: Convening, **detail) -> None:
    audit_record(actor=actor, action=action, city=convening.group.city, target=convening, **detail)


def convening_update(*, actor, convening_id: int, details: ConveningDetails) -> Convening:
    """Change a convening. A new time or place raises its sequence and sends
    convening_moved; an occurrence of a series becomes an exception the series leaves alone;
    a larger capacity gives free seats to the waitlist."""
    with transaction.atomic():
        convening = _lock(convening_id)
        if convening.status == ConveningStatus.CANCELLED:
            raise ConveningNotChangeable(_("A cancelled convening cannot be changed."))
        previous_starts_at = convening.starts_at
        moved = _apply(convening, details)
        if convening.series_id:
            convening.is_series_exception = True
        convening.full_clean()
        convening.save()
        if moved:
            convening_moved.send(
                sender=Convening, convening=convening, previous_starts_at=previous_starts_at
            )
        _fill_free_seats(convening)
        _audit(actor, AuditAction.CONVENING_CHANGED, convening, moved=moved)
    return convening


def _apply(convening: Convening, details: ConveningDetails) -> bool:
    """Copy the details onto the convening; raise its sequence if it moved."""
    moved = any(getattr(convening, name) != getattr(details, name) for name in _MOVING_FIELDS)
    for name, value in _as_kwargs(details).items():
        setattr(convening, name, value)
    if moved:
        convening.sequence += 1
    return moved


def _fill_free_seats(convening: Convening) -> None:
    seats = free_seats(convening)
    if seats is None:
        seats = convening.invitations.filter(waitlisted_at__isnull=False).count()
    promote_waiting(convening, seats=seats)


def convening_cancel(*, actor, convening_id: int) -> Convening:
    """Cancel a convening (and only it, when it belongs to a series)."""
    with transaction.atomic():
        convening = _lock(convening_id)
        if convening.status == ConveningStatus.CANCELLED:
            return convening
        if convening.ends_at <= timezone.now():
            raise ConveningNotChangeable(_("A convening that has ended cannot be cancelled."))
        _cancel(convening)
        if convening.series_id:
            convening.is_series_exception = True
            convening.save(update_fields=["is_series_exception"])
        _audit(actor, AuditAction.CONVENING_CANCELLED, convening)
    return convening


def _cancel(convening: Convening) -> None:
    convening.status = ConveningStatus.CANCELLED
    convening.cancelled_at = timezone.now()
    # Calendar apps apply a CANCEL only when its SEQUENCE is above the one they hold.
    convening.sequence += 1
    convening.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
    convening_cancelled.send(sender=Convening, convening=convening)


def _as_kwargs(details) -> dict:
    return {f.name: getattr(details, f.name) for f in fields(details)}


# --- Invitations ---------------------------------------------------------------------------


def invitable_people(group: WorkingGroup):
    """The group's current members: the only people a convening of it invites."""
    return Person.objects.filter(
        memberships__group=group, memberships__ended_on__isnull=True
    ).distinct()


def invitations_send(*, actor, convening_id: int, person_ids) -> list[Invitation]:
    """Invite current members of the convening's group; people already invited are left as
    they are. Send convening_invited with the new invitations only."""
    with transaction.atomic():
        convening = _lock(convening_id)
        if convening.status == ConveningStatus.CANCELLED:
            raise ConveningNotChangeable(_("Nobody can be invited to a cancelled convening."))
        if convening.starts_at <= timezone.now():
            raise ConveningNotChangeable(_("This convening has started; invite to the next one."))
        wanted = set(
            Membership.objects.filter(
                group_id=convening.group_id, ended_on__isnull=True, person_id__in=set(person_ids)
            ).values_list("person_id", flat=True)
        )
        already = set(
            Invitation.objects.filter(convening=convening, person_id__in=wanted).values_list(
                "person_id", flat=True
            )
        )
        now = timezone.now()
        new = Invitation.objects.bulk_create(
            [
                Invitation(convening=convening, person_id=person_id, invited_at=now)
                for person_id in sorted(wanted - already)
            ]
        )
        for invitation in new:
            invitation.convening = convening
        if new:
            convening_invited.send(sender=Convening, convening=convening, invitations=new)
            _audit(actor, AuditAction.CONVENING_INVITED, convening, people=len(new))
    return new


@dataclass(frozen=True)
class InvitationWarnings:
    """What a coordinator should know before sending invitations. Never a reason to block."""

    missing_legs: list[str]
    words: list[tuple[str, Finding]]  # (where: "title" or "agenda", finding)

    def __bool__(self) -> bool:
        return bool(self.missing_legs or self.words)

    @property
    def messages(self) -> list[str]:
        """The warnings as sentences (lessons 1, 5 and 6)."""
        out = []
        for leg in self.missing_legs:
            out.append(
                _(
                    "No one from %(leg)s is invited: a convening without every leg of the "
                    "stool risks becoming an echo chamber."
                )
                % {"leg": leg.lower()}
            )
        out.extend(terminology_messages(self.words))
        return out


def terminology_messages(words: list[tuple[str, Finding]]) -> list[str]:
    return [
        _("The %(where)s says “%(word)s”: consider “%(suggestion)s”.")
        % {"where": where, "word": finding.word, "suggestion": finding.suggestion}
        for where, finding in words
    ]


def convening_words(*, title: str, agenda: str) -> list[tuple[str, Finding]]:
    """Terminology findings in a convening's title and agenda (lesson 6)."""
    return [(_("title"), f) for f in check_terminology(title)] + [
        (_("agenda"), f) for f in check_terminology(agenda)
    ]


def invitation_warnings(convening: Convening, people) -> InvitationWarnings:
    """Warn when the invited set (already invited plus `people`) leaves a leg out, and when
    the title or agenda uses words lesson 6 advises against."""
    legs = {person.leg for person in people}
    legs |= set(convening.invitations.values_list("person__leg", flat=True).distinct())
    missing = [str(leg.label) for leg in Leg if leg.value not in legs]
    return InvitationWarnings(
        missing_legs=missing,
        words=convening_words(title=convening.title, agenda=convening.agenda),
    )


# --- Series --------------------------------------------------------------------------------


def series_schedule(*, actor, group: WorkingGroup, details: SeriesDetails) -> ConveningSeries:
    """Create a recurring convening and its occurrences up to the horizon."""
    with transaction.atomic():
        series = ConveningSeries(group=group, **_as_kwargs(details))
        series.full_clean()
        series.save()
        _generate(series)
        audit_record(
            actor=actor, action=AuditAction.SERIES_SCHEDULED, city=group.city, target=series
        )
    return series


def series_update(*, actor, series_id: int, details: SeriesDetails) -> ConveningSeries:
    """Change a series and regenerate its future occurrences, leaving alone the ones moved
    or cancelled on their own and everything already past."""
    with transaction.atomic():
        series = (
            ConveningSeries.objects.select_for_update(of=("self",))
            .select_related("group__city")
            .get(pk=series_id)
        )
        for name, value in _as_kwargs(details).items():
            setattr(series, name, value)
        series.full_clean()
        series.save()
        _generate(series)
        audit_record(
            actor=actor, action=AuditAction.SERIES_CHANGED, city=series.group.city, target=series
        )
    return series


def series_extend(*, series_id: int) -> ConveningSeries:
    """Add the occurrences that came within the horizon since the last generation (for a
    periodic task); the series itself is unchanged."""
    with transaction.atomic():
        series = (
            ConveningSeries.objects.select_for_update(of=("self",))
            .select_related("group__city")
            .get(pk=series_id)
        )
        _generate(series)
    return series


def _generate(series: ConveningSeries) -> None:
    """Make the future occurrences match the rule. Matched by local date: an occurrence
    keeps its row (and its invitations) when the series' time of day changes."""
    zone = series.group.city.zone
    now = timezone.now()
    starts = series_rules.occurrence_starts(
        rule=series.rrule,
        first_starts_at=series.first_starts_at,
        zone=zone,
        until=series.until,
        excluded_dates=series.excluded_dates,
        now=now,
    )
    wanted = {series_rules.local_date(start, zone): start for start in starts}
    existing = {
        series_rules.local_date(c.series_occurrence, zone): c
        for c in Convening.objects.select_for_update()
        .filter(series=series, series_occurrence__isnull=False)
        .filter(starts_at__gte=now)
        .order_by("series_occurrence")
    }
    duration = timedelta(minutes=series.duration_minutes)
    horizon_end = starts[-1] if len(starts) >= series_rules.MAX_OCCURRENCES else None
    for day, convening in existing.items():
        if convening.is_series_exception or day in wanted:
            continue
        # Past the horizon's last occurrence the rule was not asked; leave those be.
        if horizon_end is not None and convening.series_occurrence > horizon_end:
            continue
        if convening.status == ConveningStatus.CANCELLED:
            continue
        if convening.invitations.exists():
            _cancel(convening)
        else:
            convening.delete()
    for day, start in wanted.items():
        convening = existing.get(day)
        details = ConveningDetails(
            kind=series.kind,
            title=series.title,
            starts_at=start,
            ends_at=start + duration,
            place=series.place,
            online_url=series.online_url,
            agenda=series.agenda,
            capacity=series.capacity,
            reminder_offsets_minutes=None,
        )
        if convening is None:
            occurrence = Convening(
                group=series.group, series=series, series_occurrence=start, **_as_kwargs(details)
            )
            occurrence.full_clean()
            occurrence.save()
            continue
        if convening.is_series_exception:
            continue
        details.reminder_offsets_minutes = convening.reminder_offsets_minutes
        previous_starts_at = convening.starts_at
        revived = convening.status == ConveningStatus.CANCELLED
        moved = _apply(convening, details)
        if revived:
            # Back on the rule after an edit of the series took it off: the invited are
            # told it is on again, as for a move.
            convening.status = ConveningStatus.SCHEDULED
            convening.cancelled_at = None
            if not moved:
                convening.sequence += 1
            moved = True
        convening.series_occurrence = start
        convening.full_clean()
        convening.save()
        if moved:
            convening_moved.send(
                sender=Convening, convening=convening, previous_starts_at=previous_starts_at
            )
        _fill_free_seats(convening)
