"""URL permission rows for the cross-pilot dashboard (issue #8).

Network staff see every city; a coordinator sees the same view with their own city (the
other city's coordinator too, with theirs). A member has no dashboard of the pilots: 404,
as for the other network-wide pages (training coverage, roles), since a 403 would say
there is one to see. Read-only pages.
"""

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)

GET = {
    "progress_dashboard": (LOGIN, 404, 200, 200, 200),
    "progress_dashboard_all": (LOGIN, 404, 200, 200, 200),
}
POST = {
    "progress_dashboard": NOT_ALLOWED,
    "progress_dashboard_all": NOT_ALLOWED,
}


def kwargs(base) -> dict:
    return {}
