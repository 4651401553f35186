"""The demo's words: convenings, foundational training modules and landscape briefings.

They follow DOMAIN.md lesson 6: "the landscape of hate and extremism", "social cohesion and
safety", "stakeholder identification", "needs and vulnerabilities".
"""

from dataclasses import dataclass
from datetime import time

from stakeholders.demo.cities import CITIES


@dataclass(frozen=True)
class ConveningPlan:
    kind: str
    title: str  # "{city}" is the city's name
    starts: time  # local time in the city's zone
    minutes: int
    agenda: str
    in_person: bool = True
    online: bool = True
    modules: tuple[str, ...] = ()  # slugs of training modules, for trainings


CONVENINGS = {
    "launch": ConveningPlan(
        "launch",
        "Launch of the {city} Local Leadership Group",
        time(17, 30),
        120,
        "Welcome from the city's prevention lead\n"
        "Why a whole-of-city approach to hate and extremism\n"
        "Introductions: who sits at the table, and who is still missing\n"
        "The year ahead: trainings, landscape briefings, the local framework",
        online=False,
    ),
    "workshop": ConveningPlan(
        "workshop",
        "Workshop with the mayor and council",
        time(10, 0),
        180,
        "The four legs of the stool: each one's role\n"
        "How the framework could be adopted in our form of government\n"
        "Making it last: a budget line, dedicated staff and time",
    ),
    "training_1": ConveningPlan(
        "training",
        "Foundational training: the landscape of hate and extremism",
        time(9, 30),
        180,
        "The landscape of hate and extremism, online and offline\n"
        "Social cohesion and safety: what it looks like here\n"
        "Questions and reflections",
        modules=("landscape-of-hate-and-extremism", "social-cohesion-and-safety"),
    ),
    "briefing": ConveningPlan(
        "landscape_briefing",
        "Landscape briefing: hate and extremism online and offline",
        time(12, 0),
        90,
        "The digital landscape of hate and extremism, nationally and locally\n"
        "How online activity echoes in local life\n"
        "What the group would like to know next",
        in_person=False,
    ),
    "session_stakeholders": ConveningPlan(
        "working_session",
        "Working session: stakeholder identification",
        time(18, 0),
        120,
        "Who already works on prevention in the city, across all four legs\n"
        "Which recommended seats are still empty\n"
        "Folding the work into existing bodies",
        in_person=False,
    ),
    "training_2": ConveningPlan(
        "training",
        "Foundational training: stakeholders, needs and vulnerabilities",
        time(9, 30),
        180,
        "Stakeholder identification in practice\n"
        "Needs and vulnerabilities: surveys and focus groups\n"
        "Planning our own assessment",
        modules=("stakeholder-identification", "needs-and-vulnerabilities"),
    ),
    "training_3": ConveningPlan(
        "training",
        "Foundational training: referral pathways and communications",
        time(9, 30),
        180,
        "Referral pathways: who helps whom, and when\nCommunications: how to talk about prevention",
        modules=("referral-pathways", "communications"),
    ),
    "session_needs": ConveningPlan(
        "working_session",
        "Working session: planning the needs and vulnerabilities assessment",
        time(18, 0),
        120,
        "Questions for the survey\nWho hosts the focus groups\nTiming around local moments",
        in_person=False,
    ),
    "session_framework": ConveningPlan(
        "working_session",
        "Working session: drafting the local prevention framework",
        time(18, 0),
        120,
        "Statement of need\nPurpose and measurable objectives\nPrevention activities",
    ),
}

MODULES = [
    {
        "slug": "landscape-of-hate-and-extremism",
        "title": "The landscape of hate and extremism, online and offline",
        "summary": "How hate and extremism show up online and in local life, and how the two "
        "connect.",
        "objectives": "Describe the main forms of hate and extremism present in US cities\n"
        "Explain how online spaces link to local activity\n"
        "Recognise where polarisation feeds hate",
        "duration_minutes": 90,
        "prevention_level": "primary",
        "refresher_months": 12,  # the digital landscape changes fast
    },
    {
        "slug": "social-cohesion-and-safety",
        "title": "Social cohesion and safety",
        "summary": "What holds a city together, and how cohesion keeps residents safe.",
        "objectives": "Define social cohesion and its role in prevention\n"
        "Identify local strengths to build on",
        "duration_minutes": 60,
        "prevention_level": "primary",
    },
    {
        "slug": "stakeholder-identification",
        "title": "Stakeholder identification",
        "summary": "Finding the local actors and services across the four legs of the stool.",
        "objectives": "List the recommended seats at the table\n"
        "Spot the gaps in your own group\n"
        "Reach groups focused on one form of hate",
        "duration_minutes": 60,
        "prevention_level": "primary",
    },
    {
        "slug": "needs-and-vulnerabilities",
        "title": "Needs and vulnerabilities",
        "summary": "Assessing what the city needs, with surveys and focus groups.",
        "objectives": "Plan a needs and vulnerabilities assessment\n"
        "Design respectful survey and focus-group questions\n"
        "Turn findings into priorities",
        "duration_minutes": 90,
        "prevention_level": "primary",
    },
    {
        "slug": "referral-pathways",
        "title": "Referral pathways",
        "summary": "Connecting people at risk of harm with the right support, early.",
        "objectives": "Describe the services a referral can lead to\n"
        "Agree who refers whom, and how consent is handled\n"
        "Keep prevention apart from intelligence and surveillance",
        "duration_minutes": 90,
        "prevention_level": "secondary",
        "prerequisites": ("needs-and-vulnerabilities",),
    },
    {
        "slug": "communications",
        "title": "Communications: how to talk about prevention",
        "summary": "Words that bring people in: hate, extremism and polarisation, said plainly.",
        "objectives": "Use language that invites rather than stigmatises\n"
        "Speak about prevention after a local incident",
        "duration_minutes": 60,
        "prevention_level": "primary",
    },
]


@dataclass(frozen=True)
class BriefingPlan:
    title: str
    summary: str
    body: str
    tlp: str
    days_ago: int | None  # None: a draft, not published
    cities: tuple[str, ...] = ()  # audience by city slug: everyone in those cities' groups
    groups_of: tuple[str, ...] = ()  # audience by group: the LLGs of these city slugs
    legs: tuple[str, ...] = ()  # narrows the audience to these legs
    sectors: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()  # organisation keys, in every city that has them
    named: tuple[tuple[str, str], ...] = ()  # (city slug, "coordinator" | "co_chair" | "police")


ALL_CITIES = tuple(plan.slug for plan in CITIES)

BRIEFINGS = [
    BriefingPlan(
        title="The landscape of hate and extremism online: an introduction",
        summary="A plain introduction to the digital landscape of hate and extremism, and how it "
        "reaches small and mid-sized cities.",
        body="## What this briefing covers\n\n"
        "- The main online spaces where hateful content circulates\n"
        "- How national narratives are given a local twist\n"
        "- Why this matters for social cohesion and safety\n\n"
        "## What cities can do\n\n"
        "Know the landscape, build trust across the four legs, and make sure residents "
        "know where to turn for support.",
        tlp="CLEAR",
        days_ago=100,
        cities=ALL_CITIES,
    ),
    BriefingPlan(
        title="Local echoes of global crises: what city leaders are seeing",
        summary="How overseas events are reflected in hateful content aimed at local "
        "communities, and the role of city leaders in keeping the peace.",
        body="## Summary\n\n"
        "Global crises are followed by spikes in hateful content that name local places and "
        "communities. Faith communities are often the first to notice.\n\n"
        "## Suggestions for mayors, councils and city staff\n\n"
        "1. Reach out early to the communities most affected.\n"
        "2. Speak publicly about the city's values.\n"
        "3. Keep the working group informed.",
        tlp="GREEN",
        days_ago=45,
        groups_of=ALL_CITIES,
        legs=("mayor_council", "city_staff"),
    ),
    BriefingPlan(
        title="Young people online: the landscape at the start of the school year",
        summary="What school and youth-service leaders should know about the online spaces "
        "where young people meet hateful content.",
        body="## Summary\n\n"
        "Gaming platforms and short-video apps are where many young people first meet "
        "hateful ideas, often as jokes.\n\n"
        "## For schools and youth services\n\n"
        "- Talk with students about what they see online\n"
        "- Agree referral pathways with mental-health services\n"
        "- Share concerns with the working group's coordinator",
        tlp="AMBER",
        days_ago=20,
        groups_of=ALL_CITIES,
        legs=("community", "city_staff"),
    ),
    BriefingPlan(
        title="Athens: local online activity ahead of the semester",
        summary="For the Athens group's chairs and police lead: online activity naming the city "
        "and its campus, and options for a community response.",
        body="## For the named recipients only\n\n"
        "This briefing describes online activity that names Athens and its campus. It is "
        "marked TLP:RED: please do not share it beyond the people named.\n\n"
        "## Options\n\n"
        "- A joint statement with the university on the city's values\n"
        "- Support for student groups who feel singled out",
        tlp="RED",
        days_ago=8,
        named=(("athens", "coordinator"), ("athens", "co_chair"), ("athens", "police")),
    ),
    BriefingPlan(
        title="Stamford: the landscape of hate and extremism, online and offline",
        summary="Draft: the digital landscape as it touches Stamford, for the group's next "
        "landscape briefing.",
        body="## Draft\n\nSections to come: national context, local echoes, suggested responses.",
        tlp="GREEN",
        days_ago=None,
        groups_of=("stamford",),
    ),
]


# The briefing `make run` publishes while the newcomer watches: scheduled a few minutes after
# the seed, for all five Local Leadership Groups, so the worker and beat show a distribution.
LIVE_BRIEFING = BriefingPlan(
    title="This month's landscape: online activity around local elections",
    summary="For the five Local Leadership Groups: how election season shows up in the "
    "online spaces our cities watch, and what groups can do before polling day.",
    body="## Why you are receiving this\n\n"
    "Local elections are a local moment: online spaces that are usually quiet start naming "
    "candidates, neighbourhoods and communities. This briefing is marked TLP:AMBER: share "
    "it within your organisation and with those it serves who need to know, not publicly.\n\n"
    "## What we are seeing\n\n"
    "- Misleading posts about who may vote, aimed at recent immigrants\n"
    "- Old local incidents shared again as if they were new\n"
    "- Hateful nicknames for candidates from minority communities\n\n"
    "## What working groups can do\n\n"
    "1. Agree who speaks for the city if a post goes viral.\n"
    "2. Check in with the community organisations most named.\n"
    "3. Remind residents where to report hate and where to find support.",
    tlp="AMBER",
    days_ago=None,
    groups_of=ALL_CITIES,
)


@dataclass(frozen=True)
class RequestStep:
    status: str  # a briefing request status
    days_ago: int  # from today in the city's zone
    note: str = ""


@dataclass(frozen=True)
class RequestPlan:
    """A city's request for a landscape briefing and the steps it went through."""

    city: str  # slug
    topic: str
    local_context: str
    audience_note: str
    needed_in_days: int  # from today in the city's zone; negative: already past
    steps: tuple[RequestStep, ...]  # the first one is the request itself
    scheduled_as: str = ""  # a key of CONVENINGS on the city's calendar
    delivered_briefing: str = ""  # the title of a published briefing


# One request in each state, so the staff's triage queue and the coordinators' lists have
# something to show.
BRIEFING_REQUESTS = [
    RequestPlan(
        city="overland-park",
        topic="A national story's local echo in neighbourhood groups online",
        local_context="Since a national news story last week, posts in neighbourhood social "
        "media groups have named a local mosque and a synagogue. Faith leaders on the group "
        "asked what is behind it and how the city could respond together.",
        audience_note="The whole group, with the police department's community liaison.",
        needed_in_days=24,
        steps=(RequestStep("requested", 3),),
    ),
    RequestPlan(
        city="stamford",
        topic="Hateful content around the coming municipal elections",
        local_context="Two candidates from minority communities have been given hateful "
        "nicknames online. The Board of Representatives asked the group what the "
        "wider picture is before the campaign heats up.",
        audience_note="The group's mayor and council members and city staff first.",
        needed_in_days=35,
        steps=(
            RequestStep("requested", 12),
            RequestStep(
                "accepted",
                9,
                "We will prepare it with the Connecticut context in mind; expect a date soon.",
            ),
        ),
    ),
    RequestPlan(
        city="athens",
        topic="Campus-related online activity before the semester",
        local_context="Students return in a few weeks. Last year flyers appeared on campus "
        "after an online campaign; the university and the city want to be ready this time.",
        audience_note="The whole group, and the university's student-life staff as guests.",
        needed_in_days=-31,
        steps=(
            RequestStep("requested", 60),
            RequestStep("accepted", 55),
            RequestStep("scheduled", 50, "Online, before the students return."),
        ),
        scheduled_as="briefing",
    ),
    RequestPlan(
        city="albuquerque",
        topic="The digital landscape of hate and extremism: a first look",
        local_context="The group is new and most members have not looked at the online "
        "side before. A plain introduction at the start of training would help everyone "
        "speak the same language.",
        audience_note="The whole Local Leadership Group.",
        needed_in_days=-95,
        steps=(
            RequestStep("requested", 130),
            RequestStep("accepted", 125),
            RequestStep("scheduled", 110),
            RequestStep(
                "delivered",
                95,
                "Given at the group's landscape briefing; the written introduction went to "
                "every city.",
            ),
        ),
        scheduled_as="briefing",
        delivered_briefing="The landscape of hate and extremism online: an introduction",
    ),
    RequestPlan(
        city="chattanooga",
        topic="Online reactions to the new community centre",
        local_context="The plans for a new community centre drew hostile comments naming "
        "refugee families. Community organisations asked whether this is local or part of a "
        "wider pattern.",
        audience_note="Community organisations and city staff.",
        needed_in_days=14,
        steps=(
            RequestStep("requested", 20),
            RequestStep(
                "declined",
                18,
                "The briefing for all five groups on the coming elections covers this "
                "pattern; ask again after it if local questions remain.",
            ),
        ),
    ),
]
