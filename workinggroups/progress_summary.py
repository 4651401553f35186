"""The cross-pilot dashboard's summary: one CityProgress row per city, computed from the
records by Celery, so the dashboard never counts 2,000,000 invitations on a request
(issue #9's design note).

`refresh_cities(ids)` computes and upserts the rows of a batch of cities in a fixed number
of queries, whatever the batch's size: every figure comes from one grouped query over all
the batch's cities (members and participation by leg, ties between legs, convenings held
and attendance by leg per quarter, training coverage, briefings delivered and read,
action items, institutionalisation, the milestone path). Nothing loops over cities in SQL.

Freshness: a change to a record the summary depends on marks its city's row stale
(`mark_stale`, sent by workinggroups.progress_signals after the change commits). The beat
claims stale rows in batches (`refresh_stale`), so a claimed row marked again meanwhile is
stale again and refreshed at the next beat; every row is refreshed nightly (`refresh_all`),
and the oldest rows on the way (`refresh_oldest`), which catches changes no signal sees
(read receipts and sends are bulk UPDATEs).

"Held" means started and not cancelled, as on the group and balance pages; participation
and ties are judged on each group's last RECENT_CONVENINGS held convenings, as there
(workinggroups.balance). Aggregate counts only: no person's name or contact is stored here.
"""

import logging
import time as clock
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.utils import timezone, translation

from briefings.models import Delivery, DeliveryStatus, LandscapeBriefing
from stakeholders import institution_selectors
from stakeholders.models import City, Leg, Person
from trainings import coverage_selectors
from trainings.models import Completion
from workinggroups import balance, milestones
from workinggroups.models import (
    ActionItem,
    Attendance,
    CityProgress,
    Convening,
    ConveningStatus,
    Membership,
    Milestone,
    WorkingGroup,
)

logger = logging.getLogger(__name__)

# Cities per batch: every query of a batch lists the batch's ids, and 200 keeps each under
# a second at full scale (1,000 cities, 200,000 convenings) with memory flat.
BATCH = 200
# The trend charts: this many quarters, the current one included.
QUARTERS = 8
# "No convening held in 90 days" (issue #8).
NO_CONVENING_DAYS = 90
# The beat's sweep stops starting batches after this long, so a sweep never runs into the
# next one (the beat runs every five minutes).
SWEEP_SECONDS = 120
# Rows older than this are refreshed by the sweep when it has time left (read receipts and
# sends change no row through a signal).
MAX_AGE = timedelta(hours=6)
SUMMARY_VERSION = 1

LEGS = [leg.value for leg in Leg]
MILESTONES = list(Milestone.values)

# Warning codes (CityProgress.warning_codes, figures["warnings"]); words come at display.
WEAK_LEG = "weak_leg"
WEAK_TIES = "weak_ties"
NO_RECENT_CONVENING = "no_recent_convening"
NO_BUDGET_BEFORE_TRANSITION = "no_budget_before_transition"
TRAINING_LAGS = "training_lags"

# Institutionalisation status codes (CityProgress.institution_status).
INST_BUDGET = "budget_line"
INST_STAFF = "dedicated_staff"
INST_NO_LEAD = "no_lead"
INST_ONE_HOLDER = "one_office_holder"

# Fields the refresh writes (everything but the key and the stale mark, which the claim
# and mark_stale own).
WRITTEN_FIELDS = [
    "refreshed_at",
    "milestones_reached",
    "members",
    "convenings_held",
    "last_convening_on",
    "people_trained",
    "briefings_delivered",
    "open_action_items",
    "warning_count",
    "last_activity_at",
    "milestone_path",
    "trained_percent",
    "read_rate",
    "institution_status",
    "warning_codes",
    "dashboard_row",
    "row_html",
    "compact_html",
    "html_language",
    "figures",
]


# --- Quarters in each city's own time zone ------------------------------------------------


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def shift_quarters(start: date, quarters: int) -> date:
    index = start.year * 4 + (start.month - 1) // 3 + quarters
    return date(index // 4, (index % 4) * 3 + 1, 1)


def quarter_label(start: date) -> str:
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def quarter_starts(zone_name: str, now: datetime) -> list[date]:
    """The first days of the last QUARTERS quarters where the city is, oldest first."""
    current = quarter_start(now.astimezone(zoneinfo.ZoneInfo(zone_name)).date())
    return [shift_quarters(current, k - QUARTERS + 1) for k in range(QUARTERS)]


def _bucket(field: str, zone_path: str, bounds: dict[str, list]) -> Case:
    """Which of the last QUARTERS quarters a row falls in (0 = oldest), by its city's zone;
    -1 before them. One CASE for every zone of the batch: the query count never depends on
    the zones, and the SQL stays portable (no AT TIME ZONE)."""
    whens = []
    for zone, starts in bounds.items():
        for k in reversed(range(QUARTERS)):
            whens.append(When(Q(**{zone_path: zone, f"{field}__gte": starts[k]}), then=Value(k)))
    return Case(*whens, default=Value(-1), output_field=IntegerField())


# --- The grouped queries ------------------------------------------------------------------


def _in(ids: list[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _recent(ids: list[int], now: datetime) -> list[tuple[int, int]]:
    """Each group's last RECENT_CONVENINGS held convenings, for the batch's cities, as
    (convening id, city id) pairs (one query: a window ranks each group's convenings)."""
    convening = Convening._meta.db_table
    group = WorkingGroup._meta.db_table
    sql = f"""
        SELECT ranked.id, ranked.city_id FROM (
            SELECT c.id, g.city_id,
                   ROW_NUMBER() OVER (
                       PARTITION BY c.group_id ORDER BY c.starts_at DESC, c.id DESC
                   ) AS recent_rank
            FROM {convening} c JOIN {group} g ON g.id = c.group_id
            WHERE g.city_id IN ({_in(ids)}) AND c.starts_at < %s AND c.status <> %s
        ) ranked
        WHERE ranked.recent_rank <= %s
    """  # noqa: S608  (table names from the models; every value is a parameter)
    params = [*ids, now, ConveningStatus.CANCELLED.value, balance.RECENT_CONVENINGS]
    return [(pk, city_id) for pk, city_id in _fetch(sql, params)]


def _recent_cte(recent: list[tuple[int, int]]) -> tuple[str, list]:
    """The recent convenings as a CTE of literal rows: read once, then joined by index in
    the next queries. (As a window inside those queries, the planner guessed a hundred
    times too many rows and scanned all attendance: 3 s a batch instead of 0.1.)"""
    if not recent:
        return "recent(id, city_id) AS (SELECT 0, 0 WHERE 1 = 0)", []
    values = ", ".join(["(%s, %s)"] * len(recent))
    return f"recent(id, city_id) AS (VALUES {values})", [v for row in recent for v in row]


def _leg_rows(ids: list[int], recent) -> dict[int, dict[str, tuple[int, int]]]:
    """{city: {leg: (current members, of whom came to a recent convening)}} (one query):
    each current member of any of the city's groups once, in their leg, as on the city's
    balance page."""
    cte, params = _recent_cte(recent)
    attendance = Attendance._meta.db_table
    membership = Membership._meta.db_table
    person = Person._meta.db_table
    group = WorkingGroup._meta.db_table
    sql = f"""
        WITH {cte},
        came AS (
            SELECT DISTINCT r.city_id, a.person_id
            FROM {attendance} a JOIN recent r ON r.id = a.convening_id
            WHERE a.person_id IS NOT NULL
        ),
        seated AS (
            SELECT DISTINCT g.city_id, m.person_id
            FROM {membership} m JOIN {group} g ON g.id = m.group_id
            WHERE g.city_id IN ({_in(ids)}) AND m.ended_on IS NULL
        )
        SELECT s.city_id, p.leg, COUNT(*), COUNT(came.person_id)
        FROM seated s
        JOIN {person} p ON p.id = s.person_id
        LEFT JOIN came ON came.city_id = s.city_id AND came.person_id = s.person_id
        GROUP BY s.city_id, p.leg
    """  # noqa: S608  (table names from the models; every value is a parameter)
    result: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for city_id, leg, members, active in _fetch(sql, [*params, *ids]):
        result[city_id][leg] = (members, active)
    return result


def _tie_rows(recent) -> dict[int, dict[tuple[str, str], int]]:
    """{city: {(leg, leg): distinct cross-leg pairs of people who took part in the same
    recent convening}} (one query; the balance page's rule, for many cities at once)."""
    cte, params = _recent_cte(recent)
    attendance = Attendance._meta.db_table
    action_item = ActionItem._meta.db_table
    person = Person._meta.db_table
    sql = f"""
        WITH {cte},
        present AS (
            SELECT DISTINCT took_part.city_id, took_part.convening_id, took_part.person_id,
                   person.leg
            FROM (
                SELECT r.city_id, a.convening_id, a.person_id
                FROM {attendance} a JOIN recent r ON r.id = a.convening_id
                WHERE a.person_id IS NOT NULL
                UNION
                SELECT r.city_id, ai.raised_at_id, ai.owner_id
                FROM {action_item} ai JOIN recent r ON r.id = ai.raised_at_id
                WHERE ai.owner_id IS NOT NULL
            ) took_part
            JOIN {person} person ON person.id = took_part.person_id
        ),
        pairs AS (
            SELECT DISTINCT p1.city_id, p1.person_id AS one, p2.person_id AS other,
                   CASE WHEN p1.leg < p2.leg THEN p1.leg ELSE p2.leg END AS leg_a,
                   CASE WHEN p1.leg < p2.leg THEN p2.leg ELSE p1.leg END AS leg_b
            FROM present p1
            JOIN present p2
              ON p2.convening_id = p1.convening_id AND p2.person_id > p1.person_id
            WHERE p1.leg <> p2.leg
        )
        SELECT city_id, leg_a, leg_b, COUNT(*) FROM pairs GROUP BY 1, 2, 3
    """  # noqa: S608  (table names from the models; every value is a parameter)
    result: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for city_id, leg_a, leg_b, pairs in _fetch(sql, params):
        result[city_id][(leg_a, leg_b)] = pairs
    return result


def _convening_rows(ids, now, bounds) -> dict[int, dict[int, tuple[int, datetime]]]:
    """{city: {quarter (-1: before the window): (held, last start)}} (one query)."""
    rows = (
        Convening.objects.filter(group__city_id__in=ids, starts_at__lt=now)
        .exclude(status=ConveningStatus.CANCELLED)
        .annotate(quarter=_bucket("starts_at", "group__city__time_zone", bounds))
        .values("group__city_id", "quarter")
        .annotate(held=Count("pk"), last=Max("starts_at"))
        .order_by()
    )
    result: dict[int, dict[int, tuple[int, datetime]]] = defaultdict(dict)
    for row in rows:
        result[row["group__city_id"]][row["quarter"]] = (row["held"], row["last"])
    return result


def _attendance_rows(ids, now, bounds) -> dict[int, dict[int, dict[str, int]]]:
    """{city: {quarter: {leg: attendances}}} over held convenings, by the leg copied at the
    time (one query)."""
    rows = (
        Attendance.objects.filter(convening__group__city_id__in=ids, convening__starts_at__lt=now)
        .exclude(convening__status=ConveningStatus.CANCELLED)
        .annotate(
            quarter=_bucket("convening__starts_at", "convening__group__city__time_zone", bounds)
        )
        .values("convening__group__city_id", "quarter", "leg")
        .annotate(n=Count("pk"))
        .order_by()
    )
    result: dict[int, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        result[row["convening__group__city_id"]][row["quarter"]][row["leg"]] = row["n"]
    return result


def _completion_rows(ids, date_bounds) -> dict[int, dict[int, tuple[int, date]]]:
    """{city: {quarter: (people who completed a module, last completion)}} over the window
    (one query; a person counts once a quarter, whatever they completed)."""
    earliest = min(starts[0] for starts in date_bounds.values())
    rows = (
        Completion.objects.filter(person__city_id__in=ids, completed_on__gte=earliest)
        .annotate(quarter=_bucket("completed_on", "person__city__time_zone", date_bounds))
        .values("person__city_id", "quarter")
        .annotate(people=Count("person_id", distinct=True), last=Max("completed_on"))
        .order_by()
    )
    result: dict[int, dict[int, tuple[int, date]]] = defaultdict(dict)
    for row in rows:
        result[row["person__city_id"]][row["quarter"]] = (row["people"], row["last"])
    return result


def _delivery_rows(ids) -> tuple[dict, dict]:
    """Per city and leg: recipients, delivered, read (the read-rate page's definitions,
    published briefings only); and per city: briefings delivered (two queries)."""
    scoped = Delivery.objects.filter(
        city_id__in=ids, briefing__status=LandscapeBriefing.Status.PUBLISHED
    )
    reached = Q(status=DeliveryStatus.SENT) | Q(read_at__isnull=False)
    by_leg: dict[int, dict[str, dict]] = defaultdict(dict)
    for row in (
        scoped.values("city_id", "leg")
        .annotate(
            recipients=Count("pk", filter=~Q(status=DeliveryStatus.SKIPPED)),
            delivered=Count("pk", filter=reached),
            read=Count("pk", filter=Q(read_at__isnull=False)),
            last_sent=Max("sent_at"),
            last_read=Max("read_at"),
        )
        .order_by()
    ):
        by_leg[row["city_id"]][row["leg"]] = row
    briefings = {
        row["city_id"]: row["n"]
        for row in scoped.filter(reached)
        .values("city_id")
        .annotate(n=Count("briefing_id", distinct=True))
        .order_by()
    }
    return by_leg, briefings


def _action_rows(ids, today: date) -> dict[int, dict]:
    """Per city: open and overdue action items, and the latest made or done (one query)."""
    open_ = Q(done_at__isnull=True)
    return {
        row["group__city_id"]: row
        for row in ActionItem.objects.filter(group__city_id__in=ids)
        .values("group__city_id")
        .annotate(
            open=Count("pk", filter=open_),
            overdue=Count("pk", filter=open_ & Q(due_on__lt=today)),
            last_created=Max("created_at"),
            last_done=Max("done_at"),
        )
        .order_by()
    }


def _last_activity(ids: list[int]) -> dict[int, datetime | None] | None:
    """The activity feed's own answer (workinggroups.activity), when it is there."""
    try:
        from workinggroups.activity import last_activity_at  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return last_activity_at(ids)
    except NotImplementedError:
        return None


# --- Putting a city's summary together ----------------------------------------------------


def _percent(part: int, whole: int) -> int | None:
    return (100 * part) // whole if whole else None


def _day_start(day: date | None, zone) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=zone) if day else None


def _latest(*moments) -> datetime | None:
    found = [moment for moment in moments if moment is not None]
    return max(found) if found else None


def _warnings(legs, ties, recent: int, last_held: datetime | None, now, coverage, status):
    """The city's warnings as data: [{code, ...params}] (words at display time)."""
    warnings = []
    for leg in legs:
        kind = (
            "missing"
            if leg.is_missing
            else "thin"
            if leg.is_thin
            else "disengaged"
            if leg.is_disengaged
            else ""
        )
        if kind:
            warnings.append({"code": WEAK_LEG, "leg": leg.leg, "kind": kind})
    if recent:
        seated = {leg.leg for leg in legs if leg.members}
        untied = [
            [tie.leg_a, tie.leg_b]
            for tie in ties
            if tie.pairs == 0 and tie.leg_a in seated and tie.leg_b in seated
        ]
        if untied:
            warnings.append({"code": WEAK_TIES, "pairs": untied})
    if last_held is None or now - last_held > timedelta(days=NO_CONVENING_DAYS):
        warnings.append(
            {
                "code": NO_RECENT_CONVENING,
                "days": NO_CONVENING_DAYS,
                "last": last_held.isoformat() if last_held else None,
            }
        )
    if institution_selectors.NO_BUDGET_BEFORE_TRANSITION in status.warning_codes:
        warnings.append(
            {
                "code": NO_BUDGET_BEFORE_TRANSITION,
                "transition": status.next_transition.isoformat(),
                "fiscal_year": status.fiscal_year,
            }
        )
    lagging = [leg.leg for leg in coverage.lagging_legs] if coverage else []
    if lagging:
        warnings.append({"code": TRAINING_LAGS, "legs": lagging})
    return warnings


def warning_code(warning: dict) -> str:
    """The compact code of one warning, e.g. "weak_leg:community:thin"."""
    if warning["code"] == WEAK_LEG:
        return f"{WEAK_LEG}:{warning['leg']}:{warning['kind']}"
    if warning["code"] == TRAINING_LAGS:
        return f"{TRAINING_LAGS}:{','.join(warning['legs'])}"
    return warning["code"]


def _institution_code(city: City, status) -> str:
    if status.budget_this_year > 0 or status.budget_next_year > 0:
        return INST_BUDGET
    if city.dedicated_staff_fte:
        return INST_STAFF
    if not city.lead_role.strip():
        return INST_NO_LEAD
    return INST_ONE_HOLDER


def _money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def _summary(city: City, data: dict, now: datetime) -> CityProgress:
    """One city's CityProgress row from the batch's grouped results (no query)."""
    pk, zone = city.pk, city.zone
    leg_counts = data["legs"].get(pk, {})
    recent = data["recent"].get(pk, 0)
    legs = balance._legs(leg_counts, recent)
    ties = balance._ties(data["ties"].get(pk, {}))
    members = sum(leg.members for leg in legs)

    conv = data["convenings"].get(pk, {})
    held = sum(n for n, _last in conv.values())
    last_held = max((last for _n, last in conv.values()), default=None)
    attendance = data["attendance"].get(pk, {})
    total_attendance = {leg: sum(q.get(leg, 0) for q in attendance.values()) for leg in LEGS}
    completions = data["completions"].get(pk, {})
    starts = data["quarters"][city.time_zone]
    quarters = [
        {
            "start": start.isoformat(),
            "label": quarter_label(start),
            "held": conv.get(k, (0, None))[0],
            "attendance": {leg: attendance.get(k, {}).get(leg, 0) for leg in LEGS},
            "trained": completions.get(k, (0, None))[0],
        }
        for k, start in enumerate(starts)
    ]

    coverage = data["coverage"].get(pk)
    trained = sum(leg.trained for leg in coverage.legs) if coverage else 0
    judged = coverage is not None and coverage.foundational_count > 0
    deliveries = data["deliveries"].get(pk, {})
    delivered = sum(row["delivered"] for row in deliveries.values())
    read = sum(row["read"] for row in deliveries.values())
    actions = data["actions"].get(pk, {})
    status = data["institution"][pk]
    paths = data["milestones"].get(pk, [])
    reached = [m for m in paths if m.reached]
    bits = "".join("1" if m.reached else "0" for m in paths)
    next_milestone = next((m.milestone for m in paths if not m.reached), None)
    last_reached = max((m.reached_on for m in reached), default=None)

    warnings = _warnings(legs, ties, recent, last_held, now, coverage, status)
    weak = {w["leg"]: w["kind"] for w in warnings if w["code"] == WEAK_LEG}
    last_activity = _latest(
        last_held,
        *(row["last_sent"] for row in deliveries.values()),
        *(row["last_read"] for row in deliveries.values()),
        actions.get("last_created"),
        actions.get("last_done"),
        _day_start(max((c[1] for c in completions.values()), default=None), zone),
        _day_start(last_reached, zone),
    )
    activity = data["activity"]
    if activity is not None and activity.get(pk) is not None and activity[pk] <= now:
        # The activity feed's own answer when it has one (it sees more kinds of activity);
        # a time still to come (a convening created "in the future" by a bulk load) is not
        # activity yet, so ours stands then.
        last_activity = max(activity[pk], last_activity or activity[pk])

    figures = {
        "version": SUMMARY_VERSION,
        "legs": {leg.leg: {"members": leg.members, "active": leg.active} for leg in legs},
        "recent_convenings": recent,
        "ties": {f"{tie.leg_a}|{tie.leg_b}": tie.pairs for tie in ties},
        "attendance": total_attendance,
        "coverage": {
            "foundational": coverage.foundational_count if coverage else 0,
            "held_session": bool(coverage and coverage.held_session),
            "legs": {
                leg.leg: {"members": leg.members, "trained": leg.trained, "started": leg.started}
                for leg in (coverage.legs if coverage else ())
            },
            "lagging": [leg.leg for leg in coverage.lagging_legs] if coverage else [],
        },
        "briefings": {
            "briefings": data["briefings"].get(pk, 0),
            "recipients": sum(row["recipients"] for row in deliveries.values()),
            "delivered": delivered,
            "read": read,
            "legs": {
                leg: {
                    "delivered": deliveries.get(leg, {}).get("delivered", 0),
                    "read": deliveries.get(leg, {}).get("read", 0),
                }
                for leg in LEGS
            },
        },
        "action_items": {"open": actions.get("open", 0), "overdue": actions.get("overdue", 0)},
        "institution": {
            "fiscal_year": status.fiscal_year,
            "budget_this_year": _money(status.budget_this_year),
            "budget_next_year": _money(status.budget_next_year),
            "grants": status.grants_this_year,
            "staff_fte": str(city.dedicated_staff_fte),
            "next_transition": status.next_transition.isoformat()
            if status.next_transition
            else None,
            "codes": status.warning_codes,
        },
        "milestones": {
            "next": next_milestone,
            "last_reached_on": last_reached.isoformat() if last_reached else None,
        },
        "quarters": quarters,
        "warnings": warnings,
    }
    # What a dashboard row draws, small enough to decode fifty times a request.
    dashboard_row = {
        "legs": [[leg.members, leg.active, weak.get(leg.leg, "")] for leg in legs],
        "recent": recent,
        "held": [q["held"] for q in quarters],
        "labels": [q["label"] for q in quarters],
        "attendance": [total_attendance[leg] for leg in LEGS],
        "overdue": actions.get("overdue", 0),
        "next": next_milestone,
        "foundational": coverage.foundational_count if coverage else 0,
        "warnings": warnings,
    }
    return CityProgress(
        city_id=pk,
        refreshed_at=now,
        stale=False,
        milestones_reached=len(reached),
        members=members,
        convenings_held=held,
        last_convening_on=last_held.astimezone(zone).date() if last_held else None,
        people_trained=trained,
        briefings_delivered=data["briefings"].get(pk, 0),
        open_action_items=actions.get("open", 0),
        warning_count=len(warnings),
        last_activity_at=last_activity,
        milestone_path=bits,
        trained_percent=_percent(trained, members) if judged else None,
        read_rate=_percent(read, delivered),
        institution_status=_institution_code(city, status),
        warning_codes=" ".join(warning_code(w) for w in warnings)[:400],
        dashboard_row=dashboard_row,
        figures=figures,
    )


# --- Entry points -------------------------------------------------------------------------


def compute(city_ids: Iterable[int], *, now: datetime | None = None) -> list[CityProgress]:
    """The summaries of the given cities (unsaved rows), in a fixed number of queries
    whatever their number; unknown ids are left out."""
    now = now or timezone.now()
    ids = sorted(set(city_ids))
    if not ids:
        return []
    cities = list(
        City.objects.filter(pk__in=ids).only(
            "pk",
            "slug",
            "time_zone",
            "lead_role",
            "dedicated_staff_fte",
            "next_mayoral_transition",
        )
    )
    ids = [city.pk for city in cities]
    if not ids:
        return []
    zones = {city.time_zone for city in cities}
    starts = {zone: quarter_starts(zone, now) for zone in zones}
    moments = {
        zone: [datetime.combine(day, time(), tzinfo=zoneinfo.ZoneInfo(zone)) for day in days]
        for zone, days in starts.items()
    }
    by_leg, briefings = _delivery_rows(ids)
    recent = _recent(ids, now)
    recent_counts: dict[int, int] = defaultdict(int)
    for _convening, city_id in recent:
        recent_counts[city_id] += 1
    data = {
        "quarters": starts,
        "milestones": milestones.milestone_paths(ids),
        "legs": _leg_rows(ids, recent),
        "recent": recent_counts,
        "ties": _tie_rows(recent),
        "convenings": _convening_rows(ids, now, moments),
        "attendance": _attendance_rows(ids, now, moments),
        "completions": _completion_rows(ids, starts),
        "coverage": coverage_selectors.coverage_for_cities(
            ids, today=now.date(), foundational_only=True
        ),
        "deliveries": by_leg,
        "briefings": briefings,
        "actions": _action_rows(ids, now.date()),
        "institution": institution_selectors.institutionalisation_statuses(cities),
        "activity": _last_activity(ids),
    }
    from workinggroups import progress_display

    rows = []
    # The stored cells are words: write them in the pages' language, whoever runs this.
    with translation.override(progress_display.cells_language()):
        for city in cities:
            row = _summary(city, data, now)
            for name, value in progress_display.stored_cells(row, city).items():
                setattr(row, name, value)
            rows.append(row)
    return rows


def refresh_cities(city_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Compute and upsert the summaries of a batch of cities (a fixed number of queries).

    The rows are written in one statement; their stale mark is left alone (the claim
    cleared it before the figures were read, and a change since has set it again).
    Return how many rows were written.
    """
    with transaction.atomic():
        _without_jit()
        rows = compute(city_ids, now=now)
        if rows:
            CityProgress.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["city"], update_fields=WRITTEN_FIELDS
            )
    return len(rows)


def _without_jit() -> None:
    """PostgreSQL compiles a query whose estimated cost is high (the batch's grouped
    queries are, at full scale): at 1,000 cities that compiling took 0.8 s of the 1.2 s the
    attendance query ran. The queries are run once a batch, so compiling never pays off."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def refresh_all(*, batch: int = BATCH) -> int:
    """Refresh every city's summary, batch by batch (nightly, and the bench's prepare step).
    Memory is bounded by a batch; return how many rows were written."""
    ids = list(City.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for chunk in _batches(ids, batch):
        CityProgress.objects.filter(city_id__in=chunk, stale=True).update(stale=False)
        written += refresh_cities(chunk)
    return written


def claim_stale(*, limit: int = BATCH) -> list[int]:
    """Claim up to `limit` cities whose summary is stale or missing: their stale mark is
    cleared now, before their figures are read, so a change from here on marks them again.
    Two sweeps at once claim different rows (SKIP LOCKED)."""
    with transaction.atomic():
        ids = list(
            CityProgress.objects.filter(stale=True)
            .select_for_update(skip_locked=True)
            .order_by("city_id")
            .values_list("city_id", flat=True)[:limit]
        )
        if ids:
            CityProgress.objects.filter(city_id__in=ids).update(stale=False)
    if len(ids) < limit:
        # Cities made without a row (bulk loads, or before the first refresh).
        ids += list(
            City.objects.filter(progress__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[: limit - len(ids)]
        )
    return ids


def _refresh_claimed(ids: list[int]) -> int:
    try:
        return refresh_cities(ids)
    except Exception:
        # Give them back, so the next sweep tries again rather than showing old figures.
        mark_stale(ids)
        raise


def refresh_stale(
    *, batch: int = BATCH, seconds: float = SWEEP_SECONDS, now: datetime | None = None
) -> int:
    """The beat's sweep: refresh stale (and missing) summaries batch by batch until none is
    left or `seconds` have passed; then, time allowing, one batch of the oldest rows.
    Return how many rows were written."""
    began = clock.monotonic()
    written = 0
    while clock.monotonic() - began < seconds:
        ids = claim_stale(limit=batch)
        if not ids:
            break
        written += _refresh_claimed(ids)
    if clock.monotonic() - began < seconds:
        written += refresh_oldest(batch=batch, now=now)
    return written


def refresh_oldest(*, batch: int = BATCH, now: datetime | None = None) -> int:
    """Refresh the oldest `batch` rows older than MAX_AGE (one batch)."""
    now = now or timezone.now()
    ids = list(
        CityProgress.objects.filter(refreshed_at__lt=now - MAX_AGE)
        .order_by("refreshed_at")
        .values_list("city_id", flat=True)[:batch]
    )
    return refresh_cities(ids) if ids else 0


def mark_stale(city_ids: Iterable[int]) -> int:
    """Mark the cities' summaries stale (one UPDATE; rows already stale are not written)."""
    ids = sorted(set(city_ids))
    if not ids:
        return 0
    return CityProgress.objects.filter(city_id__in=ids, stale=False).update(stale=True)


def ensure_fresh(city: City) -> CityProgress:
    """The city's summary, refreshed first when it is missing or stale (a coordinator's
    page for one city; the one-city refresh is a few dozen small queries)."""
    summary = CityProgress.objects.filter(city_id=city.pk).first()
    if summary is None or summary.stale:
        CityProgress.objects.filter(city_id=city.pk, stale=True).update(stale=False)
        refresh_cities([city.pk])
        summary = CityProgress.objects.get(city_id=city.pk)
    return summary
