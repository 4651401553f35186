"""A city's progress page (its milestone path, figures, framework and latest activity) and
recording the milestones the records cannot prove.

Who may do what: the city's coordinators and network staff. The page shows aggregate figures
and the evidence of the city's progress, which members do not need: a member of the city
sees the city but not this page (403, as for training coverage); another city's coordinator
does not see the city at all (404).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from briefings.downloads import private
from briefings.forms import attachment_max_bytes
from briefings.uploads import SizeLimitHandler
from stakeholders.models import City
from stakeholders.permissions import access_city_by_slug
from workinggroups import activity, progress_summary
from workinggroups import milestone_services as services
from workinggroups.milestone_forms import MilestoneRecordForm
from workinggroups.milestones import DERIVED, RECORDABLE, milestone_path
from workinggroups.models import (
    FrameworkStatus,
    FrameworkVersion,
    Milestone,
    MilestoneRecord,
)

# Items of the latest activity shown on the progress page (the feed has the rest).
LATEST_ACTIVITY = 8


def _milestone_or_404(milestone: str) -> str:
    if milestone not in Milestone.values:
        raise Http404
    return milestone


def _framework_summary(city: City) -> dict:
    versions = list(FrameworkVersion.objects.filter(city=city).order_by("-number")[:20])
    adopted = next((v for v in versions if v.status == FrameworkStatus.ADOPTED), None)
    latest = versions[0] if versions else None
    covered = sum(1 for _name, _label, on in latest.components if on) if latest else 0
    return {"latest": latest, "adopted": adopted, "count": len(versions), "covered": covered}


@require_GET
def city_progress(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    path = milestone_path(city)
    records = {
        record.milestone: record
        for record in MilestoneRecord.objects.filter(city=city).only(
            "pk",
            "milestone",
            "reached_on",
            "evidence_url",
            "evidence_document",
            "evidence_name",
            "note",
        )
    }
    rows = [(status, records.get(status.milestone)) for status in path]
    context = {
        "city": city,
        "rows": rows,
        "reached": sum(1 for status in path if status.reached),
        "total": len(path),
        # Refreshed on the spot when missing or stale: one city is a few dozen small queries.
        "summary": progress_summary.ensure_fresh(city),
        "framework": _framework_summary(city),
        "latest": activity.city_activity(city, limit=LATEST_ACTIVITY, path=path),
    }
    return private(render(request, "workinggroups/progress/city_progress.html", context))


def _not_recordable(request, city: City, milestone: str):
    messages.info(
        request,
        _("“%(label)s” is read from the city's records; it cannot be recorded by hand.")
        % {"label": Milestone(milestone).label},
    )
    return redirect("city_progress", slug=city.slug)


@csrf_exempt  # checked in _record_post, once the upload handler is in place
@require_http_methods(["GET", "POST"])
def milestone_record(request, slug: str, milestone: str):
    # Access first: nobody else's upload is read at all.
    city = access_city_by_slug(request, slug, manage=True)
    milestone = _milestone_or_404(milestone)
    if milestone in DERIVED:
        return _not_recordable(request, city, milestone)
    record = MilestoneRecord.objects.filter(city=city, milestone=milestone).first()
    if request.method != "POST":
        form = MilestoneRecordForm(city=city, record=record)
        return _record_page(request, city, milestone, record, form)
    handler = SizeLimitHandler(request, attachment_max_bytes())
    request.upload_handlers.insert(0, handler)
    return _record_post(request, city, milestone, record, handler)


def _record_page(request, city, milestone, record, form, status=200):
    context = {
        "city": city,
        "milestone": milestone,
        "label": Milestone(milestone).label,
        "record": record,
        "form": form,
    }
    return private(
        render(request, "workinggroups/progress/milestone_record.html", context, status=status)
    )


@csrf_protect
def _record_post(request, city, milestone, record, handler):
    form = MilestoneRecordForm(
        request.POST, request.FILES, city=city, record=record, too_large=handler.too_large
    )
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            _record, created = services.milestone_record(
                actor=request.user,
                city=city,
                milestone=milestone,
                reached_on=form.cleaned_data["reached_on"],
                evidence_url=form.cleaned_data.get("evidence_url") or "",
                note=form.cleaned_data.get("note") or "",
                upload=upload,
                original_name=getattr(form, "original_name", "") if upload else "",
                remove_document=bool(form.cleaned_data.get("remove_document")),
                request=request,
            )
        except services.ProgressError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            label = Milestone(milestone).label
            if created:
                messages.success(request, _("“%(label)s” is recorded.") % {"label": label})
            else:
                messages.success(request, _("“%(label)s” is saved.") % {"label": label})
            return redirect("city_progress", slug=city.slug)
    status = 413 if handler.too_large else 200
    return _record_page(request, city, milestone, record, form, status=status)


@require_POST
def milestone_withdraw(request, slug: str, milestone: str):
    city = access_city_by_slug(request, slug, manage=True)
    milestone = _milestone_or_404(milestone)
    if milestone not in RECORDABLE:
        return _not_recordable(request, city, milestone)
    label = Milestone(milestone).label
    if request.POST.get("confirm") != "yes":
        messages.error(
            request,
            _("Nothing was withdrawn: tick the box to confirm withdrawing “%(label)s”.")
            % {"label": label},
        )
        return redirect("milestone_record", slug=city.slug, milestone=milestone)
    removed = services.milestone_withdraw(
        actor=request.user, city=city, milestone=milestone, request=request
    )
    if removed is None:
        messages.info(request, _("“%(label)s” was not recorded.") % {"label": label})
    else:
        messages.success(request, _("“%(label)s” is withdrawn.") % {"label": label})
    return redirect("city_progress", slug=city.slug)


@require_GET
def milestone_evidence(request, slug: str, milestone: str):
    city = access_city_by_slug(request, slug, manage=True)
    milestone = _milestone_or_404(milestone)
    record = MilestoneRecord.objects.filter(city=city, milestone=milestone).first()
    if record is None or not record.evidence_document:
        raise Http404
    try:
        response = services.document_response(
            record.evidence_document, original_name=record.evidence_name, fallback="evidence"
        )
    except OSError:
        messages.error(
            request, _("The evidence file could not be read. Please tell network staff.")
        )
        return redirect("city_progress", slug=city.slug)
    services.document_downloaded(
        actor=request.user,
        city=city,
        target=record,
        kind="milestone_evidence",
        file=record.evidence_name,
        request=request,
    )
    return response
