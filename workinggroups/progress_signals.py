"""Mark a city's dashboard summary stale when a record it is computed from changes.

Cheap by design: the receivers only note which cities (or groups, people, briefings) were
touched; once the change commits, one UPDATE marks the rows stale (rows already stale are
not written). The beat refreshes them within minutes (workinggroups.progress_tasks);
nothing is refreshed inline.

After the commit, not inside the transaction: the sweep clears a row's mark before reading
the figures, so a mark made after the data committed can never be lost, and no business
transaction holds a lock on a summary row (a briefing published to a thousand cities would
otherwise lock a thousand rows until it commits). Many saves in one transaction make one
UPDATE. A mark lost to a crash between the commit and the UPDATE is caught by the oldest-rows
refresh and the nightly refresh of every row.

Connect once, from WorkinggroupsConfig.ready(): `progress_signals.connect()`.
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

KINDS = ("cities", "groups", "people", "briefings")


def _pending() -> dict[str, set[int]]:
    """This connection's cities, groups, people and briefings touched since the last flush."""
    connection = transaction.get_connection()
    pending = getattr(connection, "_progress_stale_pending", None)
    if pending is None:
        pending = {kind: set() for kind in KINDS}
        connection._progress_stale_pending = pending
    return pending


def _note(kind: str, pk: int | None) -> None:
    if pk is None:
        return
    _pending()[kind].add(pk)
    # The first callback to run flushes every note; the others find nothing left and make
    # no query. Notes of a transaction rolled back are flushed with the next commit (a
    # needless refresh, never a missed one).
    transaction.on_commit(flush, robust=True)


def flush() -> int:
    """Mark every noted city's summary stale in one UPDATE; return the rows written."""
    from stakeholders.models import Person
    from workinggroups.models import CityProgress, WorkingGroup

    pending = _pending()
    if not any(pending.values()):
        return 0
    cities, groups, people, briefings = (sorted(pending[kind]) for kind in KINDS)
    for kind in KINDS:
        pending[kind].clear()
    where = Q(pk__in=[])
    if cities:
        where |= Q(city_id__in=cities)
    if groups:
        where |= Q(city_id__in=WorkingGroup.objects.filter(pk__in=groups).values("city_id"))
    if people:
        where |= Q(city_id__in=Person.objects.filter(pk__in=people).values("city_id"))
    if briefings:
        from briefings.models import Delivery

        where |= Q(city_id__in=Delivery.objects.filter(briefing_id__in=briefings).values("city_id"))
    return CityProgress.objects.filter(where, stale=False).update(stale=True)


# --- Receivers ----------------------------------------------------------------------------


def _city(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _note("cities", instance.city_id)


def _city_itself(sender, instance, raw=False, **kwargs) -> None:
    # The lead, staff time and the next mayoral transition feed the institutionalisation
    # status and its warning.
    if not raw:
        _note("cities", instance.pk)


def _group(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _note("groups", instance.group_id)


def _person(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _note("people", instance.person_id)


def _briefing(sender, instance, raw=False, **kwargs) -> None:
    # Publishing writes the deliveries in the same transaction; withdrawing drops the
    # briefing from the figures. Drafts reach nobody.
    if not raw and instance.status in ("published", "withdrawn"):
        _note("briefings", instance.pk)


def _convening_event(sender, *, convening, **kwargs) -> None:
    # Attendance is written in bulk (no post_save per row); the service sends this instead.
    _note("groups", convening.group_id)


def connect() -> None:
    """Connect the receivers (once, from WorkinggroupsConfig.ready)."""
    from briefings.models import Delivery, LandscapeBriefing
    from stakeholders.models import BudgetLine, City, CommunityGrant, Person
    from trainings.models import Completion
    from workinggroups import signals as convening_signals
    from workinggroups.models import (
        ActionItem,
        Convening,
        FrameworkVersion,
        Membership,
        MilestoneRecord,
        WorkingGroup,
    )

    by_city = [BudgetLine, CommunityGrant, MilestoneRecord, FrameworkVersion, Person, Delivery]
    by_city += [WorkingGroup]
    by_group = [Membership, Convening, ActionItem]
    for model in by_city:
        name = model._meta.label_lower
        post_save.connect(_city, sender=model, dispatch_uid=f"progress.save.{name}")
        post_delete.connect(_city, sender=model, dispatch_uid=f"progress.delete.{name}")
    for model in by_group:
        name = model._meta.label_lower
        post_save.connect(_group, sender=model, dispatch_uid=f"progress.save.{name}")
        post_delete.connect(_group, sender=model, dispatch_uid=f"progress.delete.{name}")
    post_save.connect(_city_itself, sender=City, dispatch_uid="progress.save.city")
    post_save.connect(_person, sender=Completion, dispatch_uid="progress.save.completion")
    post_delete.connect(_person, sender=Completion, dispatch_uid="progress.delete.completion")
    post_save.connect(_briefing, sender=LandscapeBriefing, dispatch_uid="progress.save.briefing")
    convening_signals.attendance_recorded.connect(
        _convening_event, dispatch_uid="progress.attendance"
    )
    convening_signals.convening_cancelled.connect(
        _convening_event, dispatch_uid="progress.cancelled"
    )
