"""Reports for the funder: the list and the request form, a report's page (which polls its
progress while Celery builds it), and the downloads. Aggregate counts only.

Network staff see every report and may ask for any city or all; a coordinator sees the
reports they asked for and may ask for the cities they coordinate. Anyone else: 404. A
report and its files are the requester's and network staff's only (404 to others).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from briefings.downloads import private
from stakeholders.roles import Viewer, viewer_for
from workinggroups import report_services
from workinggroups.models import ProgressReport, ReportStatus
from workinggroups.report_forms import ReportRequestForm

PAGE_SIZE = 25
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


def _reporter(request) -> Viewer:
    viewer = viewer_for(request)
    if not (viewer.is_network_staff or viewer.is_coordinator):
        raise Http404
    return viewer


def _visible(viewer: Viewer):
    reports = ProgressReport.objects.select_related("city", "requested_by")
    if viewer.is_network_staff:
        return reports
    return reports.filter(requested_by=viewer.user)


def _access_report(request, pk: int) -> ProgressReport:
    """The report, if the viewer asked for it or is network staff; else 404."""
    viewer = _reporter(request)
    report = _visible(viewer).filter(pk=pk).first()
    if report is None:
        raise Http404
    if not viewer.is_network_staff and (
        report.city_id is None or report.city_id not in viewer.coordinated_city_ids
    ):
        # They asked for it while coordinating the city; they no longer do.
        raise Http404
    return report


@require_http_methods(["GET", "POST"])
def reports(request):
    viewer = _reporter(request)
    form = ReportRequestForm(request.POST if request.method == "POST" else None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        try:
            report = report_services.report_request(
                actor=request.user,
                city=form.city,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                request=request,
            )
        except report_services.ReportError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The report is being built; this page follows it."))
            return redirect("progress_report", pk=report.pk)
    page = Paginator(_visible(viewer), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "viewer": viewer}
    return private(render(request, "workinggroups/progress/reports.html", context))


def _zone(report: ProgressReport) -> str:
    return report.city.time_zone if report.city is not None else "UTC"


@require_GET
def report_detail(request, pk: int):
    """The report's page; asked by htmx (every 2 s while queued or running), only its status
    fragment, or 204 when nothing changed since the numbers the page shows."""
    report = _access_report(request, pk)
    context = {
        "report": report,
        "zone": _zone(report),
        "active": _active(report),
        "signature": _signature(report),
    }
    if request.htmx:
        if request.GET.get("seen") == _signature(report):
            return private(HttpResponse(status=204))
        return private(render(request, "workinggroups/progress/_report_status.html", context))
    return private(render(request, "workinggroups/progress/report_detail.html", context))


def _active(report: ProgressReport) -> bool:
    return report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)


def _signature(report: ProgressReport) -> str:
    return f"{report.status}-{report.progress_done}-{report.progress_total}"


@require_GET
def report_download(request, pk: int, kind: str):
    if kind not in report_services.KINDS:
        raise Http404
    report = _access_report(request, pk)
    stored = report.csv_file if kind == "csv" else report.pdf_file
    if report.status != ReportStatus.DONE or not stored:
        raise Http404
    storage, name = stored.storage, stored.name
    if not storage.exists(name):
        raise Http404
    report_services.report_download_record(
        actor=request.user, report=report, kind=kind, request=request
    )
    # Streamed in chunks, the file opened only once the response is read: a 1,000-city CSV
    # never sits in memory whole.
    response = StreamingHttpResponse(_chunks(storage, name), content_type=CONTENT_TYPES[kind])
    response["Content-Length"] = str(storage.size(name))
    response["Content-Disposition"] = content_disposition_header(
        True, f"{report_services.file_stem(report)}.{kind}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return private(response)


def _chunks(storage, name: str, size: int = 64 * 1024):
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk
