"""Reads for a city's institution pages: how institutionalised its prevention effort is
(DOMAIN.md lesson 1), and its calendar of local moments (lesson 4).

`institutionalisation_statuses` is built for the cross-pilot dashboard: it answers for a
thousand cities in three queries, whatever their number.
"""

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stakeholders.models import BudgetLine, City, CommunityGrant, LocalMoment, Organisation
from stakeholders.roles import Viewer

# Most US cities run their fiscal year from 1 July and name it after the year it ends in
# (FY2026 = July 2025 to June 2026): Albuquerque, Chattanooga and Stamford among the
# pilots. The City model has no field for it yet; until it has, every city is read this
# way (see the report to the lead).
FISCAL_YEAR_START_MONTH = 7
# A transition this close leaves one budget cycle, at most, to make the effort outlast it.
TRANSITION_HORIZON_MONTHS = 12
# A moment this close is highlighted with advice: enough time to convene or brief.
SOON_DAYS = 30
# A convening may follow up on a moment of the last three months (the echo of a crisis,
# the weeks after an election).
RECENT_DAYS = 90


# --- Dates in the city's terms --------------------------------------------------------------


def city_today(city: City) -> date:
    """Today's date where the city is (a moment "tomorrow" in Denver may be today in UTC)."""
    return timezone.now().astimezone(city.zone).date()


def fiscal_year_of(day: date, start_month: int = FISCAL_YEAR_START_MONTH) -> int:
    """The fiscal year `day` falls in, named after the calendar year it ends in."""
    if start_month == 1:
        return day.year
    return day.year + 1 if day.month >= start_month else day.year


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def format_day(day: date) -> str:
    return formats.date_format(day, "D j M Y")


# --- Institutionalisation -------------------------------------------------------------------

NO_LEAD = "no_lead"
ONE_OFFICE_HOLDER = "rests_on_one_office_holder"
NO_BUDGET_BEFORE_TRANSITION = "no_budget_line_before_transition"
TRANSITION_DATE_PASSED = "transition_date_passed"


@dataclass(frozen=True)
class InstitutionWarning:
    code: str
    message: str


@dataclass(frozen=True)
class InstitutionalisationStatus:
    """What keeps a city's effort alive past one office holder, with the warnings as data."""

    city_id: int
    today: date
    fiscal_year: int
    budget_this_year: Decimal
    budget_next_year: Decimal
    grants_this_year: int
    grants_amount_this_year: Decimal
    next_transition: date | None
    warnings: tuple[InstitutionWarning, ...] = ()

    @property
    def next_fiscal_year(self) -> int:
        return self.fiscal_year + 1

    @property
    def warning_codes(self) -> list[str]:
        return [warning.code for warning in self.warnings]

    @property
    def transition_is_near(self) -> bool:
        return bool(
            self.next_transition
            and self.today
            <= self.next_transition
            <= add_months(self.today, TRANSITION_HORIZON_MONTHS)
        )


def institutionalisation_status(city: City, *, today: date | None = None):
    """The institutionalisation status of one city (see `institutionalisation_statuses`)."""
    return institutionalisation_statuses([city], today=today)[city.pk]


def institutionalisation_statuses(
    cities, *, today: date | None = None
) -> dict[int, InstitutionalisationStatus]:
    """The status of each city (a list or queryset of City), by city id, in a constant
    number of queries. `today` defaults to each city's own date; tests pass one."""
    cities = list(cities)
    if not cities:
        return {}
    todays = {city.pk: today or city_today(city) for city in cities}
    years = {fiscal_year_of(day) for day in todays.values()}
    years |= {year + 1 for year in years}
    ids = list(todays)
    budgets: dict[tuple[int, int], Decimal] = {
        (row["city_id"], row["fiscal_year"]): row["total"]
        for row in BudgetLine.objects.filter(city_id__in=ids, fiscal_year__in=years)
        .values("city_id", "fiscal_year")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    grants: dict[tuple[int, int], tuple[int, Decimal]] = {
        (row["city_id"], row["fiscal_year"]): (row["n"], row["total"])
        for row in CommunityGrant.objects.filter(city_id__in=ids, fiscal_year__in=years)
        .values("city_id", "fiscal_year")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    }
    statuses = {}
    for city in cities:
        day = todays[city.pk]
        year = fiscal_year_of(day)
        n_grants, grants_amount = grants.get((city.pk, year), (0, Decimal(0)))
        status = InstitutionalisationStatus(
            city_id=city.pk,
            today=day,
            fiscal_year=year,
            budget_this_year=budgets.get((city.pk, year), Decimal(0)),
            budget_next_year=budgets.get((city.pk, year + 1), Decimal(0)),
            grants_this_year=n_grants,
            grants_amount_this_year=grants_amount,
            next_transition=city.next_mayoral_transition,
        )
        statuses[city.pk] = _with_warnings(status, city)
    return statuses


def _with_warnings(status: InstitutionalisationStatus, city: City) -> InstitutionalisationStatus:
    warnings = []
    has_lead = bool(city.lead_role.strip())
    if not has_lead:
        warnings.append(
            InstitutionWarning(
                NO_LEAD,
                _(
                    "No prevention lead is designated. Name the office that leads the effort "
                    "(a role, not a person), so partners know whom to turn to."
                ),
            )
        )
    has_budget_soon = status.budget_this_year > 0 or status.budget_next_year > 0
    if has_lead and not city.dedicated_staff_fte and not has_budget_soon:
        warnings.append(
            InstitutionWarning(
                ONE_OFFICE_HOLDER,
                _(
                    "The effort rests on one office holder (%(role)s): no dedicated staff and "
                    "no budget line for FY%(year)s or FY%(next)s. If that office changes hands, "
                    "the work may stop. A budget line, dedicated staff time or grants to "
                    "community organisations would let it outlast the term."
                )
                % {
                    "role": city.lead_role,
                    "year": status.fiscal_year,
                    "next": status.fiscal_year + 1,
                },
            )
        )
    if status.transition_is_near and not status.budget_this_year:
        warnings.append(
            InstitutionWarning(
                NO_BUDGET_BEFORE_TRANSITION,
                _(
                    "The next mayoral transition is on %(date)s, within %(months)s months, and "
                    "there is no budget line for this fiscal year (FY%(year)s). A new "
                    "administration may not keep an effort that is not in the budget."
                )
                % {
                    "date": format_day(status.next_transition),
                    "months": TRANSITION_HORIZON_MONTHS,
                    "year": status.fiscal_year,
                },
            )
        )
    if status.next_transition and status.next_transition < status.today:
        warnings.append(
            InstitutionWarning(
                TRANSITION_DATE_PASSED,
                _(
                    "The date given for the next mayoral transition (%(date)s) has passed: "
                    "give the date of the one after."
                )
                % {"date": format_day(status.next_transition)},
            )
        )
    return replace(status, warnings=tuple(warnings))


def city_budget_lines(city: City):
    return BudgetLine.objects.filter(city=city).order_by("-fiscal_year", "source", "pk")


def city_grants(city: City):
    return (
        CommunityGrant.objects.filter(city=city)
        .select_related("organisation")
        .order_by("-fiscal_year", "organisation__name", "pk")
    )


def grantable_organisations(city: City):
    """Grants go to community organisations of the same city only."""
    return Organisation.objects.filter(city=city).order_by("name")


# --- Local moments --------------------------------------------------------------------------


@dataclass
class MomentEntry:
    moment: LocalMoment
    days_until: int
    is_past: bool
    is_ongoing: bool
    is_soon: bool
    # Convenings tied to it, each with `linkable` set when the viewer may open it.
    convenings: list = field(default_factory=list)
    # Briefings the viewer may open (all of them, with their status, for authors).
    briefings: list = field(default_factory=list)
    # Published briefings tied to it that are for other audiences (a count only).
    other_briefings: int = 0
    advice: str = ""

    @property
    def ends_on(self) -> date:
        return self.moment.ends_on or self.moment.starts_on


@dataclass
class MonthGroup:
    month: date
    entries: list[MomentEntry]

    @property
    def label(self) -> str:
        return formats.date_format(self.month, "F Y")


@dataclass
class MomentCalendar:
    today: date
    upcoming: list[MonthGroup]
    past: list[MonthGroup]
    soon: list[MomentEntry]

    @property
    def past_count(self) -> int:
        return sum(len(group.entries) for group in self.past)

    @property
    def is_empty(self) -> bool:
        return not self.upcoming and not self.past


def _advice(entry: MomentEntry) -> str:
    moment = entry.moment
    when = format_day(moment.starts_on)
    kinds = LocalMoment.Kind
    if moment.kind == kinds.ELECTION:
        text = _(
            "The election is on %(date)s: consider a convening or a landscape briefing before "
            "it, on social cohesion and safety around the vote."
        )
    elif moment.kind == kinds.SCHOOL_YEAR:
        text = _(
            "The school year starts on %(date)s: consider a convening with school "
            "administrators, or a landscape briefing, before it."
        )
    elif moment.kind == kinds.STUDENTS_RETURN:
        text = _(
            "Students return on %(date)s: consider a convening or a landscape briefing before."
        )
    elif moment.kind == kinds.GLOBAL_CRISIS_ECHO:
        text = _(
            "“%(title)s” is expected from %(date)s: consider a convening to hear how it is "
            "felt locally, or a landscape briefing on its local echo."
        )
    else:
        text = _("“%(title)s” is on %(date)s: consider a convening or a landscape briefing before.")
    advice = text % {"date": when, "title": moment.title}
    planned = [c for c in entry.convenings if c.status != "cancelled"]
    if planned:
        advice += " " + ngettext(
            "%(n)s convening is tied to it already.",
            "%(n)s convenings are tied to it already.",
            len(planned),
        ) % {"n": len(planned)}
    return advice


def city_moment_calendar(city: City, viewer: Viewer, *, today: date | None = None):
    """The city's local moments as a calendar: upcoming (and ongoing) by month, soonest
    first; past ones by month, latest first. Each with the convenings and the briefings
    tied to it that the viewer may see. A constant number of queries, however many."""
    from briefings.models import Delivery, LandscapeBriefing
    from briefings.permissions import NOT_IN_AUDIENCE, can_author
    from workinggroups.models import Convening, Invitation, Membership

    today = today or city_today(city)
    is_author = can_author(viewer)
    briefings = LandscapeBriefing.objects.order_by("-published_at", "-created_at")
    if not is_author:
        briefings = briefings.filter(status=LandscapeBriefing.Status.PUBLISHED)
    moments = list(
        LocalMoment.objects.filter(city=city)
        .order_by("starts_on", "title", "pk")
        .prefetch_related(
            Prefetch(
                "convenings",
                queryset=Convening.objects.select_related("group").order_by("starts_at"),
            ),
            Prefetch("briefings", queryset=briefings),
        )
    )

    may_coordinate = viewer.can_coordinate(city.pk)
    person_id = viewer.user.person_id if viewer.user.is_authenticated else None
    group_ids: set[int] = set()
    invited_ids: set[int] = set()
    delivered_ids: set[int] = set()
    if moments and person_id:
        if not may_coordinate:
            group_ids = set(
                Membership.objects.filter(
                    person_id=person_id, ended_on__isnull=True, group__city=city
                ).values_list("group_id", flat=True)
            )
            invited_ids = set(
                Invitation.objects.filter(
                    person_id=person_id, convening__local_moment__city=city
                ).values_list("convening_id", flat=True)
            )
        if not is_author:
            delivered_ids = set(
                Delivery.objects.filter(person_id=person_id, briefing__local_moments__city=city)
                .exclude(status=Delivery.Status.SKIPPED, last_error=NOT_IN_AUDIENCE)
                .values_list("briefing_id", flat=True)
            )

    entries = []
    for moment in moments:
        ends_on = moment.ends_on or moment.starts_on
        entry = MomentEntry(
            moment=moment,
            days_until=(moment.starts_on - today).days,
            is_past=ends_on < today,
            is_ongoing=moment.starts_on <= today <= ends_on,
            is_soon=0 <= (moment.starts_on - today).days <= SOON_DAYS,
        )
        for convening in moment.convenings.all():
            convening.linkable = (
                may_coordinate or convening.group_id in group_ids or convening.pk in invited_ids
            )
            entry.convenings.append(convening)
        for briefing in moment.briefings.all():
            readable = (
                is_author
                or briefing.pk in delivered_ids
                or (briefing.tlp == "CLEAR" and briefing.shown_to_all_signed_in)
            )
            if readable:
                entry.briefings.append(briefing)
            else:
                entry.other_briefings += 1
        if entry.is_soon:
            entry.advice = _advice(entry)
        entries.append(entry)

    def by_month(items):
        return [
            MonthGroup(month=month, entries=list(group))
            for month, group in groupby(items, key=lambda e: e.moment.starts_on.replace(day=1))
        ]

    upcoming = [e for e in entries if not e.is_past]
    past = sorted(
        (e for e in entries if e.is_past),
        key=lambda e: (e.moment.starts_on, e.moment.title, e.moment.pk),
        reverse=True,
    )
    return MomentCalendar(
        today=today,
        upcoming=by_month(upcoming),
        past=by_month(past),
        soon=[e for e in upcoming if e.is_soon],
    )


def moments_for_convening_choice(city: City, *, also=(), today: date | None = None):
    """The city's moments a convening may be tied to: upcoming ones and those of the last
    RECENT_DAYS (a convening may follow up on a moment), plus any in `also` (ids), so an
    older tie already made stays valid."""
    today = today or city_today(city)
    since = today - timedelta(days=RECENT_DAYS)
    window = Q(ends_on__gte=since) | Q(ends_on__isnull=True, starts_on__gte=since)
    ids = [int(pk) for pk in also if str(pk).isdigit()]
    return LocalMoment.objects.filter(Q(city=city) & (window | Q(pk__in=ids))).order_by(
        "starts_on", "title"
    )
