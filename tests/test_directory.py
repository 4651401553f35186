"""The stakeholder directory (issue 6): filters, htmx, query counts, people and
organisations forms, export and its audit."""

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from stakeholders.models import FocusArea, Leg, Organisation, Person, Sector
from tests import factories
from tests.querycount import page_queries
from workinggroups.models import ExistingInitiative, Membership

pytestmark = pytest.mark.django_db


def directory_url(city, **query):
    url = reverse("city_directory", kwargs={"slug": city.slug})
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


def names(response) -> list[str]:
    return [person.full_name for person in response.context["people"]]


@pytest.fixture
def focus_youth(db):
    return FocusArea.objects.create(slug="youth", name="Youth")


@pytest.fixture
def focus_online(db):
    return FocusArea.objects.create(slug="online-harms", name="Online harms")


@pytest.fixture
def people(city, focus_youth, focus_online):
    """Five people, each standing out by one thing a filter narrows to."""
    mosque = factories.organisation(city, "Islamic Center")
    group = factories.group(city, name="Local Leadership Group")
    ended = factories.group(city, name="Old Task Force")
    made = {
        "amina": factories.person(
            city,
            Leg.COMMUNITY,
            full_name="Amina Haddad",
            role_title="Imam",
            organisation=mosque,
            sector=Sector.objects.get(slug="muslim-leaders"),
            works_primary=True,
        ),
        "bob": factories.person(city, Leg.LAW_ENFORCEMENT, full_name="Bob Ortiz"),
        "carla": factories.person(
            city, Leg.CITY_STAFF, full_name="Carla Mendes", works_tertiary=True
        ),
        "dan": factories.person(city, Leg.MAYOR_COUNCIL, full_name="Dan Kim"),
        "eve": factories.person(
            city, Leg.COMMUNITY, full_name="Eve Stone", role_title="Youth pastor"
        ),
    }
    Membership.objects.create(group=group, person=made["bob"])
    from datetime import date

    Membership.objects.create(
        group=ended, person=made["dan"], started_on=date(2024, 1, 1), ended_on=date(2024, 6, 1)
    )
    made["carla"].focus_areas.add(focus_youth)
    made["eve"].focus_areas.add(focus_online)
    factories.person(factories.city("Elsewhere"), full_name="Amina Elsewhere")
    made["group"], made["ended"], made["mosque"] = group, ended, mosque
    return made


@pytest.fixture
def coordinator_client(client, coordinator_user):
    client.force_login(coordinator_user)
    return client


def test_directory_lists_the_citys_people_by_name(coordinator_client, city, people):
    response = coordinator_client.get(directory_url(city))
    assert names(response) == ["Amina Haddad", "Bob Ortiz", "Carla Mendes", "Dan Kim", "Eve Stone"]
    page = response.content.decode()
    assert "Amina Elsewhere" not in page
    assert "Islamic Center" in page and "Local Leadership Group" in page
    # A seat that ended is not a current group (the filter's list still names the group).
    results = coordinator_client.get(directory_url(city), HTTP_HX_REQUEST="true")
    assert "Local Leadership Group" in results.content.decode()
    assert "Old Task Force" not in results.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "amina"}, ["Amina Haddad"]),
        ({"q": "pastor"}, ["Eve Stone"]),  # role
        ({"q": "islamic"}, ["Amina Haddad"]),  # organisation
        ({"leg": "law_enforcement"}, ["Bob Ortiz"]),
        ({"level": "primary"}, ["Amina Haddad"]),
        ({"level": "tertiary"}, ["Carla Mendes"]),
        ({"leg": "community", "q": "stone"}, ["Eve Stone"]),
    ],
)
def test_each_filter_narrows_the_directory(coordinator_client, city, people, query, expected):
    assert names(coordinator_client.get(directory_url(city, **query))) == expected


def test_filters_by_sector_organisation_group_and_focus_area(
    coordinator_client, city, people, focus_youth, focus_online
):
    get = coordinator_client.get
    sector = Sector.objects.get(slug="muslim-leaders")
    assert names(get(directory_url(city, sector=sector.pk))) == ["Amina Haddad"]
    assert names(get(directory_url(city, organisation=people["mosque"].pk))) == ["Amina Haddad"]
    assert names(get(directory_url(city, group=people["group"].pk))) == ["Bob Ortiz"]
    # Dan left that group: the filter is on current seats only.
    assert names(get(directory_url(city, group=people["ended"].pk))) == []
    assert names(get(directory_url(city, focus_area=focus_youth.pk))) == ["Carla Mendes"]
    assert names(get(directory_url(city, focus_area=focus_online.pk))) == ["Eve Stone"]


def test_an_unknown_filter_value_is_ignored_not_an_error(coordinator_client, city, people):
    other_org = factories.organisation(factories.city("Far"), "Far Org")
    response = coordinator_client.get(
        directory_url(city, leg="pirates", organisation=other_org.pk, sector="x", page="999")
    )
    assert response.status_code == 200
    assert len(names(response)) == 5
    assert "This value is not known and is ignored." in response.content.decode()


def test_leg_counts_summarise_the_matching_people(coordinator_client, city, people):
    summary = coordinator_client.get(directory_url(city)).context["summary"]
    assert {leg.leg: leg.people for leg in summary.legs} == {
        "mayor_council": 1,
        "city_staff": 1,
        "community": 2,
        "law_enforcement": 1,
    }
    filtered = coordinator_client.get(directory_url(city, leg="community")).context["summary"]
    assert filtered.total == 2


def test_htmx_request_gets_only_the_results_fragment(coordinator_client, city, people):
    response = coordinator_client.get(directory_url(city, leg="community"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and "<form" not in page
    assert "Amina Haddad" in page and "Bob Ortiz" not in page
    # The count outside the swapped region is updated out of band, for screen readers.
    assert 'id="directory-status"' in page and 'hx-swap-oob="true"' in page
    assert "HX-Request" in response["Vary"]


def test_the_full_page_has_a_get_form_that_htmx_enhances(coordinator_client, city, people):
    page = coordinator_client.get(directory_url(city)).content.decode()
    assert "<html" in page
    assert 'method="get"' in page and 'hx-get="' in page
    assert 'hx-target="#directory-results"' in page and 'hx-push-url="true"' in page
    assert 'id="directory-results"' in page


def test_a_history_restore_gets_the_whole_page(coordinator_client, city, people):
    response = coordinator_client.get(
        directory_url(city), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_directory_is_paginated_fifty_to_a_page(coordinator_client, city):
    sector = factories.sector_for(Leg.COMMUNITY)
    Person.objects.bulk_create(
        Person(city=city, full_name=f"Person {n:03d}", leg=Leg.COMMUNITY, sector=sector)
        for n in range(51)
    )
    first = coordinator_client.get(directory_url(city))
    assert len(names(first)) == 50
    second = coordinator_client.get(directory_url(city, page=2))
    assert names(second) == ["Person 050"]
    assert "Page 2 of 2" in second.content.decode()


def test_a_page_past_the_end_shows_the_last_page(coordinator_client, city):
    sector = factories.sector_for(Leg.COMMUNITY)
    Person.objects.bulk_create(
        Person(city=city, full_name=f"Person {n:03d}", leg=Leg.COMMUNITY, sector=sector)
        for n in range(51)
    )
    for page in ("9", "2.0"):
        response = coordinator_client.get(directory_url(city, page=page))
        assert names(response) == ["Person 050"], page
        assert "Page 2 of 2" in response.content.decode()
    for page in ("0", "-3", "two", "1e400"):
        assert len(names(coordinator_client.get(directory_url(city, page=page)))) == 50, page


def _table(response) -> str:
    page = response.content.decode()
    return " ".join(page[page.index("<tbody>") : page.index("</tbody>")].split())


@pytest.mark.parametrize(
    "query",
    [{}, {"leg": "community"}, {"q": "youth"}, {"level": "primary"}, {"page": "2"}],
)
def test_the_orm_reading_for_other_databases_shows_the_same_rows(
    coordinator_client, city, people, focus_youth, monkeypatch, query
):
    """SQLite (`make run` on a bare machine) reads the page through the ORM: same rows."""
    from stakeholders import directory_selectors

    initiative = ExistingInitiative.objects.create(city=city, name="Human Rights <Commission>")
    initiative.people.add(people["amina"], people["bob"])
    Membership.objects.create(group=people["group"], person=people["amina"], role="chair")
    people["amina"].focus_areas.add(focus_youth)
    sql = coordinator_client.get(directory_url(city, **query))
    monkeypatch.setattr(directory_selectors, "sql_pages", lambda: False)
    orm = coordinator_client.get(directory_url(city, **query))
    assert names(sql) == names(orm)
    assert [(leg.leg, leg.people) for leg in sql.context["summary"].legs] == [
        (leg.leg, leg.people) for leg in orm.context["summary"].legs
    ]
    if names(sql):
        assert _table(sql) == _table(orm)
    if "Amina Haddad" in names(sql):
        assert "Human Rights &lt;Commission&gt;" in _table(sql)
        assert "Local Leadership Group" in _table(sql)


def test_names_and_details_are_escaped_in_the_rows(coordinator_client, city):
    factories.person(
        city, full_name='<script>alert("x")</script>', role_title="<b>Imam</b>", phone="<i>1</i>"
    )
    page = coordinator_client.get(directory_url(city)).content.decode()
    assert "<script>alert" not in page and "<b>Imam</b>" not in page and "<i>1</i>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_new_organisations_and_groups_are_offered_at_once(coordinator_client, city):
    url = directory_url(city)
    coordinator_client.get(url)
    organisation = factories.organisation(city, "Interfaith Council")
    group = factories.group(city, name="City Prevention Team")
    page = coordinator_client.get(url).content.decode()
    assert f'<option value="{organisation.pk}">Interfaith Council</option>' in page
    assert f'<option value="{group.pk}">City Prevention Team</option>' in page
    chosen = coordinator_client.get(directory_url(city, organisation=organisation.pk))
    assert f'<option value="{organisation.pk}" selected>' in chosen.content.decode()


def test_a_revoked_coordinator_loses_the_directory_on_the_next_request(client, city):
    from stakeholders.roles import grant_coordinator, revoke_coordinator

    user = factories.user()
    grant_coordinator(city=city, user=user)
    client.force_login(user)
    assert client.get(directory_url(city)).status_code == 200
    revoke_coordinator(city=city, user=user)
    assert client.get(directory_url(city)).status_code == 404
    grant_coordinator(city=city, user=user)
    assert client.get(directory_url(city)).status_code == 200


def _populate(city, count, focus, initiative, group):
    organisation = factories.organisation(city)
    for n in range(count):
        person = factories.person(city, list(Leg)[n % 4], organisation=organisation)
        person.focus_areas.add(focus)
        initiative.people.add(person)
        Membership.objects.create(group=group, person=person)


def test_directory_page_queries_do_not_grow_with_the_city(coordinator_client, city, focus_youth):
    initiative = ExistingInitiative.objects.create(city=city, name="Human Rights Commission")
    group = factories.group(city)
    _populate(city, 1, focus_youth, initiative, group)
    url = directory_url(city)
    one = page_queries(coordinator_client, url)
    _populate(city, 59, focus_youth, initiative, group)
    sixty = page_queries(coordinator_client, url)
    assert one == sixty
    filtered = directory_url(city, leg="community", focus_area=focus_youth.pk, group=group.pk)
    assert page_queries(coordinator_client, filtered) == page_queries(
        coordinator_client, filtered + "&page=2"
    )


def test_viewing_the_directory_is_audited_with_its_row_count(coordinator_client, city, people):
    AuditEvent.objects.all().delete()
    coordinator_client.get(directory_url(city, leg="community"))
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.ROSTER_VIEWED
    assert event.city == city
    assert event.detail["rows"] == 2


@pytest.mark.parametrize(
    ("role", "status"), [("member", 403), ("other_coordinator", 404), ("staff", 200)]
)
def test_directory_access_by_role(
    client, city, group, member, other_coordinator, staff_user, role, status
):
    user = {"member": member, "other_coordinator": other_coordinator, "staff": staff_user}[role]
    client.force_login(user)
    for url in (
        directory_url(city),
        reverse("directory_export", kwargs={"slug": city.slug, "fmt": "csv"}),
        reverse("directory_import", kwargs={"slug": city.slug}),
    ):
        assert client.get(url).status_code == status, url


def test_an_unknown_export_format_is_not_found(coordinator_client, city):
    url = reverse("directory_export", kwargs={"slug": city.slug, "fmt": "pdf"})
    assert coordinator_client.get(url).status_code == 404


# --- People and organisations --------------------------------------------------------------


def person_form(**overrides):
    data = {
        "full_name": "Grace Lee",
        "role_title": "Community Empowerment Officer",
        "leg": Leg.CITY_STAFF,
        "sector": Sector.objects.get(slug="community-liaisons").pk,
        "organisation": "",
        "email": "grace@example.org",
        "phone": "+1 505 555 0100",
        "reminders_enabled": "on",
    }
    data.update(overrides)
    return data


def test_a_coordinator_adds_a_person_with_levels_focus_and_initiatives(
    coordinator_client, city, focus_youth
):
    organisation = factories.organisation(city, "City Hall")
    initiative = ExistingInitiative.objects.create(city=city, name="Youth Council")
    response = coordinator_client.post(
        reverse("directory_person_create", kwargs={"slug": city.slug}),
        person_form(
            organisation=organisation.pk,
            prevention_levels=["primary", "secondary"],
            focus_areas=[focus_youth.pk],
            initiatives=[initiative.pk],
            consent_to_contact="on",
        ),
    )
    assert response.status_code == 302
    person = Person.objects.get(email="grace@example.org")
    assert person.city == city and person.organisation == organisation
    assert person.prevention_levels == ["primary", "secondary"]
    assert list(person.focus_areas.all()) == [focus_youth]
    assert list(person.initiatives.all()) == [initiative]
    assert person.consent_to_contact and person.consent_recorded_at is not None
    event = AuditEvent.objects.get(action=AuditAction.PERSON_CHANGED)
    assert event.detail["created"] is True
    assert "email" in event.detail["fields"]
    # Names of fields, never their values.
    assert "grace@example.org" not in str(event.detail)


def test_email_is_unique_case_insensitively_across_cities(coordinator_client, city):
    factories.person(factories.city("Far"), email="Grace@Example.org")
    response = coordinator_client.post(
        reverse("directory_person_create", kwargs={"slug": city.slug}),
        person_form(email="grace@EXAMPLE.org"),
    )
    assert response.status_code == 200
    assert "Another person in the directories already has this address" in (
        response.content.decode()
    )
    assert not Person.objects.filter(city=city).exists()


def test_an_organisation_of_another_city_cannot_be_chosen(coordinator_client, city):
    elsewhere = factories.organisation(factories.city("Far"), "Far Org")
    response = coordinator_client.post(
        reverse("directory_person_create", kwargs={"slug": city.slug}),
        person_form(organisation=elsewhere.pk),
    )
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not Person.objects.filter(email="grace@example.org").exists()


def test_editing_records_consent_once_and_audits_changed_field_names(
    coordinator_client, city, people
):
    eve = people["eve"]
    url = reverse("directory_person_edit", kwargs={"person_id": eve.pk})
    assert coordinator_client.get(url).status_code == 200
    data = {
        "full_name": eve.full_name,
        "role_title": eve.role_title,
        "leg": eve.leg,
        "sector": eve.sector_id,
        "email": eve.email,
        "phone": "555 0199",
        "reminders_enabled": "on",
        "consent_to_contact": "on",
        "focus_areas": [area.pk for area in eve.focus_areas.all()],
    }
    assert coordinator_client.post(url, data).status_code == 302
    eve.refresh_from_db()
    first_recorded = eve.consent_recorded_at
    assert eve.consent_to_contact and first_recorded is not None
    event = AuditEvent.objects.filter(action=AuditAction.PERSON_CHANGED).get()
    assert event.detail == {"fields": ["consent_to_contact", "phone"]}

    # Saving again keeps the date consent was first given.
    data["role_title"] = "Pastor"
    coordinator_client.post(url, data)
    eve.refresh_from_db()
    assert eve.consent_recorded_at == first_recorded and eve.role_title == "Pastor"

    data.pop("consent_to_contact")
    coordinator_client.post(url, data)
    eve.refresh_from_db()
    assert not eve.consent_to_contact and eve.consent_recorded_at is None


def test_an_empty_person_form_comes_back_with_its_errors(coordinator_client, city):
    url = reverse("directory_person_create", kwargs={"slug": city.slug})
    response = coordinator_client.post(url)
    assert response.status_code == 200
    assert {"full_name", "leg", "sector"} <= set(response.context["form"].errors)
    assert "Please correct the fields marked below." in response.content.decode()
    assert not Person.objects.filter(city=city).exists()


def test_a_member_may_not_edit_a_person(client, member):
    client.force_login(member)
    url = reverse("directory_person_edit", kwargs={"person_id": member.person_id})
    assert client.get(url).status_code == 403


def test_organisations_list_and_create_with_name_unique_in_city(coordinator_client, city):
    url = reverse("directory_organisations", kwargs={"slug": city.slug})
    sector = Sector.objects.get(slug="interfaith-leaders")
    response = coordinator_client.post(
        url, {"name": "Interfaith Alliance", "sector": sector.pk, "website": "alliance.example"}
    )
    assert response.status_code == 302
    made = Organisation.objects.get(city=city)
    assert made.sector == sector and made.website == "https://alliance.example"
    again = coordinator_client.post(url, {"name": "interfaith alliance"})
    assert again.status_code == 200
    assert "already has an organisation of this name" in again.content.decode()
    # The same name is fine in another city.
    assert Organisation.objects.filter(city=city).count() == 1
    listing = coordinator_client.get(url)
    assert "Interfaith Alliance" in listing.content.decode()


def test_organisations_page_queries_do_not_grow(coordinator_client, city):
    url = reverse("directory_organisations", kwargs={"slug": city.slug})
    factories.organisation(city)
    one = page_queries(coordinator_client, url)
    for _ in range(30):
        factories.person(city, organisation=factories.organisation(city))
    assert page_queries(coordinator_client, url) == one


# --- Export --------------------------------------------------------------------------------


def export_url(city, fmt, **query):
    url = reverse("directory_export", kwargs={"slug": city.slug, "fmt": fmt})
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_csv_export_has_the_filtered_people_and_is_audited(coordinator_client, city, people):
    AuditEvent.objects.all().delete()
    response = coordinator_client.get(export_url(city, "csv", leg="community"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [row["full_name"] for row in rows] == ["Amina Haddad", "Eve Stone"]
    amina = rows[0]
    assert amina["organisation"] == "Islamic Center"
    assert amina["sector"] == "Muslim leaders"
    assert amina["prevention_levels"] == "primary"
    assert rows[1]["focus_areas"] == "Online harms"
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.ROSTER_EXPORTED
    assert event.city == city
    assert event.detail == {"rows": 2, "format": "csv", "filters": {"leg": "community"}}


def test_export_lists_current_groups_and_initiatives(coordinator_client, city, people):
    ExistingInitiative.objects.create(city=city, name="Human Rights Commission").people.add(
        people["bob"]
    )
    rows = read_csv(coordinator_client.get(export_url(city, "csv", q="bob")))
    assert rows[0]["working_groups"] == "Local Leadership Group"
    assert rows[0]["initiatives"] == "Human Rights Commission"


def test_export_escapes_cells_a_spreadsheet_would_run_as_formulas(coordinator_client, city):
    for n, name in enumerate(['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"]):
        factories.person(city, full_name=name, role_title=f"role {n}")
    rows = read_csv(coordinator_client.get(export_url(city, "csv")))
    exported = {row["full_name"] for row in rows}
    assert exported == {'\'=HYPERLINK("http://x")', "'+1+1", "'-2", "'@SUM(A1)"}

    response = coordinator_client.get(export_url(city, "xlsx"))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(cell.startswith("'") for cell in cells)
    assert all(cell.data_type == "s" for cell in sheet["A"][1:])


def test_xlsx_export_has_the_columns_and_is_audited(coordinator_client, city, people):
    AuditEvent.objects.all().delete()
    response = coordinator_client.get(export_url(city, "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("full_name", "role_title", "leg", "sector")
    assert [row[0] for row in rows[1:]] == [
        "Amina Haddad",
        "Bob Ortiz",
        "Carla Mendes",
        "Dan Kim",
        "Eve Stone",
    ]
    event = AuditEvent.objects.get()
    assert event.detail == {"rows": 5, "format": "xlsx", "filters": {}}


def test_export_reads_the_database_in_chunks(coordinator_client, city, focus_youth):
    """Bounded memory: a large city is read a chunk at a time, with constant queries per
    chunk (not one query per person)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sector = factories.sector_for(Leg.COMMUNITY)
    Person.objects.bulk_create(
        Person(city=city, full_name=f"Person {n:04d}", leg=Leg.COMMUNITY, sector=sector)
        for n in range(1200)
    )
    with CaptureQueriesContext(connection) as captured:
        response = coordinator_client.get(export_url(city, "csv"))
        rows = read_csv(response)
    assert len(rows) == 1200
    person_selects = [
        q for q in captured.captured_queries if 'FROM "stakeholders_person"' in q["sql"]
    ]
    # The count for the audit, then one server-side cursor fetching in chunks.
    assert len(person_selects) <= 3
    assert len(captured.captured_queries) < 40


# --- In the browser: htmx filtering ---------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_filtering_in_the_browser_updates_the_results_without_a_reload(
    live_server, page, console_errors, settings
):
    from playwright.sync_api import expect

    from tests.harness.browser import sign_in_as

    settings.ACCOUNT_RATE_LIMITS = False
    city = factories.city("Albuquerque")
    factories.person(city, Leg.COMMUNITY, full_name="Amina Haddad")
    factories.person(city, Leg.LAW_ENFORCEMENT, full_name="Bob Ortiz")
    sign_in_as(page, factories.coordinator(city), live_server.url)

    page.goto(f"{live_server.url}{directory_url(city)}")
    results = page.locator("#directory-results")
    expect(results.get_by_role("link", name="Edit Bob Ortiz")).to_be_visible()
    page.evaluate("window.__notReloaded = true")

    page.get_by_label("Leg", exact=True).select_option("community")
    expect(results.get_by_role("link", name="Edit Bob Ortiz")).to_have_count(0)
    expect(results.get_by_role("link", name="Edit Amina Haddad")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("1 person matches")
    # The address follows the filters (hx-push-url), so it can be bookmarked or shared.
    expect(page).to_have_url(re.compile(r"/directory/\?.*leg=community"))
    assert page.evaluate("window.__notReloaded === true")

    page.get_by_label("Search", exact=True).fill("zzz")
    expect(page.get_by_role("status")).to_contain_text("0 people match")
    assert page.evaluate("window.__notReloaded === true")
    assert console_errors == []
