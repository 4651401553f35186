"""Serving TLP-marked PDFs (briefing attachments, training materials) to one reader.

The file is read whole (uploads are capped by BRIEFING_ATTACHMENT_MAX_BYTES), stamped with
the reader's name when its marking asks (AMBER, AMBER+STRICT, RED), and sent as a download
whose name carries the marking. A file that cannot be stamped raises: it is never handed
out unstamped.
"""

from collections.abc import Callable
from io import BytesIO
from pathlib import PurePath

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.utils import timezone

from briefings.stamping import StampError, must_stamp, stamp_pdf

__all__ = ["StampError", "marked_pdf", "pdf_download", "private"]


def private(response: HttpResponse) -> HttpResponse:
    """Marked pages and files: never stored by a browser or proxy, never indexed.

    PrivatePagesMiddleware already sends no-store to signed-in users; saying it here too
    keeps AMBER and RED content uncached should that middleware ever change.
    """
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def marked_pdf(
    stored: FieldFile, *, tlp: str, issued_to: Callable[[], tuple[str, str]]
) -> tuple[bytes, bool]:
    """The stored PDF's bytes, stamped when the marking asks with the (name, email) that
    `issued_to` gives (asked only then); and whether it was stamped. Raises StampError (an
    unreadable PDF) or OSError (a missing file)."""
    with stored.open("rb") as file:
        content = file.read()
    if not must_stamp(tlp):
        return content, False
    name, email = issued_to()
    return stamp_pdf(content, tlp=tlp, name=name, email=email, on=timezone.now().date()), True


def pdf_download(content: bytes, *, tlp: str, original_name: str, fallback: str) -> FileResponse:
    """The copy as a private download named after its marking, e.g.
    "TLP-AMBER_situation report.pdf" (`fallback` when the original name has no stem)."""
    return pdf_attachment(
        content, original_name=original_name, fallback=fallback, prefix=f"TLP-{tlp}_"
    )


def pdf_attachment(
    content: bytes, *, original_name: str, fallback: str, prefix: str = ""
) -> FileResponse:
    """PDF bytes as a private download named `<prefix><stem of original_name>.pdf`
    (`fallback` when the original name has no stem)."""
    stem = PurePath(original_name.replace("\\", "/")).stem.strip() or fallback
    response = FileResponse(
        BytesIO(content),
        as_attachment=True,
        filename=f"{prefix}{stem}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return private(response)
