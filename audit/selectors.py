from django.db.models import Q, QuerySet

from audit.models import AuditEvent


def audit_events(*, city=None, action: str = "", person: str = "") -> QuerySet[AuditEvent]:
    """The audit log, newest first, narrowed by the filters given."""
    events = AuditEvent.objects.select_related("city").order_by("-created_at", "-pk")
    if city is not None:
        events = events.filter(city=city)
    if action:
        events = events.filter(action=action)
    if person:
        events = events.filter(Q(actor_label__icontains=person) | Q(target_label__icontains=person))
    return events
