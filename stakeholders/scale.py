"""A large synthetic data set for `make bench`: cities with all four legs, working groups,
convenings, invitations, attendance, training completions and landscape briefings.

Rows are written with PostgreSQL COPY (psycopg 3), or bulk_create elsewhere, never one save per
row. Every city's slug starts with "scale-", so the data can be told apart from the demo's and
flushed on its own.
"""

import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from itertools import islice

from django.db import connections, models, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from briefings.models import AudienceLeg, Delivery, LandscapeBriefing
from stakeholders.models import City, Leg, Organisation, Person, Programme, Sector, User
from trainings.models import Completion, TrainingModule
from workinggroups.models import (
    Attendance,
    Convening,
    ConveningMessage,
    Invitation,
    Membership,
    WorkingGroup,
)

PREFIX = "scale-"
AUTHOR_EMAIL = "scale-analyst@scale.example.org"
PROGRAMME_NAME = "Scale benchmark (synthetic data)"
BATCH = 5000
# Each group needs 10 members and each city one person per leg, with a little room to spare.
MIN_PEOPLE_PER_CITY = 12


@dataclass(frozen=True)
class Sizes:
    cities: int
    people: int
    convenings: int
    invitations: int
    completions: int
    briefings: int

    def exceeds(self, other: "Sizes") -> bool:
        return any(getattr(self, f.name) > getattr(other, f.name) for f in fields(self))


SIZES = {
    "tiny": Sizes(10, 300, 200, 2_000, 300, 5),
    "small": Sizes(50, 2_000, 5_000, 50_000, 5_000, 25),
    "full": Sizes(1_000, 40_000, 200_000, 2_000_000, 200_000, 500),
}

US_PLACES = [
    ("New Mexico", "America/Denver"),
    ("Ohio", "America/New_York"),
    ("Tennessee", "America/Chicago"),
    ("Connecticut", "America/New_York"),
    ("Arizona", "America/Phoenix"),
    ("California", "America/Los_Angeles"),
    ("Michigan", "America/Detroit"),
    ("Indiana", "America/Indiana/Indianapolis"),
    ("Alaska", "America/Anchorage"),
    ("Hawaii", "Pacific/Honolulu"),
]
TOWNS = ["Riverton", "Lakewood", "Fairview", "Cedar Falls", "Maple Grove", "Oak Ridge", "Salem"]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kim"]
LAST = ["Garcia", "Nguyen", "Smith", "Cohen", "Khan", "Johnson", "Begay", "Lee", "Patel", "Ali"]
ORGANISATIONS = ["Interfaith Council", "Youth Alliance", "Community Foundation", "Tenants Union"]
ROLES = {
    "mayor_council": ["Mayor", "Council member", "Council president"],
    "city_staff": ["Community liaison", "Emergency-services coordinator", "DEI director"],
    "community": ["Executive director", "Youth pastor", "Imam", "Rabbi", "Programme lead"],
    "law_enforcement": ["Patrol sergeant", "Community-policing officer", "Chief of police"],
}
LEGS = [leg.value for leg in Leg]
# Most people are in community organisations and city staff; elected officials are few.
LEG_WEIGHTS = {"mayor_council": 1, "city_staff": 3, "community": 4, "law_enforcement": 2}
KINDS = (
    ["working_session", "workshop", "training", "landscape_briefing", "launch"],
    [12, 3, 3, 1, 1],
)
PAST_ANSWERS = (["yes", "no", "maybe", "pending"], [55, 20, 7, 18])
UPCOMING_ANSWERS = (["pending", "yes", "no", "maybe"], [50, 30, 10, 10])
ANSWER_DELAYS = [timedelta(hours=h) for h in (1, 3, 6, 12, 24, 30, 48, 70)]
MODULES = [
    ("Foundations of city-led prevention", "primary"),
    ("The landscape of hate and extremism online", "primary"),
    ("Stakeholder identification", "primary"),
    ("Needs and vulnerabilities assessment", "secondary"),
    ("Referral pathways", "secondary"),
    ("Behavioural threat assessment and management", "secondary"),
    ("Post-incident response", "tertiary"),
    ("Social cohesion and safety after harm", "tertiary"),
]
# Convenings spread over the last two years and the next two: a little over half are
# upcoming, so that the full size has the 100,000 upcoming convenings with reminders due that
# issue #9's reminder sweep is measured over (5% of upcoming ones are cancelled).
PAST_DAYS, FUTURE_DAYS = 700, 800


def spread(total: int, capacities: list[int]) -> list[int]:
    """Share `total` as evenly as the capacities allow (water-filling); exact, or ValueError."""
    counts = [0] * len(capacities)
    remaining = total
    while remaining > 0:
        open_slots = [i for i, cap in enumerate(capacities) if counts[i] < cap]
        if not open_slots:
            raise ValueError(f"{total} rows do not fit: at most {sum(capacities)}")
        share, extra = divmod(remaining, len(open_slots))
        for rank, i in enumerate(open_slots):
            add = min(capacities[i] - counts[i], share + (1 if rank < extra else 0))
            counts[i] += add
            remaining -= add
    return counts


def _chunks(rows, size: int):
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _sql(template: str, *, inner: str = "", **tables_of: type[Model]) -> str:
    """Fill quoted table names, taken from models (never from input), and an inner query
    compiled by Django, into a template."""
    quote = connections["default"].ops.quote_name
    tables = {key: quote(model._meta.db_table) for key, model in tables_of.items()}
    return template.format(inner=inner, **tables)


class Writer:
    """Write many rows at once: COPY on PostgreSQL, bulk_create (batches of 5,000) elsewhere."""

    def __init__(self) -> None:
        self.connection = connections["default"]
        self.use_copy = self.connection.vendor == "postgresql"

    def insert(self, model: type[Model], names: list[str], rows) -> int:
        if self.use_copy:
            return self._copy(model, names, rows)
        count = 0
        for batch in _chunks(rows, BATCH):
            objs = [model(**dict(zip(names, row, strict=True))) for row in batch]
            model.objects.bulk_create(objs)
            count += len(batch)
        return count

    def insert_returning_ids(self, model: type[Model], names: list[str], rows: list) -> list[int]:
        if not self.use_copy:
            objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
            for batch in _chunks(objs, BATCH):
                model.objects.bulk_create(batch)  # sets pk (RETURNING) on SQLite and PostgreSQL
            return [obj.pk for obj in objs]
        ids = self._reserve_ids(model, len(rows))
        self._copy(model, ["id", *names], ((pk, *row) for pk, row in zip(ids, rows, strict=True)))
        return ids

    def _reserve_ids(self, model: type[Model], count: int) -> list[int]:
        # COPY cannot return ids; taking them from the sequence first is safe with other writers.
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def _copy(self, model: type[Model], names: list[str], rows) -> int:
        from psycopg import sql

        # Columns left out get the model's defaults, as bulk_create would give them.
        missing, defaults = _defaults(model, names)
        columns = [model._meta.get_field(name).column for name in names + missing]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        count = 0
        with (
            self.connection.cursor() as cursor,
            self.connection.wrap_database_errors,
            cursor.cursor.copy(statement) as copy,
        ):
            for row in rows:
                copy.write_row(row + defaults)
                count += 1
        return count


def _defaults(model: type[Model], names: list[str]) -> tuple[list[str], tuple]:
    """The model's other columns and their default values (now for auto_now fields)."""
    fields_ = [
        f for f in model._meta.concrete_fields if f.attname not in names and not f.primary_key
    ]
    now = timezone.now()
    values = tuple(
        now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else _copyable(f, f.get_default())
        for f in fields_
    )
    return [f.attname for f in fields_], values


def _copyable(field, value):
    # COPY adapts a Python list as an array; a JSON column needs it marked as JSON.
    from django.db.models import JSONField

    if isinstance(field, JSONField) and value is not None:
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


class Stats:
    """Rows and seconds per table, printed as they are written."""

    def __init__(self, out) -> None:
        self.out = out
        self.tables: dict[str, tuple[int, float]] = {}

    def timed(self, label: str, func, *args):
        start = time.perf_counter()
        result = func(*args)
        seconds = time.perf_counter() - start
        rows = result if isinstance(result, int) else len(result)
        self.tables[label] = (rows, seconds)
        rate = rows / seconds if seconds else 0
        self.out.write(f"  {label:<22} {rows:>10,} rows {seconds:7.2f} s {rate:>11,.0f} rows/s\n")
        return result


class ScaleBuilder:
    """Builds the data set table by table, keeping in memory only what later tables need."""

    def __init__(self, sizes: Sizes, *, seed: int = 1, out=sys.stdout) -> None:
        check_sizes(sizes)
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.writer = Writer()
        self.stats = Stats(out)

    def build(self) -> dict[str, tuple[int, float]]:
        with transaction.atomic():
            self._write_all()
            committing = time.perf_counter()
        # PostgreSQL checks Django's deferred foreign keys now: a good part of the total time.
        seconds = time.perf_counter() - committing
        self.stats.tables["commit"] = (0, seconds)
        self.stats.out.write(f"  commit (deferred foreign-key checks) {seconds:.2f} s\n")
        self._analyze()
        return self.stats.tables

    def _write_all(self) -> None:
        self._cities()
        self._organisations()
        self._people()
        self._groups()
        self._memberships()
        self._convenings()
        self._invitations()
        self.stats.timed("attendance", self._attendance)
        self._completions()
        self._briefings()

    def _insert(self, label: str, model: type[Model], names: list[str], rows, *, ids=False):
        write = self.writer.insert_returning_ids if ids else self.writer.insert
        return self.stats.timed(label, write, model, names, rows)

    # --- cities, organisations, people -------------------------------------------------------
    def _cities(self) -> None:
        programme, _ = Programme.objects.get_or_create(
            name=PROGRAMME_NAME,
            defaults={"starts_on": date(2023, 10, 1), "ends_on": date(2025, 9, 30)},
        )
        width = max(4, len(str(self.sizes.cities)))
        names = ["programme_id", "name", "state", "slug", "time_zone", "population"]
        names += ["form_of_government", "lead_role", "lead_portfolio", "pilot_status"]
        rows = []
        for i in range(self.sizes.cities):
            state, zone = US_PLACES[i % len(US_PLACES)]
            town, slug = f"{TOWNS[i % len(TOWNS)]} {i + 1}", f"{PREFIX}city-{i + 1:0{width}d}"
            government = self.rng.choice(City.FormOfGovernment.values)
            portfolio = self.rng.choice(City.LeadPortfolio.values)
            population = self.rng.randint(15_000, 600_000)
            lead = "Director of community engagement"
            row = (programme.pk, town, state, slug, zone, population, government, lead)
            rows.append((*row, portfolio, "active"))
        self.city_ids = self._insert("cities", City, names, rows, ids=True)
        # One city in ten is weak on a leg (DOMAIN.md lesson 1): one person in it, none seated.
        self.weak_leg = {i: self.rng.choice(LEGS) for i in range(len(self.city_ids)) if i % 10 == 9}

    def _organisations(self) -> None:
        rows = [
            (city, f"{org} {n}", "")
            for n, city in enumerate(self.city_ids, 1)
            for org in ORGANISATIONS
        ]
        ids = self._insert(
            "organisations", Organisation, ["city_id", "name", "website"], rows, ids=True
        )
        per_city = len(ORGANISATIONS)
        self.orgs_by_city = [ids[i : i + per_city] for i in range(0, len(ids), per_city)]

    def _people_per_city(self) -> list[int]:
        cities = len(self.city_ids)
        weights = [self.rng.uniform(0.3, 3.0) for _ in range(cities)]  # cities differ in size
        extra = self.sizes.people - MIN_PEOPLE_PER_CITY * cities
        drawn = Counter(self.rng.choices(range(cities), weights, k=extra))
        return [MIN_PEOPLE_PER_CITY + drawn[i] for i in range(cities)]

    def _legs_for_city(self, index: int, count: int) -> list[str]:
        """One person per leg first, so every city has all four; then a realistic mix."""
        weak = self.weak_leg.get(index)
        weights = [0 if leg == weak else LEG_WEIGHTS[leg] for leg in LEGS]
        return LEGS + self.rng.choices(LEGS, weights, k=count - len(LEGS))

    def _people(self) -> None:
        sectors = {
            leg: list(Sector.objects.filter(usual_leg=leg).values_list("pk", flat=True))
            for leg in LEGS
        }
        rows, placed = [], []
        for index, count in enumerate(self._people_per_city()):
            for leg in self._legs_for_city(index, count):
                rows.append(self._person_row(index, leg, sectors[leg], len(rows)))
                placed.append((index, leg))
        names = ["city_id", "full_name", "role_title", "leg", "sector_id", "organisation_id"]
        names += ["email", "phone", "consent_to_contact", "consent_recorded_at"]
        names += ["created_at", "updated_at"]
        ids = self._insert("people", Person, names, rows, ids=True)
        self.people_by_city: list[list[tuple[int, str]]] = [[] for _ in self.city_ids]
        for pk, (index, leg) in zip(ids, placed, strict=True):
            self.people_by_city[index].append((pk, leg))

    def _person_row(self, index: int, leg: str, sector_ids: list[int], n: int) -> tuple:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        org = rng.choice(self.orgs_by_city[index]) if leg == "community" else None
        email = "" if n % 10 == 0 else f"{first}.{last}.{n}@scale.example.org".lower()
        consented = self.now if rng.random() < 0.7 else None
        who = (self.city_ids[index], f"{first} {last}", rng.choice(ROLES[leg]), leg)
        contact = (rng.choice(sector_ids), org, email, "", bool(consented), consented)
        return (*who, *contact, self.now, self.now)

    # --- groups and memberships --------------------------------------------------------------
    def _groups(self) -> None:
        self.formed_on = (self.now - timedelta(days=PAST_DAYS + 30)).date()
        purpose = "Prevent hate and extremism through a whole-of-city approach."
        names = ["city_id", "name", "kind", "status", "purpose", "formed_on"]
        row = ("Local Leadership Group", "llg", "active", purpose, self.formed_on)
        rows = [(city_id, *row) for city_id in self.city_ids]
        self.group_ids = self._insert("working groups", WorkingGroup, names, rows, ids=True)

    def _pick_members(self, index: int) -> list[tuple[int, str]]:
        """10-40 current members; every leg seated, except the weak leg of a weak city."""
        weak = self.weak_leg.get(index)
        pool = [p for p in self.people_by_city[index] if p[1] != weak]
        size = min(self.rng.randint(10, 40), len(pool))
        chosen = [self.rng.choice([p for p in pool if p[1] == leg]) for leg in LEGS if leg != weak]
        rest = [p for p in pool if p not in chosen]
        return chosen + self.rng.sample(rest, size - len(chosen))

    def _memberships(self) -> None:
        rows, self.members_by_group = [], []
        for index, group_id in enumerate(self.group_ids):
            members = self._pick_members(index)
            self.members_by_group.append(members)
            for rank, (person_id, _) in enumerate(members):
                role = ("chair", "co_chair")[rank] if rank < 2 else "member"
                rows.append((group_id, person_id, role, self.formed_on, None))
            rows.extend(self._former_members(index, group_id, members))
        names = ["group_id", "person_id", "role", "started_on", "ended_on"]
        self._insert("memberships", Membership, names, rows)

    def _former_members(self, index: int, group_id: int, members: list) -> list[tuple]:
        # Some people left: their ended seats must not count as current anywhere.
        others = [p for p in self.people_by_city[index] if p not in members]
        leavers = self.rng.sample(others, min(len(others), self.rng.randint(0, 3)))
        ended_on = self.formed_on + timedelta(days=self.rng.randint(30, 300))
        return [(group_id, pk, "member", self.formed_on, ended_on) for pk, _ in leavers]

    # --- convenings, invitations, attendance -------------------------------------------------
    def _convening_row(self, group_id: int, number: int) -> tuple:
        rng = self.rng
        day = rng.uniform(-PAST_DAYS, FUTURE_DAYS)
        starts = (self.now + timedelta(days=day)).replace(minute=0, second=0, microsecond=0)
        past = starts < self.now
        status = "held" if past else "scheduled"
        if rng.random() < (0.07 if past else 0.05):
            status = "cancelled"
        kind = rng.choices(*KINDS)[0]
        title = f"{Convening.Kind(kind).label} {number}"
        row = (group_id, kind, title, starts, starts + timedelta(hours=2), "City Hall, Room 2")
        cancelled_at = starts - timedelta(days=2) if status == "cancelled" else None
        return (*row, status, cancelled_at, starts - timedelta(days=30), self.now)

    def _convenings(self) -> None:
        per_group = spread(self.sizes.convenings, [self.sizes.convenings] * len(self.group_ids))
        rows, self.convening_plan = [], []
        for index, (group_id, count) in enumerate(zip(self.group_ids, per_group, strict=True)):
            for number in range(1, count + 1):
                rows.append(self._convening_row(group_id, number))
                self.convening_plan.append((index, rows[-1][3]))  # the group, the start
        names = ["group_id", "kind", "title", "starts_at", "ends_at", "place", "status"]
        names += ["cancelled_at", "created_at", "updated_at"]
        self.convening_ids = self._insert("convenings", Convening, names, rows, ids=True)

    def _invitations(self) -> None:
        capacities = [len(self.people_by_city[index]) for index, _ in self.convening_plan]
        per_convening = spread(self.sizes.invitations, capacities)
        names = ["convening_id", "person_id", "response", "invited_at", "responded_at"]
        rows = self._invitation_rows(per_convening)  # a generator: 2M rows never sit in memory
        self._insert("invitations", Invitation, names, rows)

    def _invitation_rows(self, per_convening: list[int]):
        rng, latest_invite = self.rng, self.now - timedelta(days=3)
        plan = zip(self.convening_ids, self.convening_plan, per_convening, strict=True)
        for convening_id, (index, starts), count in plan:
            invited_at = min(starts - timedelta(days=14), latest_invite)
            answers = rng.choices(
                *(PAST_ANSWERS if starts < self.now else UPCOMING_ANSWERS), k=count
            )
            for person_id, answer in zip(self._invitees(index, count), answers, strict=True):
                answered = None if answer == "pending" else invited_at + rng.choice(ANSWER_DELAYS)
                yield (convening_id, person_id, answer, invited_at, answered)

    def _invitees(self, index: int, count: int) -> list[int]:
        """Members first (a sample if there are more than asked), then others of the city."""
        members = [pk for pk, _ in self.members_by_group[index]]
        if count <= len(members):
            return self.rng.sample(members, count)
        seated = set(members)
        others = [pk for pk, _ in self.people_by_city[index] if pk not in seated]
        return members + self.rng.sample(others, count - len(members))

    def _attendance(self) -> int:
        """Those who said yes came, to seven held convenings in ten; the leg copied from them."""
        # One INSERT ... SELECT: the rows derive from invitations already in the database.
        sql = _sql(
            "INSERT INTO {a} (convening_id, person_id, leg, recorded_at) "
            "SELECT i.convening_id, i.person_id, p.leg, c.ends_at FROM {i} i "
            "JOIN {c} c ON c.id = i.convening_id JOIN {p} p ON p.id = i.person_id "
            "JOIN {g} g ON g.id = c.group_id JOIN {city} city ON city.id = g.city_id "
            "WHERE city.slug LIKE %s AND c.status = 'held' AND i.response = 'yes' "
            "AND c.id %% 10 < 7",
            a=Attendance,
            i=Invitation,
            c=Convening,
            p=Person,
            g=WorkingGroup,
            city=City,
        )
        with self.writer.connection.cursor() as cursor:
            cursor.execute(sql, [f"{PREFIX}%"])
            return cursor.rowcount

    # --- trainings ---------------------------------------------------------------------------
    def _modules(self) -> list[int]:
        names = ["slug", "title", "summary", "objectives", "duration_minutes"]
        names += ["prevention_level", "is_foundational"]
        rows = [
            (f"{PREFIX}module-{n:02d}", f"{title} (scale)", title, title, 90, level, n < 3)
            for n, (title, level) in enumerate(MODULES, start=1)
        ]
        return self._insert("training modules", TrainingModule, names, rows, ids=True)

    def _completions(self) -> None:
        module_ids = self._modules()
        people = [pk for city in self.people_by_city for pk, _ in city]
        today, seen = self.now.date(), set()
        while len(seen) < self.sizes.completions:  # (person, module, day) is unique
            day = today - timedelta(days=self.rng.randrange(PAST_DAYS))
            seen.add((self.rng.choice(people), self.rng.choice(module_ids), day))
        rows = ((pk, module, "self_paced", day) for pk, module, day in seen)
        names = ["person_id", "module_id", "method", "completed_on"]
        self._insert("completions", Completion, names, rows)

    # --- landscape briefings -----------------------------------------------------------------
    def _briefings(self) -> None:
        author = User.objects.filter(email=AUTHOR_EMAIL).first() or User.objects.create_user(
            AUTHOR_EMAIL, None, display_name="Scale analyst", is_network_staff=True
        )
        rows = [self._briefing_row(n, author.pk) for n in range(1, self.sizes.briefings + 1)]
        names = ["title", "summary", "body_markdown", "tlp", "status", "author_id"]
        names += ["publish_at", "published_at", "created_at", "updated_at"]
        ids = self._insert("briefings", LandscapeBriefing, names, rows, ids=True)
        published = [(pk, row[7]) for pk, row in zip(ids, rows, strict=True) if row[7]]
        cities = len(self.city_ids)
        audience = [
            (pk, sent, self.rng.sample(range(cities), min(2, cities))) for pk, sent in published
        ]
        self._audiences(audience)
        self._deliveries(audience)

    def _briefing_row(self, n: int, author_id: int) -> tuple:
        published = n % 20 != 0  # one in twenty is still a draft
        written = self.now - timedelta(days=self.rng.randint(3, PAST_DAYS))
        when = written + timedelta(days=2) if published else None
        title = f"The landscape of hate and extremism online, briefing {n}"
        body = "## What we see\n\nSocial cohesion and safety: needs and vulnerabilities.\n"
        tlp = self.rng.choice(["CLEAR", "GREEN", "GREEN", "AMBER"])
        status = "published" if published else "draft"
        row = (title, "A periodic landscape briefing.", body, tlp, status, author_id)
        return (*row, when, when, written, self.now)

    def _audiences(self, audience: list) -> None:
        through = LandscapeBriefing.audience_cities.through
        rows = [(pk, self.city_ids[i]) for pk, _, cities in audience for i in cities]
        names = ["landscapebriefing_id", "city_id"]
        self._insert("briefing audiences", through, names, rows)
        legs = [(pk, "community") for pk, _, _ in audience[::5]]  # a few reach one leg only
        self._insert("briefing audience legs", AudienceLeg, ["briefing_id", "leg"], legs)
        self.community_only = {pk for pk, _ in legs}

    def _deliveries(self, audience: list) -> None:
        rows = [
            self._delivery_row(pk, person_id, self.city_ids[index], leg, sent_at)
            for pk, sent_at, cities in audience
            for index in cities
            for person_id, leg in self.members_by_group[index]
            if pk not in self.community_only or leg == "community"
        ]
        names = ["briefing_id", "person_id", "city_id", "leg", "status", "queued_at"]
        names += ["claimed_at", "sent_at", "read_at", "attempts", "last_error"]
        self._insert("deliveries", Delivery, names, rows)

    def _delivery_row(
        self, briefing_id: int, person_id: int, city_id: int, leg: str, sent_at: datetime
    ) -> tuple:
        row = (briefing_id, person_id, city_id, leg)
        roll = self.rng.random()
        if roll < 0.03:
            return (*row, "failed", sent_at, sent_at, None, None, 3, "Bounced")
        read_at = sent_at + timedelta(hours=self.rng.randint(1, 96)) if roll < 0.55 else None
        return (*row, "sent", sent_at, sent_at, sent_at, read_at, 1, "")

    def _analyze(self) -> None:
        """Fresh planner statistics; and, outside a transaction, VACUUM too, so that autovacuum
        does not wake up over millions of new (or flushed) rows while `make bench` measures."""
        if not self.writer.use_copy:
            return
        connection = self.writer.connection
        models = [City, Person, Membership, Convening, Invitation, Attendance, Completion]
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"{command} {tables}")
        self.stats.out.write(f"  {command} {time.perf_counter() - start:.2f} s\n")


def check_sizes(sizes: Sizes) -> None:
    if sizes.cities < 1 or sizes.people < MIN_PEOPLE_PER_CITY * sizes.cities:
        raise ValueError(f"Give at least one city and {MIN_PEOPLE_PER_CITY} people per city.")
    if sizes.convenings < sizes.cities:
        raise ValueError("Give at least one convening per city (each city has a group).")
    if sizes.invitations > sizes.convenings * MIN_PEOPLE_PER_CITY:
        raise ValueError(f"Give at most {MIN_PEOPLE_PER_CITY} invitations per convening.")
    if sizes.completions > sizes.people * len(MODULES) * PAST_DAYS // 2:
        raise ValueError("Too many completions: (person, module, day) must stay unique.")


# --- flush and counts -------------------------------------------------------------------------
def _in_scale(*paths: str) -> Q:
    """Rows whose city (reached through each path) is a scale city."""
    q = Q()
    for path in paths:
        q |= Q(**{f"{path}__slug__startswith": PREFIX})
    return q


def _bulk_rows() -> list[QuerySet]:
    """The big tables' scale rows, children first."""
    by_briefing = Q(briefing__author__email=AUTHOR_EMAIL)
    return [
        Delivery.objects.filter(by_briefing | _in_scale("person__city")),
        Completion.objects.filter(_in_scale("person__city", "module")),
        # The ledger `make bench` adds (config/bench_outbound.py): millions of rows at full.
        ConveningMessage.objects.filter(_in_scale("convening__group__city", "person__city")),
        Attendance.objects.filter(_in_scale("convening__group__city", "person__city")),
        Invitation.objects.filter(_in_scale("convening__group__city", "person__city")),
        Membership.objects.filter(_in_scale("group__city", "person__city")),
        Convening.objects.filter(_in_scale("group__city")),
    ]


def _parents() -> list[QuerySet]:
    """What is left once the big tables are empty: few rows, deleted through the ORM."""
    return [
        LandscapeBriefing.objects.filter(author__email=AUTHOR_EMAIL),
        TrainingModule.objects.filter(slug__startswith=PREFIX),
        WorkingGroup.objects.filter(_in_scale("city")),
        Person.objects.filter(_in_scale("city")),
        City.objects.filter(slug__startswith=PREFIX),
        Programme.objects.filter(name=PROGRAMME_NAME),
        User.objects.filter(email=AUTHOR_EMAIL),
    ]


def flush(out=sys.stdout) -> dict[str, int]:
    """Delete every scale row, and nothing else.

    The big tables go first, one DELETE ... WHERE id IN (subquery) each: the ORM's delete()
    would load millions of rows to cascade. The few thousand parents left then go through the
    ORM, so every other table pointing at them (the audit log, guardian, ...) gets its
    on_delete behaviour.
    """
    deleted: dict[str, int] = {}
    with transaction.atomic():
        for rows in _bulk_rows():
            start = time.perf_counter()
            _clear_dependents(rows)
            deleted[rows.model._meta.label] = _raw_delete(rows)
            _report(out, rows.model._meta.label, deleted[rows.model._meta.label], start)
        for rows in _parents():
            start = time.perf_counter()
            for label, count in rows.delete()[1].items():
                deleted[label] = deleted.get(label, 0) + count
                _report(out, label, count, start)
    return deleted


def _raw_delete(rows: QuerySet) -> int:
    inner, params = rows.values("pk").query.sql_with_params()
    sql = _sql("DELETE FROM {t} WHERE id IN ({inner})", inner=inner, t=rows.model)
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _clear_dependents(rows: QuerySet) -> None:
    """Rows of other tables (say, one added after this was written) that point at `rows`:
    handled as their on_delete says, through the ORM, before the raw DELETE."""
    bulk_models = {queryset.model for queryset in _bulk_rows()}
    for rel in rows.model._meta.related_objects:
        if rel.related_model in bulk_models:
            continue  # emptied earlier: the bulk list runs children first
        if rel.many_to_many:
            raise RuntimeError(f"flush does not know {rel.related_model._meta.label}'s links")
        dependents = rel.related_model._base_manager.filter(
            **{f"{rel.field.name}__in": rows.values("pk")}
        )
        if rel.on_delete is models.CASCADE:
            dependents.delete()
        elif rel.on_delete is models.SET_NULL:
            dependents.update(**{rel.field.name: None})
        elif dependents.exists():
            raise RuntimeError(f"{rel.related_model._meta.label} rows protect scale rows")


def _report(out, label: str, count: int, start: float) -> None:
    if count:
        seconds = time.perf_counter() - start
        out.write(f"  deleted {count:>10,} from {label} in {seconds:.2f} s\n")


def count_rows() -> dict[str, int]:
    """How many scale rows each table holds; the first six keys are the fields of Sizes."""
    in_cities = {"city__slug__startswith": PREFIX}
    of_groups = {"group__city__slug__startswith": PREFIX}
    of_convenings = {"convening__group__city__slug__startswith": PREFIX}
    querysets = {
        "cities": City.objects.filter(slug__startswith=PREFIX),
        "people": Person.objects.filter(**in_cities),
        "convenings": Convening.objects.filter(**of_groups),
        "invitations": Invitation.objects.filter(**of_convenings),
        "completions": Completion.objects.filter(person__city__slug__startswith=PREFIX),
        "briefings": LandscapeBriefing.objects.filter(author__email=AUTHOR_EMAIL),
        "organisations": Organisation.objects.filter(**in_cities),
        "working_groups": WorkingGroup.objects.filter(**in_cities),
        "memberships": Membership.objects.filter(**of_groups),
        "current_memberships": Membership.objects.filter(**of_groups, ended_on__isnull=True),
        "attendance": Attendance.objects.filter(**of_convenings),
        "deliveries": Delivery.objects.filter(briefing__author__email=AUTHOR_EMAIL),
    }
    return {key: qs.count() for key, qs in querysets.items()}


def sizes_present() -> Sizes:
    counts = count_rows()
    return Sizes(**{f.name: counts[f.name] for f in fields(Sizes)})
