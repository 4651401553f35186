"""Wall-clock time in a city's zone, and the occurrences of a recurring convening.

People agree to meet "at 17:30 on the second Tuesday", in their own city's time: a series
keeps that local time across daylight-saving changes, so its UTC instants move by an hour
twice a year. Local times that do not exist (the spring-forward gap) or happen twice (the
fall-back hour) are resolved here, in one place, for forms and services alike.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil import rrule as dateutil_rrule
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# How far ahead a series has rows: a year, and never more than this many occurrences.
HORIZON = timedelta(days=366)
MAX_OCCURRENCES = 24

# At most one occurrence a day: the local date identifies an occurrence when the series'
# time of day is edited, so finer rules (and rule parts that pick hours) are refused. The
# end is the form's "repeats until" (COUNT and UNTIL are refused), so every rule is bounded.
_ALLOWED_FREQ = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_REFUSED_PARTS = {"DTSTART", "BYHOUR", "BYMINUTE", "BYSECOND", "UNTIL", "COUNT"}


class NonexistentLocalTime(ValueError):
    """The wall-clock time is skipped by a daylight-saving change (e.g. 02:30 in March)."""


@dataclass(frozen=True)
class LocalTime:
    """A local date and time resolved to one UTC instant."""

    utc: datetime
    # The time happened twice (fall-back); the first, daylight-saving one was taken.
    ambiguous: bool


def resolve_local(day: date, at: time, zone: zoneinfo.ZoneInfo) -> LocalTime:
    """Turn a local date and time in `zone` into UTC; refuse times that do not exist."""
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    # A time in the gap does not survive the round trip through UTC.
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(naive.isoformat())
    ambiguous = first.utcoffset() != second.utcoffset()
    return LocalTime(utc=first.astimezone(UTC), ambiguous=ambiguous)


def _naive_local(instant: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _occurrence_utc(naive: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    # In the gap the meeting keeps its place in the day: 02:30 becomes 03:30 daylight time.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def parse_rule(rule: str, first_local: datetime) -> dateutil_rrule.rrule:
    """Parse an RFC 5545 RRULE (without DTSTART) starting at a naive local datetime.

    Raise ValidationError with a message a coordinator can act on.
    """
    text = (rule or "").strip().upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        raise ValidationError(_("Give a recurrence rule, e.g. FREQ=MONTHLY;INTERVAL=3."))
    parts = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name or not value:
            raise ValidationError(
                _("“%(part)s” is not a rule part: write NAME=VALUE, separated by “;”."),
                params={"part": part},
            )
        parts[name] = value
    if parts.get("FREQ") not in _ALLOWED_FREQ:
        raise ValidationError(
            _("Start the rule with FREQ=DAILY, FREQ=WEEKLY, FREQ=MONTHLY or FREQ=YEARLY.")
        )
    interval = parts.get("INTERVAL", "1")
    # INTERVAL=0 would never advance: dateutil loops for ever on it.
    if not interval.isdigit() or not 1 <= int(interval) <= 366:
        raise ValidationError(_("INTERVAL must be a whole number from 1 to 366."))
    refused = sorted(_REFUSED_PARTS & parts.keys())
    if refused:
        raise ValidationError(
            _(
                "%(parts)s cannot be used here: the time comes from the first occurrence and "
                "the end from “repeats until”."
            ),
            params={"parts": ", ".join(refused)},
        )
    try:
        parsed = dateutil_rrule.rrulestr(text, dtstart=first_local)
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise ValidationError(
            _("This recurrence rule cannot be read: %(error)s"), params={"error": str(error)}
        ) from error
    if not isinstance(parsed, dateutil_rrule.rrule):
        raise ValidationError(_("Give one recurrence rule."))
    return parsed


def occurrence_starts(
    *,
    rule: str,
    first_starts_at: datetime,
    zone: zoneinfo.ZoneInfo,
    until: date | None = None,
    excluded_dates: list[str] | tuple[str, ...] = (),
    now: datetime | None = None,
) -> list[datetime]:
    """The UTC starts of a series' occurrences from now to the horizon, in order.

    Each keeps the first occurrence's local wall-clock time in `zone`; excluded local dates
    are skipped; at most MAX_OCCURRENCES from now, none past HORIZON from now.
    """
    now = now or timezone.now()
    first_local = _naive_local(first_starts_at, zone)
    parsed = parse_rule(rule, first_local)
    horizon_local = _naive_local(now + HORIZON, zone)
    last_local = horizon_local
    if until is not None:
        last_local = min(last_local, datetime.combine(until, time.max))
    skip = set(excluded_dates)
    # Bound the rule itself, so a rule that never matches stops at the horizon.
    bounded = parsed.replace(until=last_local)
    starts = []
    for naive in bounded:
        if naive.date().isoformat() in skip:
            continue
        instant = _occurrence_utc(naive, zone)
        if instant < now:
            continue
        starts.append(instant)
        if len(starts) >= MAX_OCCURRENCES:
            break
    return starts


def local_date(instant: datetime, zone: zoneinfo.ZoneInfo) -> date:
    return instant.astimezone(zone).date()
