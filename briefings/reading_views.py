"""Reading landscape briefings: the inbox, a briefing's page, read receipts, stamped
downloads; and for authors the live distribution progress; for coordinators read rates.

Read receipts are recorded by the page itself when a signed-in recipient opens it (no
tracking pixels in mails); a recipient may also acknowledge it explicitly.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from briefings import reading_selectors as selectors
from briefings import services
from briefings.downloads import StampError, marked_pdf, pdf_download, private
from briefings.markdown import render_markdown
from briefings.models import BriefingAttachment, DeliveryStatus, LandscapeBriefing
from briefings.permissions import (
    access_briefing_to_manage,
    access_briefing_to_read,
    can_author,
    read_rate_city_ids,
)
from briefings.stamping import must_stamp
from stakeholders.models import City
from stakeholders.roles import viewer_for

Status = LandscapeBriefing.Status


def _reader_zone(request) -> str:
    """The zone to show times in: the reader's city's, else UTC (accounts without a
    person record, such as network staff)."""
    person_id = request.user.person_id
    if person_id:
        zone = City.objects.filter(people__pk=person_id).values_list("time_zone", flat=True)
        return zone.first() or "UTC"
    return "UTC"


@require_GET
def briefing_inbox(request):
    """The landscape briefings sent to the signed-in person, and the open TLP:CLEAR ones."""
    viewer = viewer_for(request)
    page = selectors.inbox_page(person_id=request.user.person_id, number=request.GET.get("page"))
    context = {
        "page": page,
        "zone": _reader_zone(request),
        "is_author": can_author(viewer),
    }
    return private(render(request, "briefings/reading/inbox.html", context))


@require_GET
def briefing_read(request, briefing_id: int):
    briefing, viewer, delivery = access_briefing_to_read(request, briefing_id)
    is_author = can_author(viewer)
    withdrawn = briefing.status == Status.WITHDRAWN
    published = briefing.status == Status.PUBLISHED
    # The first signed-in open is the read receipt; later opens leave read_at alone.
    if delivery is not None and published and delivery.read_at is None:
        services.delivery_mark_read(briefing=briefing, person_id=delivery.person_id)
        delivery.read_at = timezone.now()
    # Recipients of a withdrawn briefing see why, not what it said.
    show_body = published or is_author
    context = {
        "briefing": briefing,
        "delivery": delivery,
        "is_author": is_author,
        "withdrawn": withdrawn,
        "show_body": show_body,
        "body": render_markdown(briefing.body_markdown) if show_body else "",
        "attachments": list(briefing.attachments.all()) if show_body else [],
        "moments": (
            list(briefing.local_moments.select_related("city").order_by("starts_on"))
            if show_body
            else []
        ),
        "stamped": must_stamp(briefing.tlp),
        "can_acknowledge": delivery is not None and published,
        "zone": _reader_zone(request),
    }
    return private(render(request, "briefings/reading/read.html", context))


@require_POST
def briefing_acknowledge(request, briefing_id: int):
    briefing, _viewer, delivery = access_briefing_to_read(request, briefing_id)
    if delivery is None:
        # Visible (an author, or an open CLEAR briefing) but not theirs to acknowledge.
        return HttpResponseForbidden(_("Only a recipient can acknowledge a briefing."))
    if briefing.status != Status.PUBLISHED:
        messages.error(request, _("This briefing was withdrawn; there is nothing to acknowledge."))
    elif services.delivery_acknowledge(briefing=briefing, person_id=delivery.person_id):
        messages.success(request, _("Thank you: your acknowledgement is recorded."))
    else:
        messages.info(request, _("You had already acknowledged this briefing."))
    return redirect("briefing_read", briefing_id=briefing.pk)


def _issued_to(request, delivery) -> tuple[str, str]:
    """Whose copy this is: the recipient's person record, else the account itself (an
    author without a person record)."""
    user = request.user
    person = delivery.person if delivery is not None and delivery.person_id else None
    if person is None and user.person_id:
        person = user.person
    if person is not None:
        return person.full_name, person.email or user.email
    return user.get_full_name(), user.email


@require_GET
def briefing_attachment(request, briefing_id: int, attachment_id: int):
    """Download an attachment; AMBER, AMBER+STRICT and RED copies are stamped with the
    reader's name and the marking on every page. Every download is audited."""
    briefing, viewer, delivery = access_briefing_to_read(request, briefing_id)
    if briefing.status != Status.PUBLISHED and not can_author(viewer):
        raise Http404  # a withdrawn briefing's files are gone for its readers
    attachment = get_object_or_404(BriefingAttachment, pk=attachment_id, briefing=briefing)
    try:
        content, stamped = marked_pdf(
            attachment.file, tlp=briefing.tlp, issued_to=lambda: _issued_to(request, delivery)
        )
    except (StampError, OSError):
        messages.error(
            request,
            _("“%(name)s” could not be prepared for download. Please tell the briefing's author.")
            % {"name": attachment.original_name},
        )
        return redirect("briefing_read", briefing_id=briefing.pk)
    audit_record(
        actor=request.user,
        action=AuditAction.BRIEFING_DOWNLOADED,
        request=request,
        city=delivery.city if delivery is not None else None,
        target=briefing,
        tlp=briefing.tlp,
        stamped=stamped,
        attachment=attachment.pk,
        file=attachment.original_name,
    )
    return pdf_download(
        content, tlp=briefing.tlp, original_name=attachment.original_name, fallback="briefing"
    )


# --- The author's distribution progress ------------------------------------------------------


def _progress_context(briefing) -> dict:
    return {"briefing": briefing, "progress": selectors.distribution_progress(briefing.pk)}


@require_GET
def briefing_distribution(request, briefing_id: int):
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    page, status = selectors.distribution_page(
        briefing_id=briefing.pk,
        status=request.GET.get("status", ""),
        number=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **_progress_context(briefing),
        "page": page,
        "status": status,
        "query": query.urlencode(),
        "filters": [
            ("", _("All")),
            (selectors.PROBLEMS, _("Problems (failed first)")),
            *DeliveryStatus.choices,
        ],
    }
    return private(render(request, "briefings/reading/distribution.html", context))


@require_GET
def briefing_distribution_status(request, briefing_id: int):
    """The progress fragment the distribution page polls while rows are queued or sending.

    When nothing changed since the numbers the page shows (`seen`), answer 204: htmx then
    leaves the live region alone, and it keeps polling.
    """
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    context = _progress_context(briefing)
    if request.GET.get("seen") == context["progress"].signature:
        return private(HttpResponse(status=204))
    return private(render(request, "briefings/reading/_progress.html", context))


@require_POST
def briefing_retry_failed(request, briefing_id: int):
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    try:
        retried = services.deliveries_retry_failed(
            actor=request.user, briefing_id=briefing.pk, request=request
        )
    except services.BriefingError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        if retried:
            messages.success(
                request,
                _("%(count)s failed deliveries are queued again.") % {"count": retried},
            )
        else:
            messages.info(request, _("No failed deliveries to retry."))
    return redirect("briefing_distribution", briefing_id=briefing.pk)


# --- Read rates ------------------------------------------------------------------------------


@require_GET
def briefing_read_rates(request):
    """Read rates by city and leg for coordinators (their cities) and staff (every city).

    Counts only: who did not read is not shown, even to coordinators.
    """
    viewer = viewer_for(request)
    city_ids = read_rate_city_ids(viewer)
    if city_ids is not None and not city_ids:
        raise Http404
    cities = list(selectors.read_rate_cities(city_ids))
    chosen = None
    try:
        wanted = int(request.GET.get("city") or 0)
    except ValueError:
        wanted = 0
    if wanted and any(city.pk == wanted for city in cities):
        chosen = wanted
    scope = {chosen} if chosen else city_ids
    page, briefings = selectors.read_rate_page(city_ids=scope, number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "briefings": briefings,
        "cities": cities,
        "chosen": chosen,
        "all_cities": city_ids is None,
        "query": query.urlencode(),
    }
    return private(render(request, "briefings/reading/read_rates.html", context))
