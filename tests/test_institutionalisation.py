"""Institutionalisation (DOMAIN.md lesson 1): the city's lead and portfolio, dedicated staff
and time, budget lines, grants to community organisations and the next mayoral transition,
with plain warnings when the effort rests on one office holder."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from stakeholders import institution_selectors as selectors
from stakeholders.institution_selectors import (
    NO_BUDGET_BEFORE_TRANSITION,
    NO_LEAD,
    ONE_OFFICE_HOLDER,
    TRANSITION_DATE_PASSED,
    add_months,
    fiscal_year_of,
    institutionalisation_status,
    institutionalisation_statuses,
)
from stakeholders.institution_services import GrantDetails, community_grant_add
from stakeholders.models import BudgetLine, City, CommunityGrant
from tests import factories
from tests.querycount import page_queries

pytestmark = pytest.mark.django_db

# Mid-March 2025: fiscal year 2025 (July 2024 - June 2025) is the current one.
MARCH = date(2025, 3, 15)


def _lead(city, role="Community Empowerment Officer", **fields):
    City.objects.filter(pk=city.pk).update(lead_role=role, **fields)
    city.refresh_from_db()
    return city


def _line(city, fiscal_year, amount=25000):
    return BudgetLine.objects.create(
        city=city, amount=amount, fiscal_year=fiscal_year, source="General fund"
    )


def _codes(city, today=MARCH):
    return institutionalisation_status(city, today=today).warning_codes


# --- Dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 6, 30), 2025),
        (date(2025, 7, 1), 2026),
        (date(2025, 12, 31), 2026),
        (date(2026, 1, 1), 2026),
    ],
)
def test_fiscal_years_start_on_1_july_and_are_named_after_the_year_they_end(day, year):
    assert fiscal_year_of(day) == year


def test_a_calendar_fiscal_year_is_the_calendar_year():
    assert fiscal_year_of(date(2025, 12, 31), start_month=1) == 2025


def test_adding_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2025, 3, 15), 12) == date(2026, 3, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


# --- Warnings --------------------------------------------------------------------------------


def test_no_lead_designated_fires_and_clears_when_a_role_is_named(city):
    assert NO_LEAD in _codes(city)
    _lead(city)
    assert NO_LEAD not in _codes(city)


def test_a_lead_without_staff_or_budget_rests_on_one_office_holder(city):
    _lead(city, role="the mayor")
    status = institutionalisation_status(city, today=MARCH)
    assert status.warning_codes == [ONE_OFFICE_HOLDER]
    message = status.warnings[0].message
    assert "rests on one office holder (the mayor)" in message
    assert "FY2025" in message and "FY2026" in message


def test_dedicated_staff_clears_the_one_office_holder_warning(city):
    _lead(city, dedicated_staff_fte=Decimal("0.5"))
    assert ONE_OFFICE_HOLDER not in _codes(city)


def test_staff_hours_from_other_offices_do_not_clear_it(city):
    _lead(city, staff_hours_per_month=40)
    assert ONE_OFFICE_HOLDER in _codes(city)


@pytest.mark.parametrize(
    ("fiscal_year", "warns"), [(2024, True), (2025, False), (2026, False), (2027, True)]
)
def test_only_a_budget_line_for_the_current_or_next_fiscal_year_clears_it(city, fiscal_year, warns):
    _lead(city)
    _line(city, fiscal_year)
    assert (ONE_OFFICE_HOLDER in _codes(city)) is warns


def test_the_fiscal_year_boundary_moves_which_lines_count(city):
    _lead(city)
    _line(city, 2027)
    # On 30 June 2025 it is FY2025: FY2027 is two years off, the effort rests on one holder.
    assert ONE_OFFICE_HOLDER in _codes(city, today=date(2025, 6, 30))
    # A day later it is FY2026, and FY2027 is the next fiscal year.
    assert ONE_OFFICE_HOLDER not in _codes(city, today=date(2025, 7, 1))


@pytest.mark.parametrize(
    ("transition", "warns"),
    [
        (date(2026, 2, 15), True),  # in 11 months
        (date(2026, 3, 15), True),  # in exactly 12 months
        (date(2026, 3, 16), False),  # a day past 12 months
        (date(2026, 4, 15), False),  # in 13 months
        (MARCH, True),  # today
    ],
)
def test_a_transition_within_12_months_without_a_budget_line_this_year_warns(
    city, transition, warns
):
    _lead(city, dedicated_staff_fte=1, next_mayoral_transition=transition)
    assert (NO_BUDGET_BEFORE_TRANSITION in _codes(city)) is warns


def test_a_budget_line_this_fiscal_year_clears_the_transition_warning(city):
    _lead(city, dedicated_staff_fte=1, next_mayoral_transition=date(2026, 2, 15))
    _line(city, 2026)  # next year's line does not cover this year
    assert NO_BUDGET_BEFORE_TRANSITION in _codes(city)
    _line(city, 2025)
    assert NO_BUDGET_BEFORE_TRANSITION not in _codes(city)


def test_the_transition_warning_follows_the_fiscal_year_boundary(city):
    _lead(city, dedicated_staff_fte=1, next_mayoral_transition=date(2026, 1, 5))
    _line(city, 2026)
    # 30 June 2025 is still FY2025, which has no line; from 1 July, FY2026 has one.
    assert NO_BUDGET_BEFORE_TRANSITION in _codes(city, today=date(2025, 6, 30))
    assert NO_BUDGET_BEFORE_TRANSITION not in _codes(city, today=date(2025, 7, 1))


def test_a_passed_transition_date_asks_for_the_next_one(city):
    _lead(city, dedicated_staff_fte=1, next_mayoral_transition=date(2025, 1, 1))
    assert _codes(city) == [TRANSITION_DATE_PASSED]


def test_a_city_with_lead_staff_and_budget_has_no_warning(city):
    _lead(city, dedicated_staff_fte=1, next_mayoral_transition=date(2026, 1, 5))
    _line(city, 2025)
    status = institutionalisation_status(city, today=MARCH)
    assert status.warnings == ()
    assert status.budget_this_year == Decimal("25000")
    assert status.fiscal_year == 2025


def test_the_status_counts_this_fiscal_years_grants(city):
    organisation = factories.organisation(city)
    for year, amount in ((2025, 1000), (2025, 500), (2024, 9000)):
        CommunityGrant.objects.create(
            city=city, organisation=organisation, amount=amount, fiscal_year=year, purpose="x"
        )
    status = institutionalisation_status(city, today=MARCH)
    assert status.grants_this_year == 2
    assert status.grants_amount_this_year == Decimal("1500")


def test_the_bulk_selector_takes_constant_queries_for_1_or_20_cities():
    def count(n):
        cities = []
        for i in range(n):
            made = factories.city(lead_role="Mayor's office" if i % 2 else "")
            _line(made, 2025)
            _line(made, 2026)
            CommunityGrant.objects.create(
                city=made,
                organisation=factories.organisation(made),
                amount=100,
                fiscal_year=2025,
                purpose="Dialogue",
            )
            cities.append(made.pk)
        queryset = City.objects.filter(pk__in=cities)
        with CaptureQueriesContext(connection) as captured:
            statuses = institutionalisation_statuses(queryset, today=MARCH)
        assert len(statuses) == n
        return len(captured)

    one = count(1)
    assert one == 3  # the cities, their budget lines, their grants
    assert count(20) == one


def test_the_bulk_selector_agrees_with_the_single_one(city, other_city):
    _lead(city)
    _line(other_city, 2025)
    bulk = institutionalisation_statuses([city, other_city], today=MARCH)
    assert bulk[city.pk] == institutionalisation_status(city, today=MARCH)
    assert bulk[other_city.pk].warning_codes == [NO_LEAD]
    assert institutionalisation_statuses([], today=MARCH) == {}


def test_without_a_date_each_city_is_read_on_its_own_date(city):
    status = institutionalisation_status(city)
    assert status.today == selectors.city_today(city)


# --- The page --------------------------------------------------------------------------------


def test_members_read_the_page_with_its_warnings_but_get_no_forms(client, member, city):
    _lead(city, role="the mayor")
    _line(city, 2020)
    client.force_login(member)
    response = client.get(reverse("city_institution", args=[city.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "rests on one office holder" in page
    assert "FY2020" in page
    assert "city_institution_edit" not in page and "/institution/edit/" not in page
    assert "Remove" not in page


def test_coordinators_get_the_forms(client, coordinator_user, city):
    client.force_login(coordinator_user)
    page = client.get(reverse("city_institution", args=[city.slug])).content.decode()
    assert reverse("city_institution_edit", args=[city.slug]) in page
    assert reverse("city_budget_line_add", args=[city.slug]) in page
    assert "No prevention lead is designated" in page


def test_the_page_takes_the_same_queries_with_1_or_20_lines_and_grants(
    client, coordinator_user, city
):
    client.force_login(coordinator_user)
    url = reverse("city_institution", args=[city.slug])

    def add(n):
        for _ in range(n):
            _line(city, 2025)
            CommunityGrant.objects.create(
                city=city,
                organisation=factories.organisation(city),
                amount=100,
                fiscal_year=2025,
                purpose="Dialogue",
            )

    add(1)
    one = page_queries(client, url)
    add(19)
    assert page_queries(client, url) == one


def test_coordinator_changes_the_lead_and_staff_and_it_is_audited(client, coordinator_user, city):
    client.force_login(coordinator_user)
    response = client.post(
        reverse("city_institution_edit", args=[city.slug]),
        {
            "lead_role": "Director of Diversity, Equity & Inclusion",
            "lead_portfolio": "dei",
            "dedicated_staff_fte": "0.5",
            "staff_hours_per_month": "20",
            "next_mayoral_transition": "2027-12-01",
        },
    )
    assert response.status_code == 302
    city.refresh_from_db()
    assert city.lead_role == "Director of Diversity, Equity & Inclusion"
    assert city.dedicated_staff_fte == Decimal("0.5")
    assert city.next_mayoral_transition == date(2027, 12, 1)
    event = AuditEvent.objects.get(action=AuditAction.CITY_SETTINGS_CHANGED)
    assert event.city_id == city.pk
    assert event.detail["fields"] == [
        "dedicated_staff_fte",
        "lead_portfolio",
        "lead_role",
        "next_mayoral_transition",
        "staff_hours_per_month",
    ]
    assert event.detail["changes"]["next_mayoral_transition"] == {"from": None, "to": "2027-12-01"}


def test_saving_the_same_values_changes_and_audits_nothing(client, coordinator_user, city):
    client.force_login(coordinator_user)
    client.post(
        reverse("city_institution_edit", args=[city.slug]),
        {
            "lead_role": "",
            "lead_portfolio": "",
            "dedicated_staff_fte": "0",
            "staff_hours_per_month": "0",
        },
    )
    assert not AuditEvent.objects.filter(action=AuditAction.CITY_SETTINGS_CHANGED).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dedicated_staff_fte", "-1", "greater than or equal to 0"),
        ("dedicated_staff_fte", "lots", "Enter a number"),
        ("staff_hours_per_month", "-5", "greater than or equal to 0"),
        ("next_mayoral_transition", "1999-01-01", "between 2000 and 2100"),
        ("lead_role", "", "Name the lead"),  # a portfolio without a role
    ],
)
def test_bad_city_fields_are_refused_with_a_message_and_nothing_saved(
    client, coordinator_user, city, field, value, message
):
    client.force_login(coordinator_user)
    data = {
        "lead_role": "Assistant to the City Manager",
        "lead_portfolio": "city_managers_office",
        "dedicated_staff_fte": "1",
        "staff_hours_per_month": "10",
        field: value,
    }
    response = client.post(reverse("city_institution_edit", args=[city.slug]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    city.refresh_from_db()
    assert city.lead_role == "" and city.dedicated_staff_fte == 0
    assert not AuditEvent.objects.filter(action=AuditAction.CITY_SETTINGS_CHANGED).exists()


def test_a_member_may_not_change_anything(client, member, city):
    client.force_login(member)
    line = _line(city, 2025)
    for name, kwargs, data in [
        (
            "city_institution_edit",
            {},
            {"lead_role": "x", "dedicated_staff_fte": "1", "staff_hours_per_month": "1"},
        ),
        (
            "city_budget_line_add",
            {},
            {"budget-amount": "1", "budget-fiscal_year": "2025", "budget-source": "x"},
        ),
        ("city_budget_line_remove", {"line_id": line.pk}, {"confirm": "remove"}),
    ]:
        response = client.post(reverse(name, kwargs={"slug": city.slug, **kwargs}), data)
        assert response.status_code == 403, name
    city.refresh_from_db()
    assert city.lead_role == ""
    assert list(BudgetLine.objects.all()) == [line]


# --- Budget lines ----------------------------------------------------------------------------


def _budget(amount="75000.00", year="2026", source="General fund"):
    return {"budget-amount": amount, "budget-fiscal_year": year, "budget-source": source}


def test_coordinator_adds_and_removes_a_budget_line_and_both_are_audited(
    client, coordinator_user, city
):
    client.force_login(coordinator_user)
    response = client.post(reverse("city_budget_line_add", args=[city.slug]), _budget())
    assert response.status_code == 302
    line = BudgetLine.objects.get(city=city)
    assert (line.amount, line.fiscal_year, line.source) == (Decimal("75000"), 2026, "General fund")

    remove = reverse("city_budget_line_remove", args=[city.slug, line.pk])
    client.post(remove)  # no confirmation: nothing removed
    assert BudgetLine.objects.filter(pk=line.pk).exists()
    client.post(remove, {"confirm": "remove"})
    assert not BudgetLine.objects.filter(pk=line.pk).exists()

    details = [
        e.detail
        for e in AuditEvent.objects.filter(action=AuditAction.CITY_SETTINGS_CHANGED).order_by("pk")
    ]
    assert details[0]["budget_line_added"]["amount"] == "75000.00"
    assert details[1]["budget_line_removed"]["fiscal_year"] == 2026
    assert len(details) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_budget(amount="0"), "The amount must be more than zero."),
        (_budget(amount="-10"), "The amount must be more than zero."),
        (_budget(amount="ten"), "Enter a number"),
        (_budget(year="1999"), "between 2000 and 2100"),
        (_budget(year="2101"), "between 2000 and 2100"),
        (_budget(source=""), "This field is required"),
    ],
)
def test_bad_budget_lines_are_refused_with_a_message_and_nothing_saved(
    client, coordinator_user, city, data, message
):
    client.force_login(coordinator_user)
    response = client.post(reverse("city_budget_line_add", args=[city.slug]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BudgetLine.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_line_of_another_city_cannot_be_removed_through_this_one(
    client, coordinator_user, city, other_city
):
    theirs = _line(other_city, 2025)
    client.force_login(coordinator_user)
    client.post(
        reverse("city_budget_line_remove", args=[city.slug, theirs.pk]), {"confirm": "remove"}
    )
    assert BudgetLine.objects.filter(pk=theirs.pk).exists()


# --- Grants ----------------------------------------------------------------------------------


def _grant(organisation, amount="12000", year="2026", purpose="Youth mentoring"):
    return {
        "grant-organisation": str(organisation.pk),
        "grant-amount": amount,
        "grant-fiscal_year": year,
        "grant-purpose": purpose,
    }


def test_coordinator_adds_a_grant_to_an_organisation_of_the_city(client, coordinator_user, city):
    organisation = factories.organisation(city, "Interfaith Alliance")
    client.force_login(coordinator_user)
    response = client.post(reverse("city_grant_add", args=[city.slug]), _grant(organisation))
    assert response.status_code == 302
    grant = CommunityGrant.objects.get()
    assert (grant.city, grant.organisation, grant.amount) == (city, organisation, Decimal("12000"))
    event = AuditEvent.objects.get(action=AuditAction.CITY_SETTINGS_CHANGED)
    assert event.detail["grant_added"]["organisation_id"] == organisation.pk

    page = client.get(reverse("city_institution", args=[city.slug])).content.decode()
    assert "Interfaith Alliance" in page and "$12,000.00" in page

    remove = reverse("city_grant_remove", args=[city.slug, grant.pk])
    client.post(remove)
    assert CommunityGrant.objects.exists()
    client.post(remove, {"confirm": "remove"})
    assert not CommunityGrant.objects.exists()


def test_a_grant_to_an_organisation_of_another_city_is_refused(
    client, coordinator_user, city, other_city
):
    factories.organisation(city)
    elsewhere = factories.organisation(other_city, "Stamford Youth Services")
    client.force_login(coordinator_user)
    response = client.post(reverse("city_grant_add", args=[city.slug]), _grant(elsewhere))
    assert response.status_code == 200
    assert "Choose an organisation of this city." in response.content.decode()
    assert not CommunityGrant.objects.exists()


def test_the_grant_service_refuses_another_citys_organisation(coordinator_user, city, other_city):
    elsewhere = factories.organisation(other_city)
    details = GrantDetails(organisation=elsewhere, amount=Decimal(5), fiscal_year=2026, purpose="x")
    with pytest.raises(ValidationError):
        community_grant_add(actor=coordinator_user, city=city, details=details)
    assert not CommunityGrant.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_grant_amounts_must_be_positive(client, coordinator_user, city, amount):
    organisation = factories.organisation(city)
    client.force_login(coordinator_user)
    response = client.post(
        reverse("city_grant_add", args=[city.slug]), _grant(organisation, amount=amount)
    )
    assert "The amount must be more than zero." in response.content.decode()
    assert not CommunityGrant.objects.exists()


def test_without_organisations_the_page_says_to_add_them_first(client, coordinator_user, city):
    client.force_login(coordinator_user)
    page = client.get(reverse("city_institution", args=[city.slug])).content.decode()
    assert "add them to the city" in page and "directory first" in page
    assert reverse("city_grant_add", args=[city.slug]) not in page
