"""Convenings on each city's calendar, the answers (RSVPs), attendance and trainings."""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from stakeholders.demo import texts
from stakeholders.demo.cities import SEED, Visit
from stakeholders.demo.people import Cast
from stakeholders.demo.rows import upsert, working_day
from stakeholders.models import Person, User
from trainings.models import AssessmentRequest, Completion, TrainingModule, TrainingSession
from workinggroups.models import (
    Attendance,
    Convening,
    ConveningMessage,
    Invitation,
    MessageKind,
    MessageStatus,
)
from workinggroups.outbound import messages_plan_reminders

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
    next_visit = min((v.days for v in cast.plan.calendar if v.days > 0), default=None)
    for visit in cast.plan.calendar:
        spec = texts.CONVENINGS[visit.key]
        title = spec.title.format(city=cast.plan.name)
        day = working_day(cast.today + timedelta(days=visit.days))
        starts_at = cast.at(day, spec.starts)
        offsets, replan = None, False
        if visit.days == next_visit:
            starts_at, offsets, replan = _live_reminder(cast, title)
            day = starts_at.astimezone(cast.zone).date()
        held = visit.days < 0
        convening = upsert(
            Convening,
            group=cast.group,
            title=title,
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
                "reminder_offsets_minutes": offsets,
            },
        )
        attendees = _answers(cast, visit, convening, day)
        if replan:
            # A fresh plan: rows of an earlier run (sent, missed) would hide the new reminder.
            ConveningMessage.objects.filter(convening=convening).delete()
            messages_plan_reminders(
                convening=convening, person_ids=[person.pk for person in cast.people]
            )
        if spec.kind == Convening.Kind.TRAINING:
            session = upsert(
                TrainingSession, convening=convening, values={"trainer": staff, "trainer_name": ""}
            )
            covered = [modules[slug] for slug in spec.modules]
            session.modules.set(covered)
            _completions(session, covered, attendees, day)
            if held:
                _assessments(session, covered, attendees)


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


def _assessments(session: TrainingSession, covered: list, attendees: list) -> None:
    """Before and after answers of a held session's attendees: confidence mostly rises,
    so the results pages show what people learned (by leg, never by name)."""
    convening = session.convening
    objectives = [o for module in covered for o in module.objective_list]
    for person in attendees:
        rng = random.Random(f"{SEED}:assessment:{convening.title}:{person.email}")
        before = {str(i): rng.randint(1, 3) for i in range(len(objectives))}
        after = {str(i): min(5, v + rng.choice([0, 1, 1, 2])) for i, v in before.items()}
        for phase, answers, sent_at, closes_at in (
            ("before", before, convening.starts_at - timedelta(days=3), convening.starts_at),
            ("after", after, convening.ends_at, convening.ends_at + timedelta(days=14)),
        ):
            upsert(
                AssessmentRequest,
                session=session,
                person=person,
                phase=phase,
                values={
                    "leg": person.leg,
                    "status": AssessmentRequest.MailStatus.SENT,
                    "due_at": sent_at,
                    "claimed_at": sent_at,
                    "sent_at": sent_at,
                    "attempts": 1,
                    "closes_at": closes_at,
                    "answered_at": sent_at + timedelta(hours=rng.randint(1, 12)),
                    "confidence": answers,
                },
            )


# --- A reminder that goes out while the demo runs (`make run`) --------------------------------

# The next convening's reminder falls due this long after the seed, so the worker and beat
# that `make run` starts print it on the console (with its calendar and RSVP links).
REMINDER_LEAD = timedelta(minutes=3)
REMINDER_OFFSET = 120  # the cities' default last reminder, minutes before the start


def _live_reminder(cast: Cast, title: str, now: datetime | None = None):
    """Where the city's next convening starts so that a reminder falls due in three minutes.

    Returns (starts_at, reminder offsets or None for the city's default, replan). Kept as it
    is while that reminder is still ahead and close, so a second seed a moment later changes
    nothing; otherwise moved, and its ledger rows planned afresh. Convenings fall on working
    days only: at a weekend the start moves to the next working morning and the offset grows
    to match (at most a few days, well inside the 14-day limit).
    """
    now = now or timezone.now()
    existing = Convening.objects.filter(group=cast.group, title=title).first()
    if (
        existing is not None
        and existing.messages.filter(
            kind=MessageKind.REMINDER,
            status=MessageStatus.PENDING,
            due_at__gt=now,
            due_at__lte=now + timedelta(minutes=5),
        ).exists()
    ):
        return existing.starts_at, existing.reminder_offsets_minutes, False
    due_at = (now + REMINDER_LEAD).replace(second=0, microsecond=0) + timedelta(minutes=1)
    starts_at = due_at + timedelta(minutes=REMINDER_OFFSET)
    local_day = starts_at.astimezone(cast.zone).date()
    if working_day(local_day) != local_day:
        starts_at = cast.at(working_day(local_day), time(9, 0))
        return starts_at, [int((starts_at - due_at).total_seconds() // 60)], True
    return starts_at, None, True
