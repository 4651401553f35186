"""Writes for briefing requests: a coordinator asks, network staff triage (DOMAIN.md lesson 7).

Every step is one transaction that locks the request, changes it, adds one RequestEvent
(the step, and the notice of it to the requester: briefings/request_notices.py sends it)
and one audit record. After commit the notice task is asked to run now; with the broker
down that costs a warning, not the step: the event row waits for the next beat.

Allowed steps:

    requested -> accepted | scheduled | delivered | declined
    accepted  -> scheduled | delivered | declined
    scheduled -> delivered | declined
    delivered, declined: final
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditAction
from audit.services import audit_record
from briefings.models import BriefingRequest, LandscapeBriefing, RequestEvent, RequestStatus
from briefings.request_tasks import notify_request_events
from stakeholders.models import City
from stakeholders.roles import Viewer
from workinggroups.convening_services import ConveningDetails, convening_schedule
from workinggroups.models import ConveningKind, WorkingGroup

logger = logging.getLogger(__name__)

Status = RequestStatus

# Which states each step may start from.
ALLOWED_FROM = {
    Status.ACCEPTED: {Status.REQUESTED},
    Status.SCHEDULED: {Status.REQUESTED, Status.ACCEPTED},
    Status.DELIVERED: {Status.REQUESTED, Status.ACCEPTED, Status.SCHEDULED},
    Status.DECLINED: {Status.REQUESTED, Status.ACCEPTED, Status.SCHEDULED},
}
OPEN_STATUSES = (Status.REQUESTED, Status.ACCEPTED, Status.SCHEDULED)

# A request's state as the words of a sentence ("This request is ...").
STATE_WORDS = {
    Status.REQUESTED: gettext_lazy("new"),
    Status.ACCEPTED: gettext_lazy("accepted"),
    Status.SCHEDULED: gettext_lazy("scheduled as a convening"),
    Status.DELIVERED: gettext_lazy("delivered"),
    Status.DECLINED: gettext_lazy("declined"),
}
REFUSALS = {
    Status.ACCEPTED: gettext_lazy("This request is %(state)s: only a new request can be accepted."),
    Status.SCHEDULED: gettext_lazy(
        "This request is %(state)s: only a new or accepted request can be scheduled."
    ),
    Status.DELIVERED: gettext_lazy("This request is %(state)s: it cannot be marked delivered."),
    Status.DECLINED: gettext_lazy("This request is %(state)s: it cannot be declined."),
}

DEFAULT_BRIEFING_MINUTES = 90
NOTE_MAX = 500


class BriefingRequestError(Exception):
    """A step the request's state or the input does not allow; the messages say why."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else [str(m) for m in messages]
        super().__init__(" ".join(self.messages))


# --- Shared steps ---------------------------------------------------------------------------


def _notify_soon() -> None:
    """After commit, ask for the notice now instead of at the next beat (best effort: with
    the broker down the event stays un-notified and the next beat sends it)."""

    def kick() -> None:
        try:
            notify_request_events.delay()
        except Exception:  # kombu raises several kinds; none may fail a committed step
            logger.warning("Could not ask for request notices now; the next beat will")

    transaction.on_commit(kick)


def _locked(request_id: int) -> BriefingRequest:
    try:
        return (
            BriefingRequest.objects.select_for_update(of=("self",))
            .select_related("city")
            .get(pk=request_id)
        )
    except BriefingRequest.DoesNotExist:
        raise BriefingRequestError(_("This briefing request does not exist.")) from None


def _require_staff(actor) -> None:
    if not Viewer(actor).is_network_staff:
        raise PermissionDenied(_("Only network staff triage briefing requests."))


def _check_step(briefing_request: BriefingRequest, target: str) -> None:
    current = briefing_request.status
    if current == target:
        raise BriefingRequestError(
            _("This request is already %(state)s.") % {"state": STATE_WORDS[current]}
        )
    if current not in ALLOWED_FROM[target]:
        raise BriefingRequestError(REFUSALS[target] % {"state": STATE_WORDS[current]})


def _record_step(
    briefing_request: BriefingRequest,
    *,
    actor,
    status: str,
    note: str,
    request=None,
    now: datetime,
    **detail,
) -> RequestEvent:
    """The event (the step and its notice), the audit record and the kick, for every step."""
    event = RequestEvent.objects.create(
        request=briefing_request,
        status=status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note[:NOTE_MAX],
        created_at=now,
    )
    audit_record(
        actor=actor,
        action=(
            AuditAction.BRIEFING_REQUESTED
            if status == Status.REQUESTED
            else AuditAction.BRIEFING_REQUEST_CHANGED
        ),
        request=request,
        city=briefing_request.city,
        target=briefing_request,
        status=status,
        **detail,
    )
    _notify_soon()
    return event


def _clean_note(note: str | None) -> str:
    return (note or "").strip()[:NOTE_MAX]


def local_today(city: City, now: datetime | None = None) -> date:
    """Today in the city's own zone: "in the past" means before the city's today."""
    return (now or timezone.now()).astimezone(city.zone).date()


# --- Asking -----------------------------------------------------------------------------------


def request_create(
    *,
    actor,
    city: City,
    topic: str,
    local_context: str,
    needed_by: date,
    audience_groups: Iterable[WorkingGroup | int] = (),
    audience_note: str = "",
    request=None,
    now: datetime | None = None,
) -> BriefingRequest:
    """Ask network staff for a landscape briefing for a city (its coordinators, or staff).

    The groups must be the city's own; the date may not be before the city's today.
    """
    now = now or timezone.now()
    if not Viewer(actor).can_coordinate(city.pk):
        raise PermissionDenied(_("Only the city's coordinators and network staff ask for it."))
    topic, local_context = (topic or "").strip(), (local_context or "").strip()
    audience_note = (audience_note or "").strip()
    group_ids = {g.pk if isinstance(g, WorkingGroup) else int(g) for g in audience_groups}
    errors = []
    if not topic:
        errors.append(_("Give the topic of the briefing."))
    if not local_context:
        errors.append(_("Describe the local context: what is happening in the city."))
    if needed_by is None:
        errors.append(_("Say by when the briefing is needed."))
    elif needed_by < local_today(city, now):
        errors.append(_("The date it is needed by has passed: choose today or a later date."))
    if group_ids:
        groups = list(WorkingGroup.objects.filter(pk__in=group_ids).select_related("city"))
        foreign = sorted(g.name for g in groups if g.city_id != city.pk)
        if foreign or len(groups) != len(group_ids):
            errors.append(
                _("Choose working groups of %(city)s only.") % {"city": city.name}
                + (" " + ", ".join(foreign) if foreign else "")
            )
    elif not audience_note:
        errors.append(_("Say who should hear it: choose working groups or describe the audience."))
    if errors:
        raise BriefingRequestError(errors)
    with transaction.atomic():
        briefing_request = BriefingRequest.objects.create(
            city=city,
            requested_by=actor,
            topic=topic[:200],
            local_context=local_context,
            needed_by=needed_by,
            audience_note=audience_note[:300],
            created_at=now,
        )
        briefing_request.audience_groups.set(group_ids)
        _record_step(
            briefing_request,
            actor=actor,
            status=Status.REQUESTED,
            note="",
            request=request,
            now=now,
            needed_by=needed_by.isoformat(),
        )
    return briefing_request


# --- Triage (network staff) -------------------------------------------------------------------


def request_accept(
    *, actor, request_id: int, note: str = "", request=None, now: datetime | None = None
) -> BriefingRequest:
    """Accept a new request: staff will prepare the briefing."""
    _require_staff(actor)
    now = now or timezone.now()
    with transaction.atomic():
        briefing_request = _locked(request_id)
        _check_step(briefing_request, Status.ACCEPTED)
        briefing_request.status = Status.ACCEPTED
        briefing_request.save(update_fields=["status", "updated_at"])
        _record_step(
            briefing_request,
            actor=actor,
            status=Status.ACCEPTED,
            note=_clean_note(note),
            request=request,
            now=now,
        )
    return briefing_request


def request_schedule(
    *,
    actor,
    request_id: int,
    group_id: int | None,
    starts_at: datetime | None,
    minutes: int = DEFAULT_BRIEFING_MINUTES,
    place: str = "",
    online_url: str = "",
    title: str = "",
    note: str = "",
    request=None,
    now: datetime | None = None,
) -> BriefingRequest:
    """Schedule the briefing as a convening (kind "landscape briefing") of one of the city's
    working groups, through the convening scheduling service, and link it to the request.

    Invitations are sent from the convening's page as for any convening (with the warnings
    about missing legs and words); scheduling it here invites nobody.
    """
    _require_staff(actor)
    now = now or timezone.now()
    errors = []
    if starts_at is None:
        errors.append(_("Give the date and time the briefing starts."))
    elif starts_at <= now:
        errors.append(_("Choose a start in the future."))
    if not minutes or minutes <= 0:
        errors.append(_("Give how long the briefing lasts, in minutes."))
    if not (place or "").strip() and not (online_url or "").strip():
        errors.append(_("Give a place, an online link or both."))
    with transaction.atomic():
        briefing_request = _locked(request_id)
        _check_step(briefing_request, Status.SCHEDULED)
        group = WorkingGroup.objects.filter(pk=group_id, city=briefing_request.city).first()
        if group is None:
            errors.append(
                _("Choose one of %(city)s's working groups.") % {"city": briefing_request.city.name}
            )
        if errors:
            raise BriefingRequestError(errors)
        details = ConveningDetails(
            kind=ConveningKind.LANDSCAPE_BRIEFING,
            title=(title or "").strip()[:200]
            or (_("Landscape briefing: %(topic)s") % {"topic": briefing_request.topic})[:200],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            place=(place or "").strip(),
            online_url=(online_url or "").strip(),
            agenda=_agenda(briefing_request),
        )
        try:
            convening = convening_schedule(actor=actor, group=group, details=details)
        except ValidationError as error:
            raise BriefingRequestError(error.messages) from error
        briefing_request.status = Status.SCHEDULED
        briefing_request.convening = convening
        briefing_request.save(update_fields=["status", "convening", "updated_at"])
        _record_step(
            briefing_request,
            actor=actor,
            status=Status.SCHEDULED,
            note=_clean_note(note),
            request=request,
            now=now,
            convening=convening.pk,
            starts_at=starts_at.isoformat(),
        )
    return briefing_request


def _agenda(briefing_request: BriefingRequest) -> str:
    lines = [
        _("The digital landscape of hate and extremism: %(topic)s")
        % {"topic": briefing_request.topic},
        _("How it echoes locally"),
        _("Questions from the group"),
    ]
    return "\n".join(lines)


def request_deliver(
    *,
    actor,
    request_id: int,
    briefing_id: int | None = None,
    note: str = "",
    request=None,
    now: datetime | None = None,
) -> BriefingRequest:
    """Mark the request delivered, optionally naming the published briefing that answers it."""
    _require_staff(actor)
    now = now or timezone.now()
    with transaction.atomic():
        briefing_request = _locked(request_id)
        _check_step(briefing_request, Status.DELIVERED)
        briefing = None
        if briefing_id:
            briefing = LandscapeBriefing.objects.filter(pk=briefing_id).first()
            if briefing is None or briefing.status != LandscapeBriefing.Status.PUBLISHED:
                raise BriefingRequestError(
                    _("Only a published briefing can be named as the one delivered.")
                )
        briefing_request.status = Status.DELIVERED
        briefing_request.briefing = briefing
        briefing_request.save(update_fields=["status", "briefing", "updated_at"])
        _record_step(
            briefing_request,
            actor=actor,
            status=Status.DELIVERED,
            note=_clean_note(note),
            request=request,
            now=now,
            briefing=briefing.pk if briefing else None,
        )
    return briefing_request


def request_decline(
    *, actor, request_id: int, reason: str, request=None, now: datetime | None = None
) -> BriefingRequest:
    """Decline a request, saying why: the requester reads the reason in the notice."""
    _require_staff(actor)
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise BriefingRequestError(_("Say why the request is declined; the city will read it."))
    with transaction.atomic():
        briefing_request = _locked(request_id)
        _check_step(briefing_request, Status.DECLINED)
        briefing_request.status = Status.DECLINED
        briefing_request.decline_reason = reason[:NOTE_MAX]
        briefing_request.save(update_fields=["status", "decline_reason", "updated_at"])
        _record_step(
            briefing_request,
            actor=actor,
            status=Status.DECLINED,
            note=briefing_request.decline_reason,
            request=request,
            now=now,
            reason=briefing_request.decline_reason,
        )
    return briefing_request
