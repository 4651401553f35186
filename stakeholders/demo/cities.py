"""The pilot's facts and the fictional people around them: what `seed_demo` writes.

Cities' facts are real (DOMAIN.md: 2020 census, form of government, the lead's role, never
a name); organisations and people are fictional.
"""

from dataclasses import dataclass
from datetime import date

# One fixed seed: every "random" choice (names, answers, no-shows) is the same on every run.
SEED = "prevention-portal-demo-v1"

PROGRAMME = {
    "name": "City-led prevention of hate and extremism in small and mid-sized US cities",
    "funder": "US Department of Homeland Security, TVTP grant programme",
    "grant_reference": "DHS-23-TTP-132-00-01",
    "starts_on": date(2023, 10, 1),
    # The grant period as awarded. The demo's convenings move with today's date, so no
    # fixed end date could contain them all; the record keeps the real fact instead.
    "ends_on": date(2025, 9, 30),
}


@dataclass(frozen=True)
class Seat:
    """A seat at the table: the sector (whose usual leg is the person's leg) and the role."""

    sector: str
    role_title: str
    organisation: str | None = None  # a key into the city's organisations


# Recommended seats (DOMAIN.md lesson 3), by leg. Cities pick from these by key.
COMMUNITY_SEATS = {
    "interfaith": Seat("interfaith-leaders", "Executive director", "interfaith"),
    "black": Seat("black-community", "President", "black"),
    "latino": Seat("hispanic-latino-community", "Programme director", "latino"),
    "lgbtq": Seat("lgbtq-community", "Director", "lgbtq"),
    "native": Seat("native-american-community", "Community organiser", "native"),
    "asian": Seat("asian-american-community", "Board chair", "asian"),
    "jewish": Seat("jewish-leaders", "Executive director", "jewish"),
    "muslim": Seat("muslim-leaders", "Outreach director", "muslim"),
    "christian": Seat("christian-leaders", "Pastor", "christian"),
    "refugee": Seat("refugee-services", "Resettlement case manager", "refugee"),
    "youth": Seat("youth-services", "Youth programmes director", "youth"),
    "mental_health": Seat("mental-health-services", "Clinical director", "mental_health"),
    "housing": Seat("housing-services", "Outreach coordinator", "housing"),
    "academic": Seat("academics", "Associate professor of sociology", "university"),
}
CITY_STAFF_SEATS = [
    Seat("human-rights-commissioners", "Human Rights Commission member"),
    Seat("school-administrators", "Director of student support services", "schools"),
    Seat("public-health", "Public-health programme manager"),
    Seat("city-service-providers", "Youth and family services manager"),
    Seat("emergency-services", "Emergency management coordinator"),
]
LAW_ENFORCEMENT_SEATS = [
    Seat("public-safety-directors", "Deputy Chief of Police", "police"),
    Seat("sworn-officers", "Community engagement sergeant", "police"),
    Seat("doj-community-engagement", "Community Relations Service conciliator, US DOJ"),
    Seat("assistant-us-attorneys", "Assistant US Attorney, civil rights unit"),
]
# Organisations' sectors: a community organisation takes its seat's sector; these others not.
ORGANISATION_SECTORS = {
    "police": "sworn-officers",
    "schools": "school-administrators",
    "university": "university-administrators",
}
# The coordinator's own seat: the city staff member who runs the group day to day.
COORDINATOR_SEAT = Seat("community-liaisons", "Prevention coordinator")


@dataclass(frozen=True)
class Visit:
    """A convening on a city's calendar: which one, and how many days from today."""

    key: str  # a key into CONVENINGS
    days: int  # negative: held; positive: upcoming
    absent_legs: tuple[str, ...] = ()  # legs that sent no one (DOMAIN.md lesson 5)


@dataclass(frozen=True)
class CityPlan:
    slug: str
    name: str
    state: str
    time_zone: str
    population: int
    form_of_government: str
    government_notes: str
    lead_role: str
    lead_portfolio: str
    council_title: str
    venue: str
    organisations: dict[str, str]
    initiatives: tuple[tuple[str, str], ...]
    seats: dict[str, int]  # seats for the other legs (city staff: besides the coordinator)
    community: tuple[str, ...]  # which community seats; the first is the demo member
    calendar: tuple[Visit, ...]
    mayor_co_chairs: bool = False  # where the mayor is the lead
    # A weak leg (DOMAIN.md lesson 1): its people come only to these convenings.
    weak_leg: tuple[str, tuple[str, ...]] | None = None


CITIES = [
    CityPlan(
        slug="albuquerque",
        name="Albuquerque",
        state="New Mexico",
        time_zone="America/Denver",
        population=564_559,
        form_of_government="strong_mayor_council",
        government_notes="9 district councillors",
        lead_role="Community Empowerment Officer",
        lead_portfolio="community_engagement",
        council_title="City Councillor, District {n}",
        venue="Albuquerque City Hall, Council Committee Room",
        organisations={
            "interfaith": "Albuquerque Interfaith Council",
            "black": "Rio Grande Black Community Alliance",
            "latino": "Nuestra Comunidad Albuquerque",
            "lgbtq": "High Desert LGBTQ+ Center",
            "native": "Urban Native Community Circle",
            "refugee": "New Mexico Welcome Network",
            "police": "Albuquerque Police Department",
            "schools": "Albuquerque Public Schools",
            "university": "Southwest Institute for Community Research",
        },
        initiatives=(
            ("Racial Equity Working Group", "City staff and residents advising on equity."),
            ("Human Rights Board", "Hears residents' concerns about discrimination."),
        ),
        seats={"mayor_council": 3, "city_staff": 4, "law_enforcement": 3},
        community=(
            "interfaith",
            "native",
            "black",
            "latino",
            "lgbtq",
            "refugee",
            "muslim",
            "jewish",
            "youth",
            "mental_health",
            "academic",
        ),
        calendar=(
            Visit("launch", -160),
            Visit("training_1", -131),
            Visit("briefing", -96),
            Visit("session_stakeholders", -61),
            Visit("training_2", -26, absent_legs=("mayor_council",)),
            Visit("session_needs", 12),
            Visit("training_3", 37),
        ),
    ),
    CityPlan(
        slug="athens",
        name="Athens",
        state="Ohio",
        time_zone="America/New_York",
        population=23_849,
        form_of_government="mayor_council",
        government_notes="ward and at-large members",
        lead_role="Mayor",
        lead_portfolio="mayors_office",
        council_title="City Council member, Ward {n}",
        venue="Athens City Hall, Council Chambers",
        organisations={
            "interfaith": "Athens Area Interfaith Alliance",
            "black": "Appalachian Black Heritage Association",
            "latino": "Athens Latino Community Network",
            "lgbtq": "Athens Pride Community Center",
            "youth": "Athens Youth Mentoring Partnership",
            "police": "Athens Police Department",
            "schools": "Athens City School District",
            "university": "Hocking Valley College of Public Affairs",
        },
        initiatives=(
            ("Community Relations Commission", "Advises the council on community relations."),
            ("Campus-community partnership", "The city and the university, meeting monthly."),
        ),
        seats={"mayor_council": 2, "city_staff": 3, "law_enforcement": 2},
        community=(
            "interfaith",
            "black",
            "lgbtq",
            "latino",
            "academic",
            "youth",
            "mental_health",
            "christian",
        ),
        calendar=(
            Visit("workshop", -150),
            Visit("training_1", -118),
            Visit("session_stakeholders", -75),
            Visit("briefing", -33),
            Visit("session_needs", 9),
            Visit("training_2", 30),
        ),
        mayor_co_chairs=True,
    ),
    CityPlan(
        slug="chattanooga",
        name="Chattanooga",
        state="Tennessee",
        time_zone="America/New_York",
        population=181_099,
        form_of_government="strong_mayor_council",
        government_notes="9 districts",
        lead_role="Mayor",
        lead_portfolio="mayors_office",
        council_title="City Council member, District {n}",
        venue="Chattanooga City Hall, Council Assembly Room",
        organisations={
            "interfaith": "Chattanooga Interfaith Roundtable",
            "black": "Southside Black Community Council",
            "latino": "Casa Chattanooga Community Center",
            "lgbtq": "Scenic City LGBTQ+ Center",
            "jewish": "Chattanooga Jewish Community Council",
            "muslim": "Islamic Society of the Tennessee Valley",
            "police": "Chattanooga Police Department",
            "schools": "Hamilton County Schools",
        },
        initiatives=(
            ("Human Rights Commission", "Receives and reviews reports of discrimination."),
            ("Community Safety Partnership", "Neighbourhood leaders and city departments."),
        ),
        seats={"mayor_council": 3, "city_staff": 4, "law_enforcement": 3},
        community=(
            "interfaith",
            "black",
            "latino",
            "jewish",
            "muslim",
            "lgbtq",
            "christian",
            "youth",
            "housing",
            "refugee",
        ),
        calendar=(
            Visit("launch", -170),
            Visit("training_1", -140),
            Visit("briefing", -89),
            Visit("training_2", -40, absent_legs=("mayor_council",)),
            Visit("session_needs", 15),
            Visit("session_framework", 44),
        ),
        mayor_co_chairs=True,
    ),
    CityPlan(
        slug="overland-park",
        name="Overland Park",
        state="Kansas",
        time_zone="America/Chicago",
        population=197_238,
        form_of_government="mayor_council_manager",
        government_notes="12 councillors",
        lead_role="Assistant to the City Manager",
        lead_portfolio="city_managers_office",
        council_title="City Council member, Ward {n}",
        venue="Overland Park City Hall, Conference Room 2",
        organisations={
            "interfaith": "Johnson County Interfaith Partnership",
            "black": "Overland Park Black Professionals Alliance",
            "latino": "Johnson County Latino Coalition",
            "lgbtq": "Heartland LGBTQ+ Community Center",
            "refugee": "Kansas Newcomers Network",
            "police": "Overland Park Police Department",
            "schools": "Blue Valley School District",
        },
        initiatives=(
            ("Diversity, Equity and Inclusion Advisory Committee", "Advises the city manager."),
        ),
        seats={"mayor_council": 2, "city_staff": 3, "law_enforcement": 1},
        community=(
            "interfaith",
            "black",
            "latino",
            "lgbtq",
            "refugee",
            "asian",
            "muslim",
            "youth",
            "mental_health",
        ),
        calendar=(
            Visit("launch", -120),
            Visit("training_1", -85),
            Visit("session_stakeholders", -30),
            Visit("session_needs", 10),
            Visit("training_2", 41),
        ),
        # The one law-enforcement member came to the launch and not since.
        weak_leg=("law_enforcement", ("launch",)),
    ),
    CityPlan(
        slug="stamford",
        name="Stamford",
        state="Connecticut",
        time_zone="America/New_York",
        population=135_470,
        form_of_government="strong_mayor_council",
        government_notes="40-member Board of Representatives",
        lead_role="Director of Diversity, Equity & Inclusion",
        lead_portfolio="dei",
        council_title="Member, Board of Representatives, District {n}",
        venue="Stamford Government Center, 4th floor meeting room",
        organisations={
            "interfaith": "Stamford Interfaith Council",
            "black": "Stamford Black Community Coalition",
            "latino": "Casa Stamford Latino Center",
            "lgbtq": "Fairfield County LGBTQ+ Center",
            "asian": "Stamford Asian American Alliance",
            "jewish": "Stamford Jewish Community Council",
            "refugee": "Connecticut Coast Refugee Services",
            "police": "Stamford Police Department",
            "schools": "Stamford Public Schools",
        },
        initiatives=(
            ("Human Rights Commission", "Promotes mutual respect among residents."),
            ("Racial Equity Working Group", "Board members, staff and community partners."),
        ),
        seats={"mayor_council": 3, "city_staff": 4, "law_enforcement": 2},
        community=(
            "interfaith",
            "black",
            "latino",
            "asian",
            "jewish",
            "lgbtq",
            "refugee",
            "christian",
            "youth",
            "housing",
        ),
        calendar=(
            Visit("launch", -145),
            Visit("workshop", -112),
            Visit("training_1", -80, absent_legs=("mayor_council",)),
            Visit("briefing", -47),
            Visit("session_stakeholders", -19),
            Visit("session_needs", 16),
            Visit("session_framework", 51),
        ),
    ),
]


# Fictional people: first names and surnames are drawn per city without repeating.
FIRST_NAMES = (  # noqa: SIM905
    "Adriana Aisha Alejandro Amir Ana Benjamin Camila Carlos Chloe Daniel Darnell Deborah "
    "Diego Elena Ethan Fatima Grace Hannah Isaiah Jamal Jasmine Jonah Keisha Kenji Laila "
    "Leah Lucia Malik Marcus Maya Miriam Nadia Noah Omar Priya Rosa Samuel Sofia Tariq "
    "Theresa Victor Yusuf"
).split()
SURNAMES = (  # noqa: SIM905
    "Abernathy Aguilar Baptiste Benally Brennan Castillo Chen Coleman Delgado Dubois "
    "Ellison Farouk Ferreira Goldberg Haddad Holloway Ibarra Jefferson Kaplan Lindqvist "
    "Maldonado Mercer Morningstar Nakamura Okafor Pellegrino Quintero Rahman Redhouse "
    "Salazar Schuster Tanaka Thornton Underwood Valdez Whitfield Yazzie Zamora"
).split()


STAFF_EMAIL = "staff@example.org"
ACCOUNT_ROLES = ("coordinator", "member")


def account_email(role: str, slug: str) -> str:
    """A demo account's address, e.g. coordinator.overland-park@example.org."""
    return f"{role}.{slug}@example.org"


def demo_account_emails() -> list[str]:
    """Every demo account, as `make run` lists them and the seed creates them."""
    return [STAFF_EMAIL] + [
        account_email(role, plan.slug) for plan in CITIES for role in ACCOUNT_ROLES
    ]
