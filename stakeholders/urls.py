from django.urls import path

from stakeholders import role_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
    path("cities/<slug:slug>/", views.city_detail, name="city_detail"),
    path("roles/", role_views.roles, name="roles"),
    path(
        "roles/<int:user_id>/coordinator/",
        role_views.role_grant_coordinator,
        name="role_grant_coordinator",
    ),
    path(
        "roles/<int:user_id>/coordinator/<int:city_id>/revoke/",
        role_views.role_revoke_coordinator,
        name="role_revoke_coordinator",
    ),
    path(
        "roles/<int:user_id>/network-staff/",
        role_views.role_network_staff,
        name="role_network_staff",
    ),
]
