"""URL permission rows for training coverage.

A city's coverage names the members not yet trained, so it is for the city's coordinators
and network staff: a member of the city sees the city but not this page (403), another
city's coordinator does not see the city (404). Every city's coverage is network staff's
only (404 to everyone else). Both are read-only pages.
"""

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)

GET = {
    "city_training_coverage": (LOGIN, 403, 200, 404, 200),
    "training_coverage": (LOGIN, 404, 404, 404, 200),
}
POST = {
    "city_training_coverage": NOT_ALLOWED,
    "training_coverage": NOT_ALLOWED,
}


def kwargs(base) -> dict:
    return {"city_training_coverage": {"slug": base["city"].slug}}
