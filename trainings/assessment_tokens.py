"""Signed self-assessment links: one request (one person, one session, one phase).

The link works without signing in, so the token is all the proof there is: it names the
request and is signed with the SECRET_KEY under its own salt (a token made for another
purpose, such as an RSVP link, does not open it). It carries no expiry of its own: the
request's closes_at decides, and the view checks it, because a session can move.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "portal.training-assessment"


def make_assessment_token(assessment) -> str:
    return signing.dumps({"a": assessment.pk}, salt=SALT)


def read_assessment_token(token: str) -> int | None:
    """Return the request's id, or None for anything forged, altered or malformed."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    request_id = data.get("a")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return None
    return request_id


def assessment_url(assessment) -> str:
    """The absolute link put in mail."""
    path = reverse("training_assessment", kwargs={"token": make_assessment_token(assessment)})
    return f"{settings.PORTAL_BASE_URL}{path}"
