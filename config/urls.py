from django.contrib import admin
from django.urls import include, path

from config.health import healthz, ping

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("ping", ping, name="ping"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("stakeholders.urls")),
    path("groups/", include("workinggroups.urls")),
]
