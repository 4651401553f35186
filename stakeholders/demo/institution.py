"""The directory's details, local moments and institutionalisation of each demo city.

Fictional but plausible, and deterministic: choices come from random.Random seeded with the
person's or city's key, and dates are counted from today in the city's zone, so two runs on
the same day write the same rows (the seed's idempotency test compares them).
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from stakeholders.demo.cities import SEED
from stakeholders.demo.people import Cast
from stakeholders.demo.rows import upsert
from stakeholders.models import BudgetLine, CommunityGrant, FocusArea, LocalMoment

FOCUS_AREAS = {
    "youth": "Young people",
    "online-harms": "Online harms",
    "interfaith": "Faith and interfaith",
    "racial-equity": "Racial equity",
    "mental-health": "Mental health",
    "schools": "Schools and campuses",
    "newcomers": "Refugees and newcomers",
    "hate-incidents": "Hate incidents and victim support",
}

# (title, kind, days from today, length in days or None, notes)
MOMENTS = [
    ("Students return to campus", "students_return", 40, 7, "Orientation weeks bring new "
     "students who may meet hateful recruiting online and on campus."),
    ("School year starts", "school_year", 75, None, "Schools' support staff ask for the "
     "landscape briefing before the first week."),
    ("Municipal election", "election", 120, None, "Election periods see more polarising "
     "content naming local candidates and communities."),
    ("Local echo of an overseas conflict", "global_crisis_echo", -20, 30, "Faith leaders "
     "reported harassment after the news; the group met to coordinate messages."),
]  # fmt: skip

# city slug -> (dedicated staff FTE, hours a month from other offices, budget lines
# [(fiscal year offset, amount, source)], grants [(organisation key, amount, purpose)],
# months to the next mayoral transition). Overland Park has no budget line: the warning shows.
INSTITUTION = {
    "albuquerque": (Decimal("1.00"), 20, [(0, 120_000, "General fund (demo figure)")],
                    [("interfaith", 15_000, "Interfaith response network")], 26),
    "athens": (Decimal("0.50"), 12, [(0, 40_000, "General fund (demo figure)")],
               [("latino", 8_000, "Newcomer welcome programme")], 18),
    "chattanooga": (Decimal("0.50"), 16, [(0, 60_000, "Federal grant match (demo figure)")],
                    [], 9),
    "overland-park": (Decimal("0.00"), 8, [], [], 10),
    "stamford": (Decimal("0.25"), 10, [(0, 25_000, "Youth services line (demo figure)")],
                 [("refugee", 5_000, "Newcomer youth mentoring")], 30),
}  # fmt: skip


def focus_areas() -> dict[str, FocusArea]:
    return {
        slug: upsert(FocusArea, slug=slug, values={"name": name})
        for slug, name in FOCUS_AREAS.items()
    }


def directory_details(cast: Cast, areas: dict[str, FocusArea]) -> None:
    """Give each person prevention levels, focus areas and (some) initiative seats."""
    slugs = sorted(areas)
    initiatives = list(cast.city.initiatives.order_by("name"))
    for person in cast.people:
        rng = random.Random(f"{SEED}:directory:{person.email}")
        upsert(
            type(person),
            pk=person.pk,
            values={
                "works_primary": True,
                "works_secondary": rng.random() < 0.5,
                "works_tertiary": person.leg == "law_enforcement" or rng.random() < 0.15,
            },
        )
        person.focus_areas.set([areas[s] for s in rng.sample(slugs, 2)])
        if initiatives and rng.random() < 0.3:
            rng.choice(initiatives).people.add(person)


def moments(cast: Cast) -> None:
    for title, kind, days, length, notes in MOMENTS:
        starts = cast.today + timedelta(days=days)
        upsert(
            LocalMoment,
            city=cast.city,
            title=title,
            values={
                "kind": kind,
                "starts_on": starts,
                "ends_on": starts + timedelta(days=length) if length else None,
                "notes": notes,
            },
        )


def institution(cast: Cast) -> None:
    fte, hours, lines, grants, transition_months = INSTITUTION[cast.plan.slug]
    city = cast.city
    upsert(
        type(city),
        pk=city.pk,
        values={
            "dedicated_staff_fte": fte,
            "staff_hours_per_month": hours,
            "next_mayoral_transition": _months_ahead(cast.today, transition_months),
        },
    )
    fiscal_year = _fiscal_year(cast.today)
    for offset, amount, source in lines:
        upsert(
            BudgetLine,
            city=city,
            fiscal_year=fiscal_year + offset,
            source=source,
            values={"amount": Decimal(amount)},
        )
    for key, amount, purpose in grants:
        upsert(
            CommunityGrant,
            city=city,
            organisation=cast.organisations[key],
            fiscal_year=fiscal_year,
            values={"amount": Decimal(amount), "purpose": purpose},
        )


def _months_ahead(today: date, months: int) -> date:
    """The first of the month `months` ahead: transitions happen at a term's start."""
    year, month = divmod(today.month - 1 + months, 12)
    return date(today.year + year, month + 1, 1)


def _fiscal_year(today: date) -> int:
    from stakeholders.institution_selectors import fiscal_year_of

    return fiscal_year_of(today)
