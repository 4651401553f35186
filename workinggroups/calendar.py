"""iCalendar for convenings: the attachment of each message and a member's subscription feed.

Times are written in the city's own zone with a VTIMEZONE for it, so a calendar shows
09:00 MST even when the reader's device is set elsewhere, and keeps the wall-clock time
across a daylight-saving change. The UID is stable and SEQUENCE follows the convening's
revision, so a change or a cancellation updates the event already in the calendar.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress

from workinggroups.models import Convening, ConveningStatus, Invitation, InvitationResponse
from workinggroups.rsvp_tokens import rsvp_url

PRODID = "-//Strong Cities//Prevention portal//EN"

PARTSTAT = {
    InvitationResponse.PENDING: "NEEDS-ACTION",
    InvitationResponse.YES: "ACCEPTED",
    InvitationResponse.NO: "DECLINED",
    InvitationResponse.MAYBE: "TENTATIVE",
}


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["CN"] = name
    return organizer


def _attendee(invitation: Invitation) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{invitation.person.email}")
    attendee.params["CN"] = invitation.person.full_name
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = PARTSTAT.get(invitation.response, "NEEDS-ACTION")
    attendee.params["RSVP"] = "TRUE"
    return attendee


def convening_event(
    convening: Convening,
    *,
    invitation: Invitation | None = None,
    cancelled: bool = False,
    now: datetime | None = None,
) -> Event:
    """One VEVENT for the convening; with an invitation, it names the attendee and RSVP links."""
    zone = convening.group.city.zone
    event = Event()
    event.add("uid", convening.ical_uid)
    event.add("sequence", convening.sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(UTC))
    event.add("dtstart", convening.starts_at.astimezone(zone))
    event.add("dtend", convening.ends_at.astimezone(zone))
    event.add("summary", convening.title)
    is_cancelled = cancelled or convening.status == ConveningStatus.CANCELLED
    event.add("status", "CANCELLED" if is_cancelled else "CONFIRMED")
    if convening.place:
        event.add("location", convening.place)
    elif convening.online_url:
        event.add("location", convening.online_url)
    if convening.online_url:
        event.add("url", convening.online_url)
    description = [convening.agenda.strip()] if convening.agenda.strip() else []
    if convening.place and convening.online_url:
        description.append(_("Join online: %(url)s") % {"url": convening.online_url})
    if invitation is not None and not is_cancelled:
        description.append(
            _("Your answer: yes %(yes)s | maybe %(maybe)s | no %(no)s")
            % {answer: rsvp_url(invitation, answer) for answer in ("yes", "maybe", "no")}
        )
    if description:
        event.add("description", "\n\n".join(description))
    event.add("organizer", _organizer())
    if invitation is not None:
        event.add("attendee", _attendee(invitation))
    return event


def _calendar(events: list[Event], *, method: str | None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    for event in events:
        calendar.add_component(event)
    if events:
        # Transitions for the years the events span only: a VTIMEZONE from 1970 to 2038
        # would be most of every attachment.
        years = [event.DTSTART.year for event in events] + [event.DTEND.year for event in events]
        calendar.add_missing_timezones(
            first_date=date(min(years), 1, 1), last_date=date(max(years) + 1, 1, 1)
        )
    return calendar.to_ical()


def invitation_ics(*, invitation: Invitation, method: str, now: datetime | None = None) -> bytes:
    """The attachment of one message: METHOD:REQUEST, or CANCEL for a cancellation."""
    event = convening_event(
        invitation.convening, invitation=invitation, cancelled=method == "CANCEL", now=now
    )
    return _calendar([event], method=method)


def feed_ics(*, invitations: Iterable[Invitation], now: datetime | None = None) -> bytes:
    """A subscription feed: no METHOD (it publishes, it does not invite); cancelled events
    stay in with STATUS:CANCELLED so subscribed calendars drop them."""
    events = [
        convening_event(invitation.convening, invitation=invitation, now=now)
        for invitation in invitations
    ]
    return _calendar(events, method=None)
