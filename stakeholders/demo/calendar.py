"""Convenings on each city's calendar, the answers (RSVPs), attendance and trainings."""

import random
from datetime import date, time, timedelta

from stakeholders.demo import texts
from stakeholders.demo.cities import SEED, Visit
from stakeholders.demo.people import Cast
from stakeholders.demo.rows import upsert, working_day
from stakeholders.models import Person, User
from trainings.models import Completion, TrainingModule, TrainingSession
from workinggroups.models import Attendance, Convening, Invitation

Answer = Invitation.Response


def training_modules() -> dict[str, TrainingModule]:
    modules = {}
    for spec in texts.MODULES:
        values = {k: v for k, v in spec.items() if k != "prerequisites"}
        modules[spec["slug"]] = upsert(
            TrainingModule, slug=spec["slug"], values={**values, "is_foundational": True}
        )
    for spec in texts.MODULES:
        needed = [modules[slug] for slug in spec.get("prerequisites", ())]
        modules[spec["slug"]].prerequisites.set(needed)
    return modules


def convenings_of(cast: Cast, modules: dict, staff: User) -> None:
    for visit in cast.plan.calendar:
        spec = texts.CONVENINGS[visit.key]
        day = working_day(cast.today + timedelta(days=visit.days))
        starts_at = cast.at(day, spec.starts)
        held = visit.days < 0
        convening = upsert(
            Convening,
            group=cast.group,
            title=spec.title.format(city=cast.plan.name),
            values={
                "kind": spec.kind,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=spec.minutes),
                "place": cast.plan.venue if spec.in_person else "",
                "online_url": (
                    f"https://meet.example.org/{cast.plan.slug}/{visit.key.replace('_', '-')}"
                    if spec.online
                    else ""
                ),
                "agenda": spec.agenda,
                "capacity": 40 if spec.in_person else None,
                "status": Convening.Status.HELD if held else Convening.Status.SCHEDULED,
            },
        )
        attendees = _answers(cast, visit, convening, day)
        if spec.kind == Convening.Kind.TRAINING:
            session = upsert(
                TrainingSession, convening=convening, values={"trainer": staff, "trainer_name": ""}
            )
            covered = [modules[slug] for slug in spec.modules]
            session.modules.set(covered)
            _completions(session, covered, attendees, day)


def _answers(cast: Cast, visit: Visit, convening: Convening, day: date) -> list[Person]:
    """Invite the whole group; record answers and, for held convenings, who came."""
    held = visit.days < 0
    # Invitations go out three weeks ahead, but never later than two days ago.
    invited_on = min(day - timedelta(days=21), cast.today - timedelta(days=2))
    invited_at = cast.at(invited_on, time(9, 0))
    rng = random.Random(f"{SEED}:{cast.plan.slug}:{visit.key}")
    attendees = []
    for person in cast.people:
        # Draw the same numbers for everyone, whatever the branch, so the sequence is stable.
        roll, show, hours = rng.random(), rng.random(), rng.randint(1, 36)
        answer, came = _answer(cast, visit, person, roll, show)
        upsert(
            Invitation,
            convening=convening,
            person=person,
            values={
                "response": answer,
                "invited_at": invited_at,
                # At most 36 hours after 09:00 two days ago: always in the past.
                "responded_at": None
                if answer == Answer.PENDING
                else invited_at + timedelta(hours=hours),
            },
        )
        if held and came:
            upsert(
                Attendance,
                convening=convening,
                person=person,
                values={"leg": person.leg, "recorded_at": convening.ends_at},
            )
            attendees.append(person)
    # Converge on the plan: drop rows an earlier version of the plan wrote.
    Invitation.objects.filter(convening=convening).exclude(person__in=cast.people).delete()
    Attendance.objects.filter(convening=convening).exclude(person__in=attendees).delete()
    return attendees


def _answer(cast: Cast, visit: Visit, person: Person, roll: float, show: float):
    """The answer (RSVP) a person gives, and whether they came if the convening was held."""
    held = visit.days < 0
    if person == cast.coordinator:
        return Answer.YES, True  # the coordinator runs every convening
    weak = cast.plan.weak_leg
    if weak and person.leg == weak[0]:
        if visit.key in weak[1]:
            return Answer.YES, True
        return (Answer.NO, False) if held else (Answer.PENDING, False)
    if person.leg in visit.absent_legs:
        return Answer.NO, False
    if held:
        if roll < 0.70:
            return Answer.YES, show > 0.1  # most who said yes came
        if roll < 0.82:
            return Answer.MAYBE, show < 0.35
        return Answer.NO, False
    if roll < 0.35:
        return Answer.PENDING, False
    if roll < 0.75:
        return Answer.YES, False
    return (Answer.MAYBE if roll < 0.85 else Answer.NO), False


def _completions(session: TrainingSession, covered: list, attendees: list, day: date) -> None:
    for person in attendees:
        for module in covered:
            upsert(
                Completion,
                person=person,
                module=module,
                session=session,
                values={"method": Completion.Method.ATTENDED, "completed_on": day},
            )
    Completion.objects.filter(session=session).exclude(person__in=attendees).delete()
