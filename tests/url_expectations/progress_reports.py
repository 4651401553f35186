"""URL permission rows for the funder's reports (/progress/reports/).

The list and its request form are for network staff and coordinators (another city's
coordinator is a coordinator too: they see their own reports, 200); members see nothing
(404). A report and its files are its requester's (here the city's coordinator) and network
staff's: everyone else is told it does not exist (404). An empty request form comes back
with its errors (200) and creates nothing; the report's page and downloads are read-only.
"""

from datetime import date

from django.core.files.base import ContentFile
from django.utils import timezone

from workinggroups.models import ProgressReport, ReportStatus

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)
REQUESTER_AND_STAFF = (LOGIN, 404, 200, 404, 200)

GET = {
    "progress_reports": (LOGIN, 404, 200, 200, 200),
    "progress_report": REQUESTER_AND_STAFF,
    "progress_report_download": REQUESTER_AND_STAFF,
}
POST = {
    "progress_reports": (LOGIN, 404, 200, 200, 200),
    "progress_report": NOT_ALLOWED,
    "progress_report_download": NOT_ALLOWED,
}


def kwargs(base) -> dict:
    """A built report of the city, requested by its coordinator (base["users"])."""
    report = ProgressReport(
        requested_by=base["users"]["coordinator"],
        city=base["city"],
        period_start=date(2024, 1, 1),
        period_end=date(2024, 3, 31),
        status=ReportStatus.DONE,
        progress_done=1,
        progress_total=1,
        finished_at=timezone.now(),
    )
    report.csv_file.save("report.csv", ContentFile(b"city,figure,value\n"), save=False)
    report.pdf_file.save("report.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    report.save()
    return {
        "progress_report": {"pk": report.pk},
        "progress_report_download": {"pk": report.pk, "kind": "csv"},
    }
