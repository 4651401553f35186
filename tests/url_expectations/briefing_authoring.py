"""URL permission rows for authoring landscape briefings (tests/test_url_permissions.py).

Briefing authors and network staff manage briefings; to everyone else the pages do not
exist (404). The TLP guide is for every signed-in user.
"""

from briefings.models import BriefingAttachment
from tests import factories

LOGIN = "login"
AUTHORS_ONLY = (LOGIN, 404, 404, 404, 200)
POST_ONLY = (LOGIN, 405, 405, 405, 405)

GET = {
    "briefing_list": AUTHORS_ONLY,
    "briefing_create": AUTHORS_ONLY,
    "briefing_edit": AUTHORS_ONLY,
    "briefing_attachments": AUTHORS_ONLY,
    "briefing_attachment_remove": POST_ONLY,
    "briefing_preview": AUTHORS_ONLY,
    "briefing_publish": POST_ONLY,
    "briefing_schedule": POST_ONLY,
    "briefing_unschedule": POST_ONLY,
    "briefing_withdraw": POST_ONLY,
    "briefing_terminology": POST_ONLY,
    "tlp_guide": (LOGIN, 200, 200, 200, 200),
}
POST = {
    "briefing_list": POST_ONLY,
    # 200: an empty form comes back with its errors; nothing is saved.
    "briefing_create": AUTHORS_ONLY,
    "briefing_edit": AUTHORS_ONLY,
    "briefing_attachments": AUTHORS_ONLY,
    # 302: back to the attachments page with a message.
    "briefing_attachment_remove": (LOGIN, 404, 404, 404, 302),
    "briefing_preview": POST_ONLY,
    # 200: without confirm=1 the page says how many people it reaches; nothing is sent.
    "briefing_publish": AUTHORS_ONLY,
    # 302: back to the briefing with a message (no time, not scheduled, no reason).
    "briefing_schedule": (LOGIN, 404, 404, 404, 302),
    "briefing_unschedule": (LOGIN, 404, 404, 404, 302),
    "briefing_withdraw": (LOGIN, 404, 404, 404, 302),
    # 200: an empty fragment (nothing to suggest).
    "briefing_terminology": AUTHORS_ONLY,
    "tlp_guide": POST_ONLY,
}


def kwargs(base) -> dict:
    briefing = factories.briefing(tlp="GREEN", groups=[base["group"]])
    # A row without a stored file: removing it must not depend on the file being there,
    # and the matrix writes nothing to MEDIA_ROOT.
    attachment = BriefingAttachment.objects.create(
        briefing=briefing,
        file=f"briefings/{briefing.pk}/missing.pdf",
        original_name="notes.pdf",
        size_bytes=8,
        sha256="0" * 64,
    )
    ids = {"briefing_id": briefing.pk}
    return {
        "briefing_edit": ids,
        "briefing_attachments": ids,
        "briefing_attachment_remove": {**ids, "attachment_id": attachment.pk},
        "briefing_preview": ids,
        "briefing_publish": ids,
        "briefing_schedule": ids,
        "briefing_unschedule": ids,
        "briefing_withdraw": ids,
    }
