"""SESSION_ENGINE: Django's database sessions, read with a statement compiled once
(stakeholders/compiled.py). Stored, expired and ended the same way as the db backend."""

from datetime import UTC, datetime

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from stakeholders.compiled import CompiledLookup

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LIVE_SESSION = CompiledLookup(
    lambda: Session.objects.filter(session_key="").filter(expire_date__gt=_EPOCH)
)


class SessionStore(DatabaseStore):
    def _get_session_from_db(self):
        session_key = self.session_key
        # As the parent: no live row (a made-up, expired or ended key) forgets the key, and
        # a new one is made on save.
        session = (
            _LIVE_SESSION.get(session_key, timezone.now()) if session_key is not None else None
        )
        if session is None:
            self._session_key = None
        return session
