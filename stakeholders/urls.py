from django.urls import path

from stakeholders import person_views, role_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
    path("account/my-data.json", person_views.my_data, name="my_data"),
    path("account/details/", person_views.my_details, name="my_details"),
    path("people/<int:person_id>/erase/", person_views.person_erase, name="person_erase"),
    path("cities/<slug:slug>/", views.city_detail, name="city_detail"),
    path("cities/<slug:slug>/reminders/", views.city_reminders, name="city_reminders"),
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
    path(
        "roles/<int:user_id>/briefing-author/",
        role_views.role_briefing_author,
        name="role_briefing_author",
    ),
]

from stakeholders import invitation_views  # noqa: E402  (appended with the invitations)

urlpatterns += [
    path(
        "people/<int:person_id>/invitation/",
        invitation_views.person_invitation,
        name="person_invitation",
    ),
    path(
        "people/<int:person_id>/invitation/send/",
        invitation_views.person_invitation_send,
        name="person_invitation_send",
    ),
    path(
        "people/<int:person_id>/invitation/resend/",
        invitation_views.person_invitation_resend,
        name="person_invitation_resend",
    ),
    path(
        "people/<int:person_id>/invitation/revoke/",
        invitation_views.person_invitation_revoke,
        name="person_invitation_revoke",
    ),
    path(
        "invitations/accept/<str:token>/",
        invitation_views.account_invitation_accept,
        name="account_invitation_accept",
    ),
]

# The directory (people, organisations, import, export) and the city's institutionalisation
# and local moments keep their routes in their own modules.
from stakeholders.directory_urls import urlpatterns as directory_urls  # noqa: E402
from stakeholders.institution_urls import urlpatterns as institution_urls  # noqa: E402

urlpatterns += directory_urls + institution_urls
