"""The signed link in an account invitation.

The token carries only the invitation's id and nonce; everything else (whose it is, whether
it is still open) is read from the database, so a re-send or a revocation takes effect at
once. The signature stops forged and altered links before any query is made.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing

SALT = "portal.account-invitation"


class InvalidInvitationToken(Exception):
    """The token is malformed, altered or signed with another key."""


class ExpiredInvitationToken(Exception):
    """The token is authentic but older than an invitation may live."""


@dataclass(frozen=True)
class InvitationClaim:
    invitation_id: int
    nonce: str


def invitation_lifetime() -> timedelta:
    return timedelta(days=getattr(settings, "ACCOUNT_INVITATION_DAYS", 7))


def make_invitation_token(invitation) -> str:
    """Sign the invitation's id and current nonce; the token embeds when it was made."""
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT)


def read_invitation_token(token: str) -> InvitationClaim:
    """Check the signature and age of a token and return what it claims.

    Raise InvalidInvitationToken for anything not signed by us (whatever its shape) and
    ExpiredInvitationToken for an authentic token past the invitation lifetime.
    """
    try:
        payload = signing.loads(token, salt=SALT, max_age=invitation_lifetime())
    except signing.SignatureExpired as error:
        raise ExpiredInvitationToken from error
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as error:
        raise InvalidInvitationToken from error
    # Signed by us, but shape-check anyway: a future format change must not become a 500.
    if not isinstance(payload, dict):
        raise InvalidInvitationToken
    invitation_id, nonce = payload.get("i"), payload.get("n")
    if type(invitation_id) is not int or not isinstance(nonce, str) or not nonce:
        raise InvalidInvitationToken
    return InvitationClaim(invitation_id=invitation_id, nonce=nonce)
