"""The four-leg balance of a working group or a city (DOMAIN.md lessons 1 and 5).

Lesson 1: city-led prevention rests on four legs (mayor and council, city staff, community
organisations, law enforcement). The more each leg takes part and is tied to the others,
the likelier a whole-of-city approach; a weak leg, or weak ties between legs, make it hard
to start and harder to sustain. So for each leg this shows:

- members: current members of the group (or of any group of the city), by their leg;
- active participation: the share of those members who attended at least one of the last
  N held convenings (N = RECENT_CONVENINGS unless asked otherwise). "Held" means started
  and not cancelled, as on the group page;
- ties between legs: for each pair of legs, the number of distinct pairs of people, one
  of each leg, who took part in the same recent convening. Taking part means attending
  it, or owning an action item agreed at it (someone given a task at a meeting they
  missed still works with the people who agreed it);
- warnings in plain words when a leg is missing, thin, or disengaged (members, but few
  of them came lately), and when two legs with members have no tie at all.

Every number is computed with grouped SQL: a fixed number of queries for a group or for a
whole city, however many people and convenings it holds.
"""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stakeholders.models import City, Leg, Person
from stakeholders.selectors import LegCount
from workinggroups.models import ActionItem, Attendance, Convening, Membership, WorkingGroup

# How many of the last held convenings participation is judged on: about half a year for
# a group meeting monthly.
RECENT_CONVENINGS = 6

# Fewer held convenings than this and participation is not judged yet: one missed first
# meeting says little (the convening itself is already flagged when a leg is missing).
JUDGE_AFTER_CONVENINGS = 2

# A leg with members of whom fewer than a third came to any recent convening is
# disengaged: it is on paper, not at the table.
DISENGAGED_BELOW = 1 / 3

LEGS = list(Leg)
LEG_PAIRS = list(combinations([leg.value for leg in LEGS], 2))


@dataclass(frozen=True)
class LegBalance:
    """One leg: its members, how many of them took part lately, and what that means."""

    count: LegCount
    active: int
    # How many convenings participation is judged on (0: none held yet).
    convenings: int

    @property
    def leg(self) -> str:
        return self.count.leg

    @property
    def label(self) -> str:
        return self.count.label

    @property
    def members(self) -> int:
        return self.count.members

    @property
    def share(self) -> float:
        return self.active / self.members if self.members else 0.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)

    @property
    def is_missing(self) -> bool:
        return self.count.is_missing

    @property
    def is_thin(self) -> bool:
        return self.count.is_thin

    @property
    def is_disengaged(self) -> bool:
        return (
            self.members > 0
            and self.convenings >= JUDGE_AFTER_CONVENINGS
            and self.share < DISENGAGED_BELOW
        )

    @property
    def states(self) -> list[str]:
        """Short words for the leg's state, shown next to it (never colour alone)."""
        words = []
        if self.is_missing:
            words.append(_("Leg missing"))
        if self.is_thin:
            words.append(_("Thin leg"))
        if self.is_disengaged:
            words.append(_("Disengaged"))
        return words

    @property
    def participation_label(self) -> str:
        if not self.members:
            return _("no members")
        if not self.convenings:
            return _("no convening held yet")
        return ngettext(
            "%(active)d of %(members)d came to at least one of the last %(n)d convening",
            "%(active)d of %(members)d came to at least one of the last %(n)d convenings",
            self.convenings,
        ) % {"active": self.active, "members": self.members, "n": self.convenings}


@dataclass(frozen=True)
class LegTie:
    leg_a: str
    label_a: str
    leg_b: str
    label_b: str
    pairs: int


@dataclass(frozen=True)
class BalanceWarning:
    # "missing", "thin", "disengaged" or "no_tie": lets the page and tests tell them apart.
    kind: str
    text: str
    leg: str = ""


@dataclass
class Balance:
    """The four legs of one group (or of a city's groups together) and their ties."""

    legs: list[LegBalance]
    ties: list[LegTie]
    convenings: int
    warnings: list[BalanceWarning] = field(default_factory=list)

    @property
    def total_members(self) -> int:
        return sum(leg.members for leg in self.legs)

    @property
    def largest_tie(self) -> int:
        return max((tie.pairs for tie in self.ties), default=0)

    def leg(self, value: str) -> LegBalance:
        return next(leg for leg in self.legs if leg.leg == value)


# --- Recent convenings --------------------------------------------------------------------


def recent_convenings(
    *, city_id: int, group_ids=None, last: int = RECENT_CONVENINGS, now: datetime | None = None
) -> QuerySet[Convening]:
    """The last `last` held convenings of each group of the city (or of `group_ids`).

    One window (ROW_NUMBER per group) picks them, so a city with hundreds of convenings
    still reads only each group's last few.
    """
    now = now or timezone.now()
    held = Convening.objects.filter(group__city_id=city_id, starts_at__lt=now).exclude(
        status=Convening.Status.CANCELLED
    )
    if group_ids is not None:
        held = held.filter(group_id__in=list(group_ids))
    return held.annotate(
        recent_rank=Window(
            RowNumber(),
            partition_by=[F("group_id")],
            order_by=[F("starts_at").desc(), F("pk").desc()],
        )
    ).filter(recent_rank__lte=last)


def _recent_sql(*, city_id: int, group_ids, last: int, now: datetime) -> tuple[str, list]:
    """The same recent convenings as `recent_convenings`, as SQL selecting (id, group_id),
    for the raw tie query. Written out rather than taken from the queryset's compiled SQL,
    whose column aliases are Django's to change."""
    convening = Convening._meta.db_table
    group = WorkingGroup._meta.db_table
    params: list = [city_id, now, Convening.Status.CANCELLED.value]
    only_groups = ""
    if group_ids is not None:
        ids = list(group_ids)
        only_groups = f"AND c.group_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    params.append(last)
    # Table names come from the models and ids are parameters: nothing user-given is pasted.
    sql = f"""
        SELECT ranked.id, ranked.group_id FROM (
            SELECT c.id, c.group_id,
                   ROW_NUMBER() OVER (
                       PARTITION BY c.group_id ORDER BY c.starts_at DESC, c.id DESC
                   ) AS recent_rank
            FROM {convening} c JOIN {group} g ON g.id = c.group_id
            WHERE g.city_id = %s AND c.starts_at < %s AND c.status <> %s {only_groups}
        ) ranked
        WHERE ranked.recent_rank <= %s
    """  # noqa: S608
    return sql, params


# --- Members and participation ------------------------------------------------------------


def _leg_rows(
    *, city_id: int, group_ids, last: int, now: datetime, per_group: bool
) -> dict[int, dict[str, tuple[int, int]]]:
    """{group id (0 for the whole city): {leg: (members, active)}} in one query.

    Per group: the group's current members, active when they attended one of that group's
    recent convenings. For the city: each current member of any of its groups once, active
    when they attended any group's recent convening. Who came is gathered once (a CTE)
    and joined, rather than probed person by person.
    """
    recent_sql, params = _recent_sql(city_id=city_id, group_ids=group_ids, last=last, now=now)
    attendance = Attendance._meta.db_table
    membership = Membership._meta.db_table
    person = Person._meta.db_table
    group = WorkingGroup._meta.db_table
    if per_group:
        ids = list(group_ids)
        sql = f"""
            WITH recent AS ({recent_sql}),
            came AS (
                SELECT DISTINCT r.group_id, a.person_id
                FROM {attendance} a JOIN recent r ON r.id = a.convening_id
                WHERE a.person_id IS NOT NULL
            )
            SELECT m.group_id, p.leg, COUNT(DISTINCT m.person_id), COUNT(DISTINCT came.person_id)
            FROM {membership} m
            JOIN {person} p ON p.id = m.person_id
            LEFT JOIN came ON came.group_id = m.group_id AND came.person_id = m.person_id
            WHERE m.ended_on IS NULL AND m.group_id IN ({", ".join(["%s"] * len(ids))})
            GROUP BY m.group_id, p.leg
        """  # noqa: S608  (table names from the models; every value is a parameter)
        params += ids
    else:
        sql = f"""
            WITH recent AS ({recent_sql}),
            came AS (
                SELECT DISTINCT a.person_id
                FROM {attendance} a JOIN recent r ON r.id = a.convening_id
                WHERE a.person_id IS NOT NULL
            ),
            seated AS (
                SELECT DISTINCT m.person_id
                FROM {membership} m JOIN {group} g ON g.id = m.group_id
                WHERE g.city_id = %s AND m.ended_on IS NULL
            )
            SELECT 0, p.leg, COUNT(*), COUNT(came.person_id)
            FROM seated s
            JOIN {person} p ON p.id = s.person_id
            LEFT JOIN came ON came.person_id = s.person_id
            GROUP BY p.leg
        """  # noqa: S608  (table names from the models; every value is a parameter)
        params.append(city_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[int, dict[str, tuple[int, int]]] = {}
    for group_id, leg, members, active in rows:
        result.setdefault(group_id, {})[leg] = (members, active)
    return result


def _convening_counts(recent) -> dict[int, int]:
    """{group id: how many recent convenings} (one query)."""
    rows = recent.order_by().values("group_id", "pk")
    counts: dict[int, int] = {}
    # The window caps this at `last` rows per group, so the loop is over a handful of ids.
    for row in rows:
        counts[row["group_id"]] = counts.get(row["group_id"], 0) + 1
    return counts


def _legs(counts: dict[str, tuple[int, int]], convenings: int) -> list[LegBalance]:
    members = {leg.value: counts.get(leg.value, (0, 0))[0] for leg in LEGS}
    total, largest = sum(members.values()), max(members.values())
    return [
        LegBalance(
            count=LegCount(
                leg=leg.value,
                label=str(leg.label),
                members=members[leg.value],
                total=total,
                largest=largest,
            ),
            active=counts.get(leg.value, (0, 0))[1],
            convenings=convenings,
        )
        for leg in LEGS
    ]


# --- Ties between legs --------------------------------------------------------------------


def _ties_sql(recent_sql: str, *, with_city: bool = False) -> str:
    """Distinct cross-leg person pairs who took part in the same recent convening, counted
    per group and pair of legs (with `with_city`, the city's count over all the groups
    too, as group 0, from the same pairs)."""
    attendance = Attendance._meta.db_table
    action_item = ActionItem._meta.db_table
    person = Person._meta.db_table
    city_counts = (
        # A pair tied in two groups is one tie of the city's.
        """
        UNION ALL
        SELECT 0, leg_a, leg_b, COUNT(*)
        FROM (SELECT DISTINCT one, other, leg_a, leg_b FROM pairs) city_pairs
        GROUP BY 2, 3
        """
        if with_city
        else ""
    )
    # Table names come from the models; values are parameters of the caller's query.
    return f"""
        WITH recent AS ({recent_sql}),
        present AS MATERIALIZED (
            -- UNION drops the duplicates; each person's current leg is read once here,
            -- by primary key (a few hundred probes, where a hash join would read every
            -- person of the network), not once per pair below.
            SELECT took_part.group_id, took_part.convening_id, took_part.person_id,
                   (SELECT person.leg FROM {person} person
                    WHERE person.id = took_part.person_id) AS leg
            FROM (
                SELECT r.group_id, a.convening_id, a.person_id
                FROM {attendance} a JOIN recent r ON r.id = a.convening_id
                WHERE a.person_id IS NOT NULL
                UNION
                SELECT r.group_id, ai.raised_at_id, ai.owner_id
                FROM {action_item} ai JOIN recent r ON r.id = ai.raised_at_id
                WHERE ai.owner_id IS NOT NULL
            ) took_part
        ),
        pairs AS MATERIALIZED (
            -- A convening belongs to one group, so a pair's group is its convening's.
            SELECT DISTINCT p1.group_id AS group_id,
                   p1.person_id AS one, p2.person_id AS other,
                   -- Either order will do (the caller adds both); byte order is quickest.
                   CASE WHEN p1.leg < p2.leg COLLATE "C" THEN p1.leg ELSE p2.leg END AS leg_a,
                   CASE WHEN p1.leg < p2.leg COLLATE "C" THEN p2.leg ELSE p1.leg END AS leg_b
            FROM present p1
            JOIN present p2
              ON p2.convening_id = p1.convening_id AND p2.person_id > p1.person_id
            WHERE p1.leg <> p2.leg
        )
        SELECT group_id, leg_a, leg_b, COUNT(*)
        FROM pairs
        GROUP BY 1, 2, 3
        {city_counts}
    """  # noqa: S608


def _tie_counts(
    *, city_id: int, group_ids, last: int, now: datetime, with_city: bool = False
) -> dict[int, dict[tuple[str, str], int]]:
    """{group id (0 for the whole city): {(leg, leg): pairs}} in one query."""
    recent_sql, params = _recent_sql(city_id=city_id, group_ids=group_ids, last=last, now=now)
    sql = _ties_sql(recent_sql, with_city=with_city)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[int, dict[tuple[str, str], int]] = {}
    for group_id, leg_a, leg_b, pairs in rows:
        result.setdefault(group_id, {})[(leg_a, leg_b)] = pairs
    return result


def _ties(counts: dict[tuple[str, str], int]) -> list[LegTie]:
    labels = {leg.value: str(leg.label) for leg in LEGS}
    ties = []
    for leg_a, leg_b in LEG_PAIRS:
        pairs = counts.get((leg_a, leg_b), 0) + counts.get((leg_b, leg_a), 0)
        ties.append(
            LegTie(
                leg_a=leg_a,
                label_a=labels[leg_a],
                leg_b=leg_b,
                label_b=labels[leg_b],
                pairs=pairs,
            )
        )
    return ties


# --- Warnings -----------------------------------------------------------------------------


def balance_warnings(
    legs: list[LegBalance], ties: list[LegTie], convenings: int
) -> list[BalanceWarning]:
    """Plain-words warnings (lesson 1): a missing, thin or disengaged leg; legs not tied."""
    warnings = []
    for leg in legs:
        if leg.is_missing:
            warnings.append(
                BalanceWarning(
                    "missing",
                    _(
                        "No one from %(leg)s sits at the table. A stool with a missing leg "
                        "does not stand: look for someone from %(leg)s to join."
                    )
                    % {"leg": leg.label},
                    leg.leg,
                )
            )
        elif leg.is_thin:
            warnings.append(
                BalanceWarning(
                    "thin",
                    ngettext(
                        "%(leg)s is a thin leg: %(n)d member out of %(total)d. "
                        "A weak leg makes the work hard to start and harder to sustain.",
                        "%(leg)s is a thin leg: %(n)d members out of %(total)d. "
                        "A weak leg makes the work hard to start and harder to sustain.",
                        leg.members,
                    )
                    % {"leg": leg.label, "n": leg.members, "total": leg.count.total},
                    leg.leg,
                )
            )
        if leg.is_disengaged:
            warnings.append(
                BalanceWarning(
                    "disengaged",
                    ngettext(
                        "%(leg)s is disengaged: %(active)d of %(members)d members came to "
                        "any of the last %(n)d convening. Ask them what would help them "
                        "take part.",
                        "%(leg)s is disengaged: %(active)d of %(members)d members came to "
                        "any of the last %(n)d convenings. Ask them what would help them "
                        "take part.",
                        convenings,
                    )
                    % {
                        "leg": leg.label,
                        "active": leg.active,
                        "members": leg.members,
                        "n": convenings,
                    },
                    leg.leg,
                )
            )
    if convenings:
        seated = {leg.leg for leg in legs if leg.members}
        for tie in ties:
            if tie.pairs == 0 and tie.leg_a in seated and tie.leg_b in seated:
                warnings.append(
                    BalanceWarning(
                        "no_tie",
                        _(
                            "No tie between %(a)s and %(b)s: nobody from the two took part "
                            "in the same recent convening."
                        )
                        % {"a": tie.label_a, "b": tie.label_b},
                    )
                )
    return warnings


def _balance(counts, tie_counts, convenings: int) -> Balance:
    legs = _legs(counts, convenings)
    ties = _ties(tie_counts)
    return Balance(
        legs=legs,
        ties=ties,
        convenings=convenings,
        warnings=balance_warnings(legs, ties, convenings),
    )


# --- Entry points -------------------------------------------------------------------------


def group_balance(
    group: WorkingGroup, *, last: int = RECENT_CONVENINGS, now: datetime | None = None
) -> Balance:
    """The four-leg balance of one group (a fixed number of queries)."""
    balances = groups_balance([group], city_id=group.city_id, last=last, now=now)
    return balances[group.pk]


def groups_balance(
    groups, *, city_id: int, last: int = RECENT_CONVENINGS, now: datetime | None = None
) -> dict[int, Balance]:
    """The balance of each of several groups of one city, by group id (three queries)."""
    now = now or timezone.now()
    group_ids = [group.pk for group in groups]
    if not group_ids:
        return {}
    recent = recent_convenings(city_id=city_id, group_ids=group_ids, last=last, now=now)
    leg_rows = _leg_rows(city_id=city_id, group_ids=group_ids, last=last, now=now, per_group=True)
    convenings = _convening_counts(recent)
    ties = _tie_counts(city_id=city_id, group_ids=group_ids, last=last, now=now)
    return {
        group_id: _balance(
            leg_rows.get(group_id, {}), ties.get(group_id, {}), convenings.get(group_id, 0)
        )
        for group_id in group_ids
    }


def city_balance(
    city: City, *, last: int = RECENT_CONVENINGS, now: datetime | None = None
) -> Balance:
    """The balance of the city's groups taken together: each person counted once, in
    their leg; ties across every group's recent convenings (three queries)."""
    return city_and_groups_balance(city, [], last=last, now=now)[0]


def city_and_groups_balance(
    city: City, groups, *, last: int = RECENT_CONVENINGS, now: datetime | None = None
) -> tuple[Balance, dict[int, Balance]]:
    """The balance of the city's groups taken together (each person counted once, in their
    leg) and, by id, of each of `groups` (all of the city's, or none), in four queries (three
    without groups): the ties of the city and of each group come from one enumeration of
    pairs, and the city's held convenings are the sum of its groups'."""
    now = now or timezone.now()
    group_ids = [group.pk for group in groups]
    city_counts = _leg_rows(city_id=city.pk, group_ids=None, last=last, now=now, per_group=False)
    convenings = _convening_counts(recent_convenings(city_id=city.pk, last=last, now=now))
    ties = _tie_counts(city_id=city.pk, group_ids=None, last=last, now=now, with_city=True)
    city_balance = _balance(city_counts.get(0, {}), ties.get(0, {}), sum(convenings.values()))
    if not group_ids:
        return city_balance, {}
    leg_rows = _leg_rows(city_id=city.pk, group_ids=group_ids, last=last, now=now, per_group=True)
    return city_balance, {
        group_id: _balance(
            leg_rows.get(group_id, {}), ties.get(group_id, {}), convenings.get(group_id, 0)
        )
        for group_id in group_ids
    }


@dataclass(frozen=True)
class ConveningAttendance:
    convening: Convening
    by_leg: dict[str, int]

    @property
    def missing_legs(self) -> list[str]:
        return [str(leg.label) for leg in LEGS if not self.by_leg.get(leg.value)]


def recent_attendance(
    group: WorkingGroup, *, last: int = RECENT_CONVENINGS, now: datetime | None = None
) -> list[ConveningAttendance]:
    """The group's recent convenings, newest first, with attendance counted per leg (the
    leg copied at the time) in one query."""
    annotations = {
        f"came_{leg.value}": Count("attendances", filter=Q(attendances__leg=leg.value))
        for leg in LEGS
    }
    recent = recent_convenings(city_id=group.city_id, group_ids=[group.pk], last=last, now=now)
    convenings = (
        Convening.objects.filter(pk__in=recent.values("pk"))
        .annotate(**annotations)
        .order_by("-starts_at")
    )
    return [
        ConveningAttendance(
            convening=c, by_leg={leg.value: getattr(c, f"came_{leg.value}") for leg in LEGS}
        )
        for c in convenings
    ]
