"""The periods a funder's report covers: by default the quarters of the grant, or any
from/to the requester gives.

Quarters run from the programme's start: Q1 is `starts_on` to three months later less a day,
and so on up to `ends_on` (the last quarter may be short). A period is checked before a
report is made: it ends on or after its start, and it overlaps the time the portal can have
records of (from the earliest programme's start to today). A period inside that span with
nothing in it is fine: its report is empty but valid (zeros).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.utils import formats
from django.utils.translation import gettext as _

from stakeholders.models import Programme

CUSTOM = "custom"
# A report longer than this is almost always a typing mistake (a year 2204); the grant runs
# two years, so ten covers any extension.
MAX_PERIOD_DAYS = 10 * 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str = ""

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _day(value: date) -> str:
    return formats.date_format(value, "j M Y")


def grant_quarters(programme: Programme, *, prefix: bool = False) -> list[Period]:
    """The programme's quarters, Q1 first, the last one cut at `ends_on`."""
    quarters, number = [], 1
    start = programme.starts_on
    while start <= programme.ends_on:
        end = min(
            programme.starts_on + relativedelta(months=3 * number) - timedelta(days=1),
            programme.ends_on,
        )
        label = _("Q%(number)s of the grant: %(start)s to %(end)s") % {
            "number": number,
            "start": _day(start),
            "end": _day(end),
        }
        if prefix:
            label = f"{programme.name}, {label}"
        quarters.append(Period(start=start, end=end, label=label))
        number += 1
        start = end + timedelta(days=1)
    return quarters


def quarter_choices(programmes: Iterable[Programme]) -> list[Period]:
    """Every programme's quarters (named after their programme when there are several)."""
    programmes = list(programmes)
    prefix = len(programmes) > 1
    return [period for p in programmes for period in grant_quarters(p, prefix=prefix)]


def default_quarter(quarters: list[Period], today: date) -> Period | None:
    """The latest quarter that has ended; else the one under way; else the first."""
    ended = [q for q in quarters if q.end < today]
    if ended:
        return max(ended, key=lambda q: q.end)
    running = [q for q in quarters if q.start <= today]
    if running:
        return max(running, key=lambda q: q.start)
    return quarters[0] if quarters else None


def period_errors(start: date, end: date, *, earliest: date | None, today: date) -> list[str]:
    """What is wrong with a period, in words for the requester; empty when it may be used.

    `earliest` is the first day the portal can hold records for (the earliest programme's
    start); None when there is no programme yet.
    """
    if end < start:
        return [_("The period ends before it starts: give an end date on or after the start.")]
    errors = []
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        errors.append(_("The period is longer than ten years: check the dates."))
    if start > today:
        errors.append(
            _("The period starts after today (%(today)s): there is nothing to report yet.")
            % {"today": _day(today)}
        )
    if earliest is None:
        errors.append(_("No programme is set up yet, so there is nothing to report."))
    elif end < earliest:
        errors.append(
            _("The period ends before the programme started (%(start)s): nothing can be in it.")
            % {"start": _day(earliest)}
        )
    return errors
