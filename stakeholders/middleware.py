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


_MFA_CONFIRMED = "portal_mfa_enrolled"


class ManagerMfaMiddleware:
    """Network staff and coordinators set up two-factor sign-in before they reach any page.

    They can open every city's (or their city's) people: a stolen password alone must not
    be enough. Members may add it but are not made to. The account pages under
    /accounts/ stay reachable so the person can enrol (and sign out).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MFA_REQUIRED_FOR_MANAGERS
            and request.user.is_authenticated
            and not request.session.get(_MFA_CONFIRMED)
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and _is_manager(request)
        ):
            from allauth.mfa.utils import is_mfa_enabled

            if not is_mfa_enabled(request.user):
                return redirect_to_enrolment(request)
            # Remembered for the session, so managers pay the lookup once, not per page.
            request.session[_MFA_CONFIRMED] = True
        return self.get_response(request)


_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/ping")


def _is_manager(request) -> bool:
    # From the user row already loaded: no query on a member's request (is_city_coordinator
    # follows the permission rows, stakeholders/signals.py).
    user = request.user
    return user.is_network_staff or user.is_city_coordinator


def redirect_to_enrolment(request):
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    messages.info(
        request,
        _(
            "Your role lets you see people's details, so your account needs two-factor "
            "sign-in. Set up an authenticator app to continue."
        ),
    )
    return redirect("mfa_activate_totp")


def forget_mfa_confirmation(sender, request=None, **kwargs) -> None:
    """When an authenticator is removed, check enrolment again on the next request."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(_MFA_CONFIRMED, None)


class PrivatePagesMiddleware:
    """Pages seen signed in hold people's details: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response
