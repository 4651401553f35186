"""A city, its organisations, its Local Leadership Group, its people and the demo accounts."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress

from stakeholders.demo import cities
from stakeholders.demo.rows import email_part, upsert
from stakeholders.models import City, Leg, Organisation, Person, Programme, Sector, User
from stakeholders.roles import grant_coordinator
from workinggroups.models import ExistingInitiative, Membership, WorkingGroup


@dataclass
class Cast:
    """What the later steps need from a city's roster."""

    plan: cities.CityPlan
    city: City
    group: WorkingGroup
    today: date  # today in the city's zone
    organisations: dict[str, Organisation] = field(default_factory=dict)  # by plan key
    people: list[Person] = field(default_factory=list)  # roster order
    coordinator: Person | None = None
    member: Person | None = None
    co_chair: Person | None = None
    police: Person | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.plan.time_zone)

    def at(self, day: date, clock: time) -> datetime:
        """A local wall-clock time in the city, as the UTC instant that is stored."""
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)


def account(email: str, password: str, **values) -> User:
    """A demo account with a verified primary address (allauth makes verification mandatory)."""
    values.setdefault("is_active", True)
    user = upsert(User, email=email, values=values)
    # Hash only when the password differs: a new salt each run would change the row, and a
    # changed DEMO_PASSWORD still applies on the next run. A new account has no hash yet, and
    # check_password would spend a full (dummy) hash to say so.
    if not user.password or not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    upsert(EmailAddress, user=user, email=email, values={"verified": True, "primary": True})
    return user


def accounts_of(cast: Cast, password: str) -> None:
    slug, name = cast.plan.slug, cast.plan.name
    coordinator = account(
        cities.account_email("coordinator", slug),
        password,
        display_name=f"Coordinator, {name} (demo)",
        person=cast.coordinator,
    )
    grant_coordinator(city=cast.city, user=coordinator)  # assign_perm is get-or-create
    account(
        cities.account_email("member", slug),
        password,
        display_name=f"Member, {name} (demo)",
        person=cast.member,
    )


def city_and_roster(plan: cities.CityPlan, programme: Programme, now: datetime) -> Cast:
    city = upsert(
        City,
        slug=plan.slug,
        values={
            "programme": programme,
            "name": plan.name,
            "state": plan.state,
            "time_zone": plan.time_zone,
            "population": plan.population,
            "form_of_government": plan.form_of_government,
            "government_notes": plan.government_notes,
            "lead_role": plan.lead_role,
            "lead_portfolio": plan.lead_portfolio,
            "pilot_status": City.PilotStatus.ACTIVE,
        },
    )
    sectors = {s.slug: s for s in Sector.objects.all()}
    organisations = {}
    for key, name in plan.organisations.items():
        sector_slug = cities.ORGANISATION_SECTORS.get(key) or cities.COMMUNITY_SEATS[key].sector
        organisations[key] = upsert(
            Organisation, city=city, name=name, values={"sector": sectors[sector_slug]}
        )
    initiatives = [
        upsert(ExistingInitiative, city=city, name=name, values={"description": description})
        for name, description in plan.initiatives
    ]
    today = now.astimezone(ZoneInfo(plan.time_zone)).date()
    # The group formed three weeks before its first convening, for an 18-month term.
    formed_on = today + timedelta(days=min(v.days for v in plan.calendar) - 21)
    group = upsert(
        WorkingGroup,
        city=city,
        name=f"{plan.name} Local Leadership Group",
        values={
            "kind": WorkingGroup.Kind.LOCAL_LEADERSHIP_GROUP,
            "status": WorkingGroup.Status.ACTIVE,
            "purpose": "Build a local, multi-stakeholder framework to prevent hate and "
            "extremism, with all four legs of the stool at the table.",
            "formed_on": formed_on,
            "ends_on": formed_on + timedelta(days=548),
        },
    )
    # Folded into the city's first existing body (DOMAIN.md lesson 4: civic fatigue).
    group.initiatives.set(initiatives[:1])
    cast = Cast(plan=plan, city=city, group=group, today=today, organisations=organisations)
    _roster(cast, sectors, formed_on)
    return cast


def _seats(plan: cities.CityPlan) -> list[tuple[str, cities.Seat, str]]:
    """The roster as (leg, seat, persona); persona is "coordinator", "member" or ""."""
    council = [
        cities.Seat("elected-officials", "Mayor" if i == 0 else plan.council_title.format(n=2 * i))
        for i in range(plan.seats[Leg.MAYOR_COUNCIL])
    ]
    seats = [(Leg.CITY_STAFF, cities.COORDINATOR_SEAT, "coordinator")]
    seats += [(Leg.MAYOR_COUNCIL, seat, "") for seat in council]
    seats += [(Leg.CITY_STAFF, s, "") for s in cities.CITY_STAFF_SEATS[: plan.seats["city_staff"]]]
    seats += [
        (Leg.COMMUNITY, cities.COMMUNITY_SEATS[key], "member" if i == 0 else "")
        for i, key in enumerate(plan.community)
    ]
    law_enforcement = cities.LAW_ENFORCEMENT_SEATS[: plan.seats[Leg.LAW_ENFORCEMENT]]
    seats += [(Leg.LAW_ENFORCEMENT, seat, "") for seat in law_enforcement]
    return seats


def _roster(cast: Cast, sectors: dict, formed_on: date) -> None:
    plan = cast.plan
    seats = _seats(plan)
    rng = random.Random(f"{cities.SEED}:{plan.slug}:people")
    first_names = rng.sample(cities.FIRST_NAMES, len(seats))
    surnames = rng.sample(cities.SURNAMES, len(seats))  # unique names within the city
    consent_at = cast.at(formed_on, time(10, 0))
    community_seen = 0
    for (leg, seat, persona), first, last in zip(seats, first_names, surnames, strict=True):
        # The demo accounts' people share the account's address: one inbox per human.
        if persona:
            email = cities.account_email(persona, plan.slug)
        else:
            email = f"{email_part(first)}.{email_part(last)}.{plan.slug}@example.org"
        person = upsert(
            Person,
            email=email,
            values={
                "city": cast.city,
                "full_name": f"{first} {last}",
                "role_title": _role_title(plan, seat, persona),
                "leg": leg,
                "sector": sectors[seat.sector],
                "organisation": cast.organisations.get(seat.organisation),
                "consent_to_contact": True,
                "consent_recorded_at": consent_at,
            },
        )
        role = Membership.Role.MEMBER
        if persona == "coordinator":
            role, cast.coordinator = Membership.Role.CHAIR, person
        elif persona == "member":
            cast.member = person
        elif leg == Leg.COMMUNITY and community_seen == 1:
            role, cast.co_chair = Membership.Role.CO_CHAIR, person
        elif seat.role_title == "Mayor" and plan.mayor_co_chairs:
            role = Membership.Role.CO_CHAIR  # where the mayor leads the pilot
        if seat.organisation == "police" and cast.police is None:
            cast.police = person
        community_seen += leg == Leg.COMMUNITY
        upsert(
            Membership,
            group=cast.group,
            person=person,
            ended_on=None,
            values={"role": role, "started_on": formed_on},
        )
        cast.people.append(person)


def _role_title(plan: cities.CityPlan, seat: cities.Seat, persona: str) -> str:
    if persona != "coordinator":
        return seat.role_title
    # Where the mayor leads, a staff member in the mayor's office runs the group day to day.
    if plan.lead_portfolio == City.LeadPortfolio.MAYORS_OFFICE:
        return "Prevention coordinator, Office of the Mayor"
    return plan.lead_role
