"""Reads for the roles page: accounts with their roles, in a fixed number of queries."""

from collections import defaultdict

from django.core.paginator import Page, Paginator

from stakeholders.models import City, CityUserObjectPermission, User

ACCOUNTS_PER_PAGE = 50


def accounts_page(number: int | str | None) -> Page:
    """One page of accounts, each with `.coordinates` (the cities they coordinate)."""
    accounts = User.objects.select_related("person__city").order_by("email")
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(number)
    cities_by_user: dict[int, list[City]] = defaultdict(list)
    grants = CityUserObjectPermission.objects.filter(
        user__in=[account.pk for account in page.object_list],
        permission__codename="coordinate_city",
    ).select_related("content_object")
    for grant in grants:
        cities_by_user[grant.user_id].append(grant.content_object)
    for account in page.object_list:
        account.coordinates = sorted(cities_by_user[account.pk], key=lambda city: city.name)
    return page
