"""The funder's reports: requested in the browser, built by Celery, downloaded (all audited).

Building is claimed with a conditional UPDATE (queued -> running, stamped with the claim's
time): a task delivered twice, or enqueued twice, builds the report once. Every later write
of the build (progress, the result) is conditional on that same claim, so a worker that was
presumed dead and replaced stops at its next batch instead of overwriting the new run. A
report left running longer than STUCK_AFTER (a killed worker) is queued again once by the
beat (reports_requeue_stuck); if it gets stuck a second time it is marked failed.
"""

import csv
import logging
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from django.core.files import File
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.models import City, Programme, User
from stakeholders.roles import coordinated_city_ids
from workinggroups import report_figures
from workinggroups.models import ProgressReport, ReportStatus

logger = logging.getLogger(__name__)

# A full report of 1,000 cities takes a minute or two; a build still "running" after this
# long has lost its worker.
STUCK_AFTER = timedelta(minutes=30)
# A queued report whose message was lost (Redis down at the request) is sent again after this.
RESEND_AFTER = timedelta(minutes=10)
# Kept in `error` while a restarted report waits, so a second stall fails it instead of
# looping forever on a report that kills its worker.
RESTARTED = "Restarted once: its first build stopped midway."
STALLED_TWICE = "The build stopped twice before it finished. Request the report again."
KINDS = ("csv", "pdf")


class ReportError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClaimLost(Exception):
    """The report was taken from this build (requeued as stuck): stop quietly."""


def _may_request(actor: User, city: City | None) -> bool:
    if actor.is_network_staff:
        return True
    return city is not None and city.pk in coordinated_city_ids(actor)


def report_request(
    *, actor: User, city: City | None, period_start: date, period_end: date, request=None
) -> ProgressReport:
    """Create a report for one city (or every city: network staff only) and the period, and
    have Celery build it once the request is committed."""
    if period_end < period_start:
        raise ReportError(_("The period ends before it starts."))
    if not _may_request(actor, city):
        raise ReportError(_("You may request reports only for the cities you coordinate."))
    with transaction.atomic():
        report = ProgressReport.objects.create(
            requested_by=actor,
            city=city,
            period_start=period_start,
            period_end=period_end,
            progress_total=1 if city is not None else City.objects.count(),
        )
        audit_record(
            actor=actor,
            action=AuditAction.REPORT_REQUESTED,
            request=request,
            city=city,
            target=report,
            scope=city.slug if city is not None else "all",
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
        )
        transaction.on_commit(partial(enqueue_build, report.pk))
    return report


def enqueue_build(report_id: int) -> None:
    from workinggroups.report_tasks import build_progress_report

    try:
        build_progress_report.delay(report_id=report_id)
    except Exception:  # kombu raises several kinds; the beat sends queued reports again
        logger.warning("Could not enqueue report %s now; the beat will", report_id)


# --- Building -------------------------------------------------------------------------------
def _claim(report_id: int):
    started = timezone.now()
    claimed = ProgressReport.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING, started_at=started, finished_at=None, progress_done=0
    )
    if not claimed:
        return None
    return ProgressReport.objects.filter(
        pk=report_id, status=ReportStatus.RUNNING, started_at=started
    )


def _programme(report: ProgressReport) -> Programme | None:
    if report.city is not None:
        return report.city.programme
    # Every city belongs to the one programme in practice; with several, the largest names it.
    return Programme.objects.annotate(n=Count("cities")).order_by("-n", "pk").first()


def _cover(report: ProgressReport, cities: int):
    from workinggroups.report_pdf import Cover

    programme = _programme(report)
    if report.city is not None:
        scope, zone = f"{report.city.name}, {report.city.state}", report.city.time_zone
    else:
        scope, zone = _("All cities (%(n)s)") % {"n": cities}, "UTC"
    return Cover(
        programme=programme.name if programme else "",
        funder=programme.funder if programme else "",
        grant_reference=programme.grant_reference if programme else "",
        start=report.period_start,
        end=report.period_end,
        scope=scope,
        zone=zone,
    )


def file_stem(report: ProgressReport) -> str:
    scope = slugify(report.city.name) if report.city is not None else "all-cities"
    return f"progress-report_{scope}_{report.period_start:%Y-%m-%d}_{report.period_end:%Y-%m-%d}"


def _store(report: ProgressReport, field: str, path: Path, name: str) -> str:
    model_field = ProgressReport._meta.get_field(field)
    with path.open("rb") as handle:
        return model_field.storage.save(
            model_field.generate_filename(report, name), File(handle, name=name)
        )


def _failure(error: Exception) -> str:
    if isinstance(error, OSError):
        return _("The report's files could not be written (%(reason)s). Request it again.") % {
            "reason": error.strerror or type(error).__name__
        }
    if isinstance(error, DatabaseError):
        return _("The records could not be read (a database error). Request it again.")
    return _("The report could not be built (%(reason)s). Request it again.") % {
        "reason": type(error).__name__
    }


def report_build(*, report_id: int, batch_size: int = report_figures.BATCH_SIZE) -> str:
    """Build a queued report's CSV and PDF; return what happened ("done", "failed",
    "skipped": not queued, e.g. built already; "lost": taken away midway)."""
    from workinggroups.report_pdf import write_pdf

    mine = _claim(report_id)
    if mine is None:
        return "skipped"
    report = ProgressReport.objects.select_related("city__programme").get(pk=report_id)
    scope = report_figures.Scope(
        city_id=report.city_id, start=report.period_start, end=report.period_end
    )
    mine.update(progress_total=scope.cities().count())

    def on_batch(done: int) -> None:
        if not mine.update(progress_done=done):
            raise ClaimLost

    stored: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="progress-report-") as folder:
            folder_path = Path(folder)
            csv_path, side_path = folder_path / "report.csv", folder_path / "cities.csv"
            pdf_path = folder_path / "report.pdf"
            # utf-8-sig: spreadsheets read the BOM and show accented city names right.
            with (
                csv_path.open("w", newline="", encoding="utf-8-sig") as csv_handle,
                side_path.open("w", newline="", encoding="utf-8") as side_handle,
            ):
                summary = report_figures.write_report(
                    scope, csv_handle, side_handle, on_batch=on_batch, batch_size=batch_size
                )
            write_pdf(pdf_path, _cover(report, summary.cities), summary, side_path)
            stem = file_stem(report)
            stored.append(_store(report, "csv_file", csv_path, f"{stem}.csv"))
            stored.append(_store(report, "pdf_file", pdf_path, f"{stem}.pdf"))
    except ClaimLost:
        _remove(stored)
        return "lost"
    except Exception as error:
        logger.exception("Progress report %s failed", report_id)
        _remove(stored)
        mine.update(
            status=ReportStatus.FAILED, finished_at=timezone.now(), error=_failure(error)[:300]
        )
        return "failed"
    finished = mine.update(
        status=ReportStatus.DONE,
        finished_at=timezone.now(),
        csv_file=stored[0],
        pdf_file=stored[1],
        progress_done=summary.cities,
        progress_total=summary.cities,
        error="",
    )
    if not finished:
        _remove(stored)
        return "lost"
    return "done"


def _remove(names: list[str]) -> None:
    storage = ProgressReport._meta.get_field("csv_file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not remove %s", name)


@dataclass(frozen=True)
class Sweep:
    requeued: list[int]
    failed: list[int]
    resent: list[int]


def reports_requeue_stuck(*, now=None) -> Sweep:
    """Beat: queue again the reports whose build stopped (running past STUCK_AFTER) once,
    fail those that stopped twice, and send again queued ones nobody took (lost message)."""
    now = now or timezone.now()
    requeued, failed = [], []
    with transaction.atomic():
        stuck = ProgressReport.objects.select_for_update(skip_locked=True).filter(
            status=ReportStatus.RUNNING, started_at__lt=now - STUCK_AFTER
        )
        for report in stuck:
            if report.error == RESTARTED:
                report.status, report.finished_at, report.error = (
                    ReportStatus.FAILED,
                    now,
                    STALLED_TWICE,
                )
                failed.append(report.pk)
            else:
                report.status, report.started_at, report.error = (
                    ReportStatus.QUEUED,
                    None,
                    RESTARTED,
                )
                report.progress_done = 0
                requeued.append(report.pk)
            report.save(
                update_fields=["status", "started_at", "finished_at", "error", "progress_done"]
            )
        for pk in requeued:
            transaction.on_commit(partial(enqueue_build, pk))
    resent = list(
        ProgressReport.objects.filter(
            status=ReportStatus.QUEUED, requested_at__lt=now - RESEND_AFTER
        )
        .exclude(pk__in=requeued)
        .values_list("pk", flat=True)
    )
    for pk in resent:
        enqueue_build(pk)
    if requeued or failed:
        logger.warning("Progress reports requeued %s, failed %s", requeued, failed)
    return Sweep(requeued=requeued, failed=failed, resent=resent)


# --- Downloads -------------------------------------------------------------------------------
def csv_rows(report: ProgressReport) -> int:
    """The number of figure rows in the report's CSV (its header left out)."""
    if not report.csv_file:
        return 0
    stored = report.csv_file
    with stored.storage.open(stored.name, "rb") as handle:
        lines = (line.decode("utf-8-sig") for line in handle)
        return max(sum(1 for _row in csv.reader(lines)) - 1, 0)


def report_download_record(*, actor: User, report: ProgressReport, kind: str, request=None):
    """Audit a download of the report's CSV or PDF, with how many figure rows it carries."""
    audit_record(
        actor=actor,
        action=AuditAction.REPORT_DOWNLOADED,
        request=request,
        city=report.city,
        target=report,
        kind=kind,
        rows=csv_rows(report),
        cities=report.progress_total,
    )
