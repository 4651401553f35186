"""URL permission rows for reading landscape briefings, receipts, downloads, distribution
progress and read rates.

The world's briefing is TLP:GREEN, published to the shared working group (so the member
is a recipient) with one PDF attached. Coordinators hold no person record here, so the
briefing is not theirs to read (404); network staff author and manage every briefing.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from briefings.models import BriefingAttachment
from briefings.services import briefing_publish
from tests import factories

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)

GET = {
    "briefing_inbox": (LOGIN, 200, 200, 200, 200),
    # Counts for coordinators' own cities (the other city's coordinator sees an empty page)
    # and staff; members have no read rates to see.
    "briefing_read_rates": (LOGIN, 404, 200, 200, 200),
    "briefing_read": (LOGIN, 200, 404, 404, 200),
    "briefing_acknowledge": NOT_ALLOWED,
    "briefing_attachment": (LOGIN, 200, 404, 404, 200),
    "briefing_distribution": (LOGIN, 404, 404, 404, 200),
    "briefing_distribution_status": (LOGIN, 404, 404, 404, 200),
    "briefing_retry_failed": NOT_ALLOWED,
}
POST = {
    "briefing_inbox": NOT_ALLOWED,
    "briefing_read_rates": NOT_ALLOWED,
    "briefing_read": NOT_ALLOWED,
    # The recipient acknowledges (302 back to the briefing); staff see it but have no
    # delivery to acknowledge (403).
    "briefing_acknowledge": (LOGIN, 302, 404, 404, 403),
    "briefing_attachment": NOT_ALLOWED,
    "briefing_distribution": NOT_ALLOWED,
    "briefing_distribution_status": NOT_ALLOWED,
    # 302: back to the distribution page with a message (nothing failed, nothing retried).
    "briefing_retry_failed": (LOGIN, 404, 404, 404, 302),
}

# One small stored file shared by every run, so the matrix does not leave a new file in
# MEDIA_ROOT each time it runs.
_MATRIX_PDF = "briefings/url-matrix/attachment.pdf"


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
    staff = base["users"]["staff"]
    briefing = factories.briefing(staff, tlp="GREEN", groups=[base["group"]])
    attachment = BriefingAttachment.objects.create(
        briefing=briefing,
        file=_stored_pdf(),
        original_name="situation.pdf",
        size_bytes=1,
        sha256="0" * 64,
        uploaded_by=staff,
    )
    briefing_publish(actor=staff, briefing_id=briefing.pk)
    own = {"briefing_id": briefing.pk}
    return {
        "briefing_read": own,
        "briefing_acknowledge": own,
        "briefing_attachment": {**own, "attachment_id": attachment.pk},
        "briefing_distribution": own,
        "briefing_distribution_status": own,
        "briefing_retry_failed": own,
    }
