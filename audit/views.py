from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.forms import AuditFilterForm
from audit.selectors import audit_events
from stakeholders.permissions import require_network_staff

EVENTS_PER_PAGE = 50


@require_GET
def audit_log(request):
    """Network staff read the log; nobody edits it (there is no view that could)."""
    require_network_staff(request)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events(
        city=filters.get("city"),
        action=filters.get("action", ""),
        person=filters.get("person", ""),
    )
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
