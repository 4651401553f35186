"""The stakeholder directory of a city (issue 6): for its coordinators and network staff.

The directory holds contact details of faith leaders, advocates and officers: members of
the city get 403, other cities' coordinators 404 (stakeholders.permissions), and every
view and export of it is on the audit log with its row count.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders import directory_export as export
from stakeholders import directory_html, directory_selectors, directory_services
from stakeholders.directory_filters import read_filters
from stakeholders.directory_forms import (
    DirectoryUploadForm,
    OrganisationForm,
    PersonForm,
)
from stakeholders.directory_html import DirectoryContent
from stakeholders.directory_import import ImportFileError, plan_counts, plan_import
from stakeholders.directory_rows import render_rows
from stakeholders.models import DirectoryImport, ImportStatus
from stakeholders.permissions import access_city_by_slug, access_person

PEOPLE_PER_PAGE = 50
ORGANISATIONS_PER_PAGE = 100
# The preview lists this many rows and problems at most; the counts cover them all.
PREVIEW_LIMIT = 500
EXPORT_FORMATS = {"csv", "xlsx"}


def _posted(request, *, files: bool = False):
    """The submitted data on POST, even when empty (so an empty form shows its errors)."""
    if request.method != "POST":
        return None
    return request.FILES if files else request.POST


def _filters_query(request) -> str:
    """The current filters as a query string, without the page (for pager and export)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def city_directory(request, slug: str):
    # Five queries at any size (issue 9): the session, the user, this city with its filter
    # choices, one page of people with the per-leg counts, and the audit entry. The page's
    # content is written in Python (stakeholders/directory_html.py).
    if directory_selectors.sql_pages():
        city = access_city_by_slug(
            request, slug, manage=True, read=directory_selectors.directory_city
        )
    else:
        city = access_city_by_slug(
            request, slug, manage=True, queryset=directory_selectors.cities_with_filter_choices()
        )
    choices = directory_selectors.filter_choices(city)
    form = read_filters(request.GET, choices)
    filters = form.filters
    result = directory_selectors.directory_page(
        city,
        filters,
        directory_selectors.page_number(request.GET.get("page")),
        PEOPLE_PER_PAGE,
    )
    audit_record(
        actor=request.user,
        action=AuditAction.ROSTER_VIEWED,
        request=request,
        city=city,
        rows=len(result.rows),
        directory=True,
    )
    content = DirectoryContent(
        city=city,
        form=form,
        summary=result.summary,
        page=result.page,
        rows_html=render_rows(result.rows, choices),
        query=_filters_query(request),
        filtered=bool(filters.as_audit_detail()),
    )
    if request.htmx and not request.htmx.history_restore_request:
        response = HttpResponse(directory_html.results_html(content))
    else:
        response = render(
            request,
            "stakeholders/directory/index.html",
            {
                "city": city,
                "form": form,
                "summary": result.summary,
                "page": result.page,
                "people": result.rows,
                "head_title": directory_html.head_title(city),
                "content": directory_html.page_html(content),
            },
        )
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _person_page(request, city, form, *, person=None):
    heading = _("Edit %(name)s") % {"name": person.full_name} if person else _("Add a person")
    return render(
        request,
        "stakeholders/directory/person_form.html",
        {"city": city, "form": form, "person": person, "heading": heading},
    )


@require_http_methods(["GET", "POST"])
def directory_person_create(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    form = PersonForm(_posted(request), city=city)
    if request.method == "POST" and form.is_valid():
        person = directory_services.person_save(
            actor=request.user, city=city, form=form, request=request
        )
        if person is not None:
            messages.success(request, _("%(name)s is in the directory.") % {"name": person})
            return redirect("city_directory", slug=city.slug)
    return _person_page(request, city, form)


@require_http_methods(["GET", "POST"])
def directory_person_edit(request, person_id: int):
    person, _viewer = access_person(request, person_id, manage=True)
    city = person.city
    form = PersonForm(_posted(request), instance=person, city=city)
    if request.method == "POST" and form.is_valid():
        saved = directory_services.person_save(
            actor=request.user, city=city, form=form, request=request
        )
        if saved is not None:
            messages.success(request, _("The details of %(name)s are saved.") % {"name": saved})
            return redirect("city_directory", slug=city.slug)
    return _person_page(request, city, form, person=person)


@require_http_methods(["GET", "POST"])
def directory_organisations(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    form = OrganisationForm(_posted(request), city=city)
    if request.method == "POST" and form.is_valid():
        organisation = directory_services.organisation_create(
            actor=request.user, city=city, form=form
        )
        if organisation is not None:
            messages.success(request, _("%(name)s is added.") % {"name": organisation.name})
            return redirect("directory_organisations", slug=city.slug)
    page = Paginator(
        directory_selectors.organisations_of_city(city), ORGANISATIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "stakeholders/directory/organisations.html",
        {"city": city, "form": form, "page": page},
    )


@require_http_methods(["GET", "POST"])
def directory_import(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    form = DirectoryUploadForm(_posted(request), _posted(request, files=True))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            plan = plan_import(city, upload)
        except ImportFileError as error:
            form.add_error("file", error.message)
        else:
            batch = directory_services.directory_import_create(
                actor=request.user, city=city, file_name=upload.name or "", plan=plan
            )
            return redirect("directory_import_preview", slug=city.slug, import_id=batch.pk)
    recent = DirectoryImport.objects.filter(city=city).only(
        "id", "file_name", "status", "created_at"
    )[:10]
    return render(
        request,
        "stakeholders/directory/import.html",
        {"city": city, "form": form, "recent": recent, "limit": form.limit()},
    )


def _import_of(city, import_id: int) -> DirectoryImport:
    """An import of another city is a 404, like the city itself would be."""
    batch = DirectoryImport.objects.filter(pk=import_id, city=city).first()
    if batch is None:
        raise Http404
    return batch


@require_GET
def directory_import_preview(request, slug: str, import_id: int):
    city = access_city_by_slug(request, slug, manage=True)
    batch = _import_of(city, import_id)
    rows = batch.rows
    context = {
        "city": city,
        "batch": batch,
        "counts": plan_counts(rows),
        "rows": rows[:PREVIEW_LIMIT],
        "more_rows": max(0, len(rows) - PREVIEW_LIMIT),
        "errors": batch.errors[:PREVIEW_LIMIT],
        "more_errors": max(0, len(batch.errors) - PREVIEW_LIMIT),
        "is_preview": batch.status == ImportStatus.PREVIEW,
    }
    return render(request, "stakeholders/directory/import_preview.html", context)


@require_POST
def directory_import_confirm(request, slug: str, import_id: int):
    city = access_city_by_slug(request, slug, manage=True)
    _import_of(city, import_id)
    try:
        outcome = directory_services.directory_import_confirm(
            actor=request.user, city=city, import_id=import_id, request=request
        )
    except directory_services.DirectoryImportConflict:
        messages.error(
            request,
            _(
                "The directory changed while the import was being saved, so nothing was "
                "saved. Confirm again, or upload the file again."
            ),
        )
        return redirect("directory_import_preview", slug=city.slug, import_id=import_id)
    if outcome is None:
        messages.info(request, _("This import was already confirmed or cancelled."))
        return redirect("directory_import_preview", slug=city.slug, import_id=import_id)
    text = _("Imported: %(created)s added, %(updated)s updated.") % {
        "created": outcome.created,
        "updated": outcome.updated,
    }
    if outcome.skipped:
        text += " " + _("%(skipped)s left out because the directory changed since the preview.") % {
            "skipped": outcome.skipped
        }
    messages.success(request, text)
    return redirect("city_directory", slug=city.slug)


@require_POST
def directory_import_cancel(request, slug: str, import_id: int):
    city = access_city_by_slug(request, slug, manage=True)
    _import_of(city, import_id)
    if directory_services.directory_import_cancel(
        actor=request.user, city=city, import_id=import_id
    ):
        messages.info(request, _("The import is cancelled; nothing was saved."))
        return redirect("directory_import", slug=city.slug)
    messages.info(request, _("This import was already confirmed or cancelled."))
    return redirect("directory_import_preview", slug=city.slug, import_id=import_id)


@require_GET
def directory_export(request, slug: str, fmt: str):
    if fmt not in EXPORT_FORMATS:
        raise Http404
    city = access_city_by_slug(request, slug, manage=True)
    filters = read_filters(request.GET, directory_selectors.filter_choices(city)).filters
    people = directory_selectors.directory_people(city, filters)
    rows = directory_selectors.filtered_people(city, filters).count()
    # Recorded before the file is written: a download cut short was still handed out.
    audit_record(
        actor=request.user,
        action=AuditAction.ROSTER_EXPORTED,
        request=request,
        city=city,
        rows=rows,
        format=fmt,
        filters=filters.as_audit_detail(),
    )
    name = f"directory-{city.slug}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            export.csv_lines(people), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return FileResponse(
        export.xlsx_file(people),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
