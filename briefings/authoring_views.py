"""Pages for briefing authors: list, write, attach, preview, publish, schedule, withdraw.

Every page is for briefing authors and network staff (briefings.permissions); to anyone
else it does not exist (404). The TLP guide is for every signed-in user.
"""

import zoneinfo

import nh3
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from briefings import authoring_services, services
from briefings.audience import audience_errors, audience_of, audience_people
from briefings.delivery_mail import briefing_mail
from briefings.forms import (
    TLP_PLAIN_WORDS,
    AttachmentForm,
    BriefingForm,
    ScheduleForm,
    WithdrawForm,
    attachment_max_bytes,
    local_now_input,
)
from briefings.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    markdown_has_html,
    render_markdown,
)
from briefings.models import TLP, BriefingAttachment, Delivery, LandscapeBriefing
from briefings.permissions import access_briefing_to_manage, require_author
from briefings.uploads import SizeLimitHandler
from workinggroups.terminology import check_terminology

Status = LandscapeBriefing.Status
PAGE_SIZE = 25
# How many recipients the preview's select lists; any other recipient can still be
# previewed by id (?person=), so the select stays usable for a 50,000-person audience.
PREVIEW_CHOICES = 200


def _zone_name(viewer) -> str:
    """The author's own zone (their city's) for showing times; UTC without a city."""
    user = viewer.user
    if user.person_id:
        return user.person.city.time_zone
    return "UTC"


# --- List -------------------------------------------------------------------------------------


@require_GET
def briefing_list(request):
    viewer = require_author(request)
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    counts = LandscapeBriefing.objects.aggregate(
        all=Count("pk"), **{value: Count("pk", filter=Q(status=value)) for value in Status.values}
    )
    recipients = (
        Delivery.objects.filter(briefing=OuterRef("pk"))
        .order_by()
        .values("briefing")
        .annotate(n=Count("pk"))
        .values("n")
    )
    briefings = (
        LandscapeBriefing.objects.select_related("author")
        .annotate(recipient_count=Coalesce(Subquery(recipients, output_field=IntegerField()), 0))
        .order_by("-updated_at", "-pk")
    )
    if status:
        briefings = briefings.filter(status=status)
    page = Paginator(briefings, PAGE_SIZE).get_page(request.GET.get("page"))
    tabs = [{"value": "", "label": _("All"), "count": counts["all"]}] + [
        {"value": value, "label": label, "count": counts[value]} for value, label in Status.choices
    ]
    context = {
        "page": page,
        "tabs": tabs,
        "status": status,
        "zone": _zone_name(viewer),
    }
    return render(request, "briefings/authoring/list.html", context)


# --- Create and edit --------------------------------------------------------------------------


def _after_save_notes(request, form, data) -> None:
    for warning in form.warnings:
        messages.warning(request, warning)
    for text in _terminology_messages(data.title, data.summary, data.body_markdown):
        messages.warning(request, text)


@require_http_methods(["GET", "POST"])
def briefing_create(request):
    require_author(request)
    form = BriefingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.briefing_data()
        try:
            briefing = authoring_services.briefing_create(
                actor=request.user, data=data, request=request
            )
        except services.BriefingError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The briefing is saved as a draft."))
            _after_save_notes(request, form, data)
            return redirect("briefing_edit", briefing_id=briefing.pk)
    return render(
        request,
        "briefings/authoring/form.html",
        {"form": form, "heading": _("Write a landscape briefing"), "briefing": None},
    )


@require_http_methods(["GET", "POST"])
def briefing_edit(request, briefing_id: int):
    briefing, viewer = access_briefing_to_manage(request, briefing_id)
    if request.method == "POST":
        form = BriefingForm(
            request.POST, briefing=briefing, initial=BriefingForm.initial_from(briefing)
        )
    else:
        form = BriefingForm(briefing=briefing, initial=BriefingForm.initial_from(briefing))
    if request.method == "POST" and form.is_valid():
        data = form.briefing_data()
        try:
            authoring_services.briefing_update(
                actor=request.user, briefing_id=briefing.pk, data=data, request=request
            )
        except services.BriefingError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Saved."))
            _after_save_notes(request, form, data)
            return redirect("briefing_edit", briefing_id=briefing.pk)
    zone = _zone_name(viewer)
    context = {
        "form": form,
        "briefing": briefing,
        "heading": _("Change “%(title)s”") % {"title": briefing.title},
        "zone": zone,
        "schedule_form": ScheduleForm(initial={"zone": zone, "publish_at": local_now_input(zone)}),
        "withdraw_form": WithdrawForm(),
        "attachment_count": briefing.attachments.count(),
        "recipient_count": audience_people(audience_of(briefing)).count(),
        "sent_count": briefing.deliveries.count(),
    }
    return render(request, "briefings/authoring/form.html", context)


# --- Attachments ------------------------------------------------------------------------------


@csrf_exempt  # checked below, once the upload handler is in place (Django's documented way)
@require_http_methods(["GET", "POST"])
def briefing_attachments(request, briefing_id: int):
    # Access first: nobody else's upload is read at all.
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    handler = SizeLimitHandler(request, attachment_max_bytes())
    request.upload_handlers.insert(0, handler)
    return _attachments_page(request, briefing, handler)


@csrf_protect
def _attachments_page(request, briefing: LandscapeBriefing, handler: SizeLimitHandler):
    form = AttachmentForm()
    status = 200
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES, too_large=handler.too_large)
        if form.is_valid():
            try:
                attachment = authoring_services.attachment_add(
                    actor=request.user,
                    briefing_id=briefing.pk,
                    upload=form.cleaned_data["file"],
                    original_name=form.original_name,
                    sha256=form.sha256,
                    request=request,
                )
            except services.BriefingError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request, _("“%(name)s” is attached.") % {"name": attachment.original_name}
                )
                return redirect("briefing_attachments", briefing_id=briefing.pk)
        if handler.too_large:
            status = 413
    context = {
        "briefing": briefing,
        "form": form,
        "attachments": briefing.attachments.select_related("uploaded_by"),
        "changeable": briefing.status in authoring_services.CHANGEABLE,
    }
    return render(request, "briefings/authoring/attachments.html", context, status=status)


@require_POST
def briefing_attachment_remove(request, briefing_id: int, attachment_id: int):
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    if not BriefingAttachment.objects.filter(pk=attachment_id, briefing=briefing).exists():
        raise Http404
    try:
        removed = authoring_services.attachment_remove(
            actor=request.user,
            briefing_id=briefing.pk,
            attachment_id=attachment_id,
            request=request,
        )
    except services.BriefingError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": removed.original_name})
    return redirect("briefing_attachments", briefing_id=briefing.pk)


# --- Preview ----------------------------------------------------------------------------------


def _mail_for(briefing: LandscapeBriefing, person) -> dict | None:
    """The recipient's mail as the distribution builds it (briefings.delivery_mail): the
    plain text exactly, and the formatted part without its inline styles (this page's
    content security policy allows no inline style; the words and links are the same).

    None when the person has no address: they get no mail and read it on the portal.
    """
    if not person.email:
        return None
    message = briefing_mail(briefing).message(person.email)
    html = next((content for content, kind in message.alternatives if kind == "text/html"), "")
    formatted = nh3.clean(
        html,
        tags=ALLOWED_TAGS | {"h1", "div", "span"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        clean_content_tags={"script", "style", "title", "head"},
    )
    # The mail's headings sit under this page's own h2 ("The mail … gets").
    for level, inside in (("h2", "h4"), ("h1", "h3")):
        formatted = formatted.replace(f"<{level}>", f"<{inside}>").replace(
            f"</{level}>", f"</{inside}>"
        )
    return {
        "subject": message.subject,
        "to": f"{person.full_name} <{person.email}>",
        # render_to_string returns a SafeString, and the text part holds the author's
        # Markdown as typed (raw HTML included): escape it, or it would run in this page.
        "text": escape(message.body),
        "formatted": mark_safe(formatted),  # noqa: S308 - sanitised by nh3 just above
    }


@require_GET
def briefing_preview(request, briefing_id: int):
    """What a chosen recipient gets: the mail, then the page with its TLP banner."""
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    audience = audience_of(briefing)
    people = audience_people(audience).select_related("city").order_by("city__name", "full_name")
    total = people.count()
    choices = list(people[:PREVIEW_CHOICES])
    person = None
    asked = request.GET.get("person", "")
    if asked:
        try:
            person = people.filter(pk=int(asked)).first()
        except ValueError:
            person = None
        if person is None:
            messages.error(
                request,
                _("That person is not in this briefing's audience; choose one from the list."),
            )
        elif person not in choices:
            choices.append(person)
    elif choices:
        person = choices[0]
    groups: dict[str, list] = {}
    for someone in choices:
        groups.setdefault(str(someone.city.name), []).append(someone)
    context = {
        "briefing": briefing,
        "person": person,
        "choice_groups": groups,
        "total": total,
        "listed": min(total, PREVIEW_CHOICES),
        "errors": audience_errors(audience),
        "mail": _mail_for(briefing, person) if person is not None else None,
        "body_html": render_markdown(briefing.body_markdown),
        "attachments": list(briefing.attachments.all()),
    }
    return render(request, "briefings/authoring/preview.html", context)


# --- Publishing -------------------------------------------------------------------------------


def _error_messages(request, error: services.BriefingError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_POST
def briefing_publish(request, briefing_id: int):
    """A first POST shows who it will reach; a POST with confirm=1 publishes."""
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    if request.POST.get("confirm") != "1":
        audience = audience_of(briefing)
        context = {
            "briefing": briefing,
            "recipient_count": audience_people(audience).count(),
            "errors": audience_errors(audience),
            "publishable": briefing.status in authoring_services.CHANGEABLE,
        }
        return render(request, "briefings/authoring/publish_confirm.html", context)
    was_published = briefing.status == Status.PUBLISHED
    try:
        queued = services.briefing_publish(
            actor=request.user, briefing_id=briefing.pk, request=request
        )
    except services.BriefingError as error:
        _error_messages(request, error)
    else:
        if was_published or not queued:
            messages.info(request, _("It is already published; nothing was sent twice."))
        else:
            messages.success(
                request,
                _("Published: %(count)s recipient(s) will receive it.") % {"count": queued},
            )
    return redirect("briefing_edit", briefing_id=briefing.pk)


@require_POST
def briefing_schedule(request, briefing_id: int):
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("briefing_edit", briefing_id=briefing.pk)
    try:
        scheduled = services.briefing_schedule(
            actor=request.user,
            briefing_id=briefing.pk,
            publish_at=form.cleaned_data["publish_at_utc"],
            request=request,
        )
    except services.BriefingError as error:
        _error_messages(request, error)
    else:
        local = scheduled.publish_at.astimezone(zoneinfo.ZoneInfo(form.cleaned_data["zone"]))
        messages.success(
            request,
            _("Scheduled: it is published on %(when)s.")
            % {"when": f"{local:%a %d %b %Y, %H:%M} {local:%Z}"},
        )
    return redirect("briefing_edit", briefing_id=briefing.pk)


@require_POST
def briefing_unschedule(request, briefing_id: int):
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    try:
        services.briefing_unschedule(actor=request.user, briefing_id=briefing.pk, request=request)
    except services.BriefingError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("Back to draft: it will not be published until you say."))
    return redirect("briefing_edit", briefing_id=briefing.pk)


@require_POST
def briefing_withdraw(request, briefing_id: int):
    briefing, _viewer = access_briefing_to_manage(request, briefing_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the briefing is withdrawn; recipients will see it."))
        return redirect("briefing_edit", briefing_id=briefing.pk)
    try:
        stopped = services.briefing_withdraw(
            actor=request.user,
            briefing_id=briefing.pk,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except services.BriefingError as error:
        _error_messages(request, error)
    else:
        messages.success(
            request,
            _("Withdrawn. Readers now see your reason; %(count)s unsent mail(s) were stopped.")
            % {"count": stopped},
        )
    return redirect("briefing_edit", briefing_id=briefing.pk)


# --- Terminology (htmx) -----------------------------------------------------------------------


def _terminology_messages(title: str, summary: str, body: str) -> list[str]:
    where = (
        (_("title"), title),
        (_("summary"), summary),
        (_("body"), body),
    )
    return [
        _("The %(where)s says “%(word)s”: consider “%(suggestion)s”.")
        % {"where": label, "word": finding.word, "suggestion": finding.suggestion}
        for label, text in where
        for finding in check_terminology(text)
    ]


@require_POST
def briefing_terminology(request):
    """As the author types: words lesson 6 advises against, and a note if HTML would be
    removed. It warns; it never blocks saving."""
    require_author(request)
    title = request.POST.get("title", "")[:200]
    summary = request.POST.get("summary", "")[:300]
    body = request.POST.get("body_markdown", "")[:100_000]
    context = {
        "terminology": _terminology_messages(title, summary, body),
        "has_html": markdown_has_html(body),
    }
    return render(request, "briefings/authoring/_terminology.html", context)


# --- TLP guide --------------------------------------------------------------------------------


@require_GET
def tlp_guide(request):
    markings = [
        {"value": value, "label": label, "plain": TLP_PLAIN_WORDS[value]}
        for value, label in TLP.choices
    ]
    return render(request, "briefings/authoring/tlp_guide.html", {"markings": markings})
