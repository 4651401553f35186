"""Recorded milestones and framework versions of each demo city (issue #8).

The pilots are in the first half of the project (DOMAIN.md): every city has designated its
lead; Chattanooga, after its launch, and Stamford are drafting their frameworks; Athens, after
its workshop with the mayor and council, has its draft in review; Albuquerque has agreed a
post-incident protocol with its interfaith response network; Overland Park, weak on law
enforcement, has recorded nothing more. The derived milestones (first convening, trainings,
briefings, budget lines) come from the rows the other demo builders write.

Dates are counted from the city's calendar (its first convening, the launch or workshop), as
the convenings are, so the story holds whatever day the demo is seeded; evidence is a link
on example.org (fictional; the demo stores no files). Idempotent like the rest of the demo:
rows are found by natural key, and rows an earlier plan wrote are dropped.
"""

from datetime import timedelta

from stakeholders.demo.people import Cast
from stakeholders.demo.rows import upsert
from workinggroups.models import FrameworkVersion, Milestone, MilestoneRecord

# city slug -> [(milestone, days before (-) or after (+) the city's first convening, note)]
RECORDS = {
    "albuquerque": [
        (Milestone.LEAD_DESIGNATED, -45, "The Community Empowerment Officer leads the pilot."),
        (Milestone.POST_INCIDENT_PROTOCOL, 120, "Agreed with the interfaith response network: "
         "who calls whom after a hate incident, and how the city speaks."),
    ],
    "athens": [
        (Milestone.LEAD_DESIGNATED, -40, "The mayor leads the pilot."),
        (Milestone.NEEDS_ASSESSMENT, 95, "Focus groups with students, faith and campus leaders."),
    ],
    "chattanooga": [
        (Milestone.LEAD_DESIGNATED, -60, "The mayor's office leads; announced at the launch."),
    ],
    "overland-park": [
        (Milestone.LEAD_DESIGNATED, -30, "The Assistant to the City Manager leads the pilot."),
    ],
    "stamford": [
        (Milestone.LEAD_DESIGNATED, -35, "The Director of Diversity, Equity & Inclusion leads."),
        (Milestone.NEEDS_ASSESSMENT, 110, "A survey of the working group and two focus groups."),
    ],
}  # fmt: skip

# city slug -> [(number, status, days after the first convening: drafted, reviewed or None,
#               components covered)]
FRAMEWORKS = {
    "athens": [
        (1, "in_review", 120, None, ("has_statement_of_need", "has_objectives",
         "has_needs_and_vulnerabilities", "has_activities", "has_referral_pathways")),
    ],
    "chattanooga": [
        (1, "draft", 140, None, ("has_statement_of_need", "has_objectives")),
    ],
    "stamford": [
        (1, "draft", 125, None, ("has_statement_of_need", "has_objectives",
         "has_needs_and_vulnerabilities")),
    ],
}  # fmt: skip

COMPONENTS = (
    "has_statement_of_need",
    "has_objectives",
    "has_needs_and_vulnerabilities",
    "has_activities",
    "has_referral_pathways",
    "has_post_incident_response",
    "has_monitoring",
)


def progress_of(cast: Cast) -> None:
    """Write the city's recorded milestones and framework versions."""
    slug = cast.plan.slug
    start = cast.today + timedelta(days=min(visit.days for visit in cast.plan.calendar))
    # Never in the future: a milestone is recorded once it is reached.
    planned = []
    for milestone, days, note in RECORDS.get(slug, []):
        day = min(start + timedelta(days=days), cast.today)
        upsert(
            MilestoneRecord,
            city=cast.city,
            milestone=milestone,
            values={
                "reached_on": day,
                "evidence_url": f"https://example.org/{slug}/{milestone.replace('_', '-')}",
                "note": note,
            },
        )
        planned.append(milestone)
    MilestoneRecord.objects.filter(city=cast.city).exclude(milestone__in=planned).delete()

    numbers = []
    for number, status, drafted, reviewed, covered in FRAMEWORKS.get(slug, []):
        upsert(
            FrameworkVersion,
            city=cast.city,
            number=number,
            values={
                "title": f"{cast.plan.name} local prevention framework",
                "status": status,
                "drafted_on": min(start + timedelta(days=drafted), cast.today),
                "reviewed_on": (
                    min(start + timedelta(days=reviewed), cast.today) if reviewed else None
                ),
                **{name: name in covered for name in COMPONENTS},
                "notes": "Drafted by the working group with the network's framework template.",
            },
        )
        numbers.append(number)
    FrameworkVersion.objects.filter(city=cast.city).exclude(number__in=numbers).delete()
