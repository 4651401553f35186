"""A member's private calendar subscription: the .ics feed and the page to renew or revoke it.

The feed URL carries a random token instead of a session, because calendar apps poll it
without signing in. The token is the only proof, so it is long (32 random bytes), shown to
its owner alone, and revocable: renewing makes a new one and the old address stops working.
"""

import secrets
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from workinggroups.calendar import feed_ics
from workinggroups.models import CalendarFeed, Invitation, InvitationResponse

# A feed shows what is coming and what just happened; older convenings only weigh it down.
FEED_PAST_DAYS = 90


def calendar_feed_create(*, person) -> CalendarFeed:
    """Revoke the person's current feed address, if any, and make a new one."""
    with transaction.atomic():
        CalendarFeed.objects.select_for_update().filter(
            person=person, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        return CalendarFeed.objects.create(person=person, token=secrets.token_urlsafe(32))


def calendar_feed_revoke(*, person) -> int:
    """Stop the person's feed address from working."""
    return CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    """The .ics a calendar app subscribes to; an unknown or revoked token is a 404."""
    feed = (
        CalendarFeed.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("person")
        .first()
    )
    if feed is None:
        raise Http404
    invitations = (
        Invitation.objects.filter(
            person=feed.person,
            convening__starts_at__gte=timezone.now() - timedelta(days=FEED_PAST_DAYS),
        )
        .exclude(response=InvitationResponse.NO)
        .select_related("person", "convening__group__city")
        .order_by("convening__starts_at")
    )
    response = HttpResponse(feed_ics(invitations=invitations), content_type="text/calendar")
    response["Content-Type"] = "text/calendar; charset=utf-8"
    # The address is a secret: keep it and its content out of shared caches.
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="convenings.ics"'
    return response


@require_http_methods(["GET", "POST"])
def calendar_feed_settings(request):
    """The signed-in member sees their subscription address and renews or revokes it."""
    person = request.user.person
    if person is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "renew":
            calendar_feed_create(person=person)
            messages.success(
                request, _("Your calendar address is new; the old one stopped working.")
            )
        elif action == "revoke":
            calendar_feed_revoke(person=person)
            messages.success(request, _("Your calendar address no longer works."))
        else:
            return HttpResponseBadRequest(_("Choose to renew or to revoke the address."))
        return redirect("calendar_feed_settings")
    feed = CalendarFeed.objects.filter(person=person, revoked_at__isnull=True).first()
    address = (
        request.build_absolute_uri(reverse("calendar_feed", kwargs={"token": feed.token}))
        if feed
        else None
    )
    return render(request, "workinggroups/feed/settings.html", {"feed": feed, "address": address})


# Mounted at the site's root (config/urls.py): the feed lives at /calendar/<token>.ics.
feed_urls = [
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path("account/calendar/", calendar_feed_settings, name="calendar_feed_settings"),
]
