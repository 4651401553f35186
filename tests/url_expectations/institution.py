"""URL permission rows for the city's institutionalisation page and its calendar of local
moments.

Members of the city read both (public-sector facts and public calendar dates, not personal
data) and may change nothing (403); another city's coordinator is told they do not exist
(404). Empty POSTs change nothing: the forms come back with their errors (200) and the
removals, which need an explicit confirmation, go back to their page with a message (302).
"""

from datetime import date

from stakeholders.models import BudgetLine, CommunityGrant, LocalMoment
from tests import factories

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)
READ = (LOGIN, 200, 200, 404, 200)
MANAGE = (LOGIN, 403, 200, 404, 200)
CONFIRMED_POST = (LOGIN, 403, 302, 404, 302)

GET = {
    "city_institution": READ,
    "city_institution_edit": NOT_ALLOWED,
    "city_budget_line_add": NOT_ALLOWED,
    "city_budget_line_remove": NOT_ALLOWED,
    "city_grant_add": NOT_ALLOWED,
    "city_grant_remove": NOT_ALLOWED,
    "city_moments": READ,
    "city_moment_create": MANAGE,
    "city_moment_edit": MANAGE,
    "city_moment_delete": NOT_ALLOWED,
}
POST = {
    "city_institution": NOT_ALLOWED,
    # 200: an empty form comes back with its errors; nothing is saved.
    "city_institution_edit": MANAGE,
    "city_budget_line_add": MANAGE,
    # 302: back to the page with a message; nothing removed without the confirmation.
    "city_budget_line_remove": CONFIRMED_POST,
    "city_grant_add": MANAGE,
    "city_grant_remove": CONFIRMED_POST,
    "city_moments": NOT_ALLOWED,
    "city_moment_create": MANAGE,
    "city_moment_edit": MANAGE,
    "city_moment_delete": CONFIRMED_POST,
}


def kwargs(base) -> dict:
    city = base["city"]
    slug = {"slug": city.slug}
    line = BudgetLine.objects.create(
        city=city, amount=50000, fiscal_year=2026, source="General fund"
    )
    grant = CommunityGrant.objects.create(
        city=city,
        organisation=factories.organisation(city),
        amount=10000,
        fiscal_year=2026,
        purpose="Youth mentoring",
    )
    moment = LocalMoment.objects.create(
        city=city, title="Municipal election", kind="election", starts_on=date(2030, 11, 5)
    )
    return {
        "city_institution": slug,
        "city_institution_edit": slug,
        "city_budget_line_add": slug,
        "city_budget_line_remove": {**slug, "line_id": line.pk},
        "city_grant_add": slug,
        "city_grant_remove": {**slug, "grant_id": grant.pk},
        "city_moments": slug,
        "city_moment_create": slug,
        "city_moment_edit": {**slug, "moment_id": moment.pk},
        "city_moment_delete": {**slug, "moment_id": moment.pk},
    }
