import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

_LAST_SEEN = "portal_last_seen"
# How stale the stored "last seen" may get before it is written again: writing the
# session on every request would cost one UPDATE per page view.
_REFRESH_EVERY = 300


class IdleTimeoutMiddleware:
    """Sign out a session left idle longer than SESSION_IDLE_SECONDS.

    Sessions here open rosters of faith leaders, advocates and officers; an unattended
    browser should not keep them open all day.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(_LAST_SEEN)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - last_seen > _REFRESH_EVERY:
                request.session[_LAST_SEEN] = now
                request.session.set_expiry(settings.SESSION_IDLE_SECONDS)
        return self.get_response(request)
