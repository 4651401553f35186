"""URL permission rows for one city's progress pages: the milestone path, recording
milestones, the framework tracker and the activity feed.

They are for the city's coordinators and network staff: a member of the city sees the city
but not these pages (403), another city's coordinator does not see the city (404). The
world's city has a recorded milestone with a PDF as evidence and a framework version with its
document; both share one small stored file so the matrix leaves nothing new behind.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from workinggroups.models import FrameworkVersion, Milestone, MilestoneRecord

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)
CITY_TEAM = (LOGIN, 403, 200, 404, 200)

GET = {
    "city_progress": CITY_TEAM,
    "milestone_record": CITY_TEAM,
    "milestone_withdraw": NOT_ALLOWED,
    "milestone_evidence": CITY_TEAM,
    "city_framework": CITY_TEAM,
    "city_framework_new": CITY_TEAM,
    "city_framework_edit": CITY_TEAM,
    "city_framework_document": CITY_TEAM,
    "city_activity": CITY_TEAM,
}
POST = {
    "city_progress": NOT_ALLOWED,
    # 200: an empty form comes back with its errors; nothing is saved.
    "milestone_record": CITY_TEAM,
    # 302: back to the record with a message (without the confirmation nothing is withdrawn).
    "milestone_withdraw": (LOGIN, 403, 302, 404, 302),
    "milestone_evidence": NOT_ALLOWED,
    "city_framework": NOT_ALLOWED,
    "city_framework_new": CITY_TEAM,
    "city_framework_edit": CITY_TEAM,
    "city_framework_document": NOT_ALLOWED,
    "city_activity": NOT_ALLOWED,
}

_MATRIX_PDF = "progress/url-matrix/evidence.pdf"
RECORDED = Milestone.NEEDS_ASSESSMENT


def _stored_pdf() -> str:
    if default_storage.exists(_MATRIX_PDF):
        return _MATRIX_PDF
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return default_storage.save(_MATRIX_PDF, ContentFile(out.getvalue()))


def kwargs(base) -> dict:
    city = base["city"]
    stored = _stored_pdf()
    MilestoneRecord.objects.create(
        city=city,
        milestone=RECORDED,
        reached_on=city.programme.starts_on,
        evidence_document=stored,
        evidence_name="assessment.pdf",
    )
    version = FrameworkVersion.objects.create(
        city=city,
        number=1,
        title="Local prevention framework",
        drafted_on=city.programme.starts_on,
        document=stored,
        document_name="framework.pdf",
    )
    slug = {"slug": city.slug}
    milestone = {**slug, "milestone": RECORDED}
    return {
        "city_progress": slug,
        "milestone_record": milestone,
        "milestone_withdraw": milestone,
        "milestone_evidence": milestone,
        "city_framework": slug,
        "city_framework_new": slug,
        "city_framework_edit": {**slug, "pk": version.pk},
        "city_framework_document": {**slug, "pk": version.pk},
        "city_activity": slug,
    }
