"""Signed RSVP links: one person, one convening, valid until the convening ends.

The link works without signing in, so the token is all the proof there is: it names the
invitation and is signed with the SECRET_KEY under its own salt. Expiry is checked
against the convening's end by the view, not by the signature's age, because a
convening can move.
"""

from django.conf import settings
from django.core import signing

SALT = "portal.rsvp"


def make_rsvp_token(invitation) -> str:
    return signing.dumps({"i": invitation.pk, "p": invitation.person_id}, salt=SALT)


def read_rsvp_token(token: str) -> tuple[int, int] | None:
    """Return (invitation id, person id), or None for anything forged or malformed."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    invitation_id, person_id = data.get("i"), data.get("p")
    if not isinstance(invitation_id, int) or not isinstance(person_id, int):
        return None
    return invitation_id, person_id


def rsvp_url(invitation, answer: str | None = None) -> str:
    """The absolute link put in mail; `answer` (yes/no/maybe) preselects it on the page."""
    url = f"{settings.PORTAL_BASE_URL}/rsvp/{make_rsvp_token(invitation)}/"
    return f"{url}?answer={answer}" if answer else url
