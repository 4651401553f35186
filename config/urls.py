from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from config.health import healthz, ping
from workinggroups import rsvp_views
from workinggroups.feed_views import feed_urls

# The admin signs in through allauth too, so it sits behind the same login, rate limits and MFA.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("ping", ping, name="ping"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("stakeholders.urls")),
    path("groups/", include("workinggroups.urls")),
    path("audit/", include("audit.urls")),
    path("briefings/", include("briefings.urls")),
    path("trainings/", include("trainings.urls")),
    path("progress/", include("workinggroups.progress_urls")),
    path("rsvp/<str:token>/", rsvp_views.rsvp, name="rsvp"),
    path("", include(feed_urls)),  # calendar/<token>.ics, account/calendar/
]
