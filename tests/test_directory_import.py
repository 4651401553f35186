"""Importing people from CSV and XLSX (issue 6): a preview first, per-row errors,
duplicates, nothing saved before confirmation, and bad files refused without a 500."""

import io
import threading

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from stakeholders import directory_services
from stakeholders.models import DirectoryImport, FocusArea, Leg, Organisation, Person, Sector
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = (
    "full_name,leg,sector,email,role_title,organisation,phone,prevention_levels,focus_areas,consent"
)


@pytest.fixture
def coordinator_client(client, coordinator_user):
    client.force_login(coordinator_user)
    return client


@pytest.fixture(autouse=True)
def youth(db):
    """The focus area the sample file names (focus areas are not seeded by migrations)."""
    return FocusArea.objects.create(slug="youth", name="Youth")


def csv_file(text: str, name: str = "people.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows, name: str = "people.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def upload(client, city, file):
    return client.post(reverse("directory_import", kwargs={"slug": city.slug}), {"file": file})


def preview_of(response) -> DirectoryImport:
    assert response.status_code == 302, response.content.decode()[:2000]
    return DirectoryImport.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def confirm(client, city, batch):
    return client.post(
        reverse("directory_import_confirm", kwargs={"slug": city.slug, "import_id": batch.pk})
    )


GOOD = "\n".join(
    [
        HEADER,
        "Amina Haddad,Community organisations,Muslim leaders,amina@example.org,Imam,"
        'Islamic Center,505 555 0101,"primary;secondary",Youth,yes',
        "Bob Ortiz,law_enforcement,sworn-officers,bob@example.org,Sergeant,,,tertiary,,no",
        "Carla Mendes,CITY STAFF,community liaisons in city government,,Liaison,City Hall,,,,",
    ]
)


def test_a_csv_is_previewed_and_nothing_is_saved_until_confirmed(coordinator_client, city, youth):
    response = upload(coordinator_client, city, csv_file(GOOD))
    batch = preview_of(response)
    assert batch.status == DirectoryImport.Status.PREVIEW
    assert [row["action"] for row in batch.rows] == ["create", "create", "create"]
    assert batch.errors == []
    # Nothing reaches the directory (nor its organisations) before confirmation.
    assert not Person.objects.filter(city=city).exists()
    assert not Organisation.objects.filter(city=city).exists()

    page = coordinator_client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["counts"]["create"] == 3
    assert "Confirm: add 3, update 0" in page.content.decode()

    done = confirm(coordinator_client, city, batch)
    assert done.status_code == 302
    amina = Person.objects.get(email="amina@example.org")
    assert amina.city == city and amina.leg == Leg.COMMUNITY
    assert amina.sector.slug == "muslim-leaders"
    assert amina.organisation.name == "Islamic Center"
    assert amina.prevention_levels == ["primary", "secondary"]
    assert list(amina.focus_areas.all()) == [youth]
    assert amina.consent_to_contact and amina.consent_recorded_at is not None
    bob = Person.objects.get(email="bob@example.org")
    assert bob.leg == Leg.LAW_ENFORCEMENT and bob.prevention_levels == ["tertiary"]
    assert not bob.consent_to_contact and bob.organisation is None
    carla = Person.objects.get(full_name="Carla Mendes")
    assert carla.email == "" and carla.organisation.name == "City Hall"
    batch.refresh_from_db()
    assert batch.status == DirectoryImport.Status.CONFIRMED and batch.confirmed_at
    event = AuditEvent.objects.get(action=AuditAction.PERSON_CHANGED)
    assert event.detail == {"import": batch.pk, "created": 3, "updated": 0}
    assert event.city == city


def test_a_second_confirm_does_nothing(coordinator_client, city):
    batch = preview_of(upload(coordinator_client, city, csv_file(GOOD)))
    confirm(coordinator_client, city, batch)
    again = confirm(coordinator_client, city, batch)
    assert again.status_code == 302
    assert Person.objects.filter(city=city).count() == 3
    assert AuditEvent.objects.filter(action=AuditAction.PERSON_CHANGED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_confirms_at_once_import_once(city, coordinator_user):
    from stakeholders.directory_import import plan_import

    plan = plan_import(city, csv_file(GOOD))
    plan_batch = directory_services.directory_import_create(
        actor=coordinator_user, city=city, file_name="people.csv", plan=plan
    )
    outcomes = []

    def run():
        try:
            outcomes.append(
                directory_services.directory_import_confirm(
                    actor=coordinator_user, city=city, import_id=plan_batch.pk
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome is None for outcome in outcomes) == [False, True]
    assert Person.objects.filter(city=city).count() == 3


def test_cancel_saves_nothing_and_erases_the_rows(coordinator_client, city):
    batch = preview_of(upload(coordinator_client, city, csv_file(GOOD)))
    response = coordinator_client.post(
        reverse("directory_import_cancel", kwargs={"slug": city.slug, "import_id": batch.pk})
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == DirectoryImport.Status.CANCELLED and batch.rows == []
    assert confirm(coordinator_client, city, batch).status_code == 302
    assert not Person.objects.filter(city=city).exists()


def test_an_xlsx_is_read_like_a_csv(coordinator_client, city):
    rows = [
        ["Full name", "Leg", "Sector", "Email", "Phone"],
        ["Dana Levi", "community", "Jewish leaders", "dana@example.org", 5055550102],
        [None, None, None, None, None],
        ["Eli Cohen", "Community organisations", "jewish-leaders", "eli@example.org", None],
    ]
    batch = preview_of(upload(coordinator_client, city, xlsx_file(rows)))
    assert [row["values"]["full_name"] for row in batch.rows] == ["Dana Levi", "Eli Cohen"]
    assert batch.rows[0]["values"]["phone"] == "5055550102"
    assert [row["line"] for row in batch.rows] == [2, 4]
    confirm(coordinator_client, city, batch)
    assert set(Person.objects.filter(city=city).values_list("full_name", flat=True)) == {
        "Dana Levi",
        "Eli Cohen",
    }


def test_a_bom_and_semicolons_are_accepted(coordinator_client, city):
    text = "\ufefffull_name;leg;sector;email\nFatima Ali;community;muslim-leaders;f@example.org\n"
    batch = preview_of(upload(coordinator_client, city, csv_file(text)))
    assert batch.rows[0]["action"] == "create"
    assert batch.rows[0]["values"]["full_name"] == "Fatima Ali"


def test_rows_with_errors_are_reported_by_line_and_column_and_left_out(
    coordinator_client, city, youth
):
    text = "\n".join(
        [
            HEADER,
            "Good Person,community,muslim-leaders,good@example.org,,,,,,",
            "No Leg,,muslim-leaders,noleg@example.org,,,,,,",
            "Bad Leg,pirates,muslim-leaders,badleg@example.org,,,,,,",
            "Bad Sector,community,astronauts,badsector@example.org,,,,,,",
            "Bad Email,community,muslim-leaders,not-an-address,,,,,,",
            "Bad Level,community,muslim-leaders,level@example.org,,,,quaternary,,",
            "Bad Focus,community,muslim-leaders,focus@example.org,,,,,Youth;Knitting,",
            "Bad Consent,community,muslim-leaders,consent@example.org,,,,,,maybe",
            ",community,muslim-leaders,noname@example.org,,,,,,",
            "X" * 201 + ",community,muslim-leaders,long@example.org,,,,,,",
        ]
    )
    batch = preview_of(upload(coordinator_client, city, csv_file(text)))
    found = {(error["line"], error["column"]) for error in batch.errors}
    assert found == {
        (3, "leg"),
        (4, "leg"),
        (5, "sector"),
        (6, "email"),
        (7, "prevention_levels"),
        (8, "focus_areas"),
        (9, "consent"),
        (10, "full_name"),
        (11, "full_name"),
    }
    knitting = next(e for e in batch.errors if e["column"] == "focus_areas")
    assert "Knitting" in knitting["message"]
    assert [row["action"] for row in batch.rows].count("create") == 1
    page = coordinator_client.get(
        reverse("directory_import_preview", kwargs={"slug": city.slug, "import_id": batch.pk})
    )
    assert page.context["counts"]["error"] == 9
    assert "9 rows have errors and will not be imported" in page.content.decode()
    confirm(coordinator_client, city, batch)
    assert list(Person.objects.filter(city=city).values_list("full_name", flat=True)) == [
        "Good Person"
    ]


def test_an_address_in_this_city_updates_that_person(coordinator_client, city):
    existing = factories.person(
        city, Leg.COMMUNITY, full_name="Amina H.", email="Amina@Example.org", phone="1"
    )
    batch = preview_of(upload(coordinator_client, city, csv_file(GOOD)))
    row = batch.rows[0]
    assert row["action"] == "update" and row["match"] == existing.pk
    assert {"full_name", "phone", "sector"} <= set(row["changes"])
    assert Person.objects.get(pk=existing.pk).phone == "1"  # not before confirmation
    confirm(coordinator_client, city, batch)
    existing.refresh_from_db()
    assert existing.full_name == "Amina Haddad" and existing.phone == "505 555 0101"
    assert existing.email == "Amina@Example.org"
    assert Person.objects.filter(city=city).count() == 3
    event = AuditEvent.objects.get(action=AuditAction.PERSON_CHANGED)
    assert event.detail == {"import": batch.pk, "created": 2, "updated": 1}


def test_an_unchanged_person_is_skipped(coordinator_client, city):
    text = "full_name,leg,sector,email\nSam Roe,community,muslim-leaders,sam@example.org\n"
    factories.person(
        city,
        Leg.COMMUNITY,
        full_name="Sam Roe",
        email="sam@example.org",
        sector=Sector.objects.get(slug="muslim-leaders"),
    )
    batch = preview_of(upload(coordinator_client, city, csv_file(text)))
    assert batch.rows[0]["action"] == "skip" and batch.rows[0]["reason"] == "unchanged"


def test_an_address_in_another_city_is_an_error_not_an_update(coordinator_client, city):
    elsewhere = factories.person(factories.city("Far"), email="amina@example.org")
    batch = preview_of(upload(coordinator_client, city, csv_file(GOOD)))
    assert batch.rows[0]["action"] == "skip" and batch.rows[0]["reason"] == "error"
    assert batch.errors[0]["line"] == 2 and batch.errors[0]["column"] == "email"
    assert "another city" in batch.errors[0]["message"]
    confirm(coordinator_client, city, batch)
    elsewhere.refresh_from_db()
    assert elsewhere.city != city and elsewhere.full_name != "Amina Haddad"
    assert Person.objects.filter(city=city).count() == 2


def test_duplicates_by_name_and_organisation_are_skipped(coordinator_client, city):
    mosque = factories.organisation(city, "Islamic Center")
    factories.person(city, full_name="Amina Haddad", organisation=mosque, email="old@example.org")
    batch = preview_of(upload(coordinator_client, city, csv_file(GOOD)))
    assert batch.rows[0]["action"] == "skip" and batch.rows[0]["reason"] == "duplicate"


def test_duplicates_within_the_file_are_skipped(coordinator_client, city):
    text = "\n".join(
        [
            "full_name,leg,sector,email,organisation",
            "Ana Ruiz,community,youth-services,ana@example.org,Youth Hub",
            "Ana R.,community,youth-services,ANA@example.org,",
            "Ana Ruiz,community,youth-services,ana.ruiz@example.org,youth hub",
        ]
    )
    batch = preview_of(upload(coordinator_client, city, csv_file(text)))
    assert [(row["action"], row.get("reason")) for row in batch.rows] == [
        ("create", None),
        ("skip", "duplicate"),
        ("skip", "duplicate"),
    ]
    assert "row 2" in batch.rows[1]["message"]
    page = coordinator_client.get(
        reverse("directory_import_preview", kwargs={"slug": city.slug, "import_id": batch.pk})
    )
    assert page.context["counts"]["duplicate"] == 2


def test_an_address_taken_after_the_preview_is_not_duplicated(coordinator_client, city):
    batch = preview_of(upload(coordinator_client, city, csv_file(GOOD)))
    far = factories.person(factories.city("Far"), email="bob@example.org")
    here = factories.person(city, email="AMINA@example.org", full_name="Amina typed by hand")
    confirm(coordinator_client, city, batch)
    here.refresh_from_db()
    assert here.full_name == "Amina Haddad"  # updated, not created twice
    assert Person.objects.filter(email__iexact="bob@example.org").get() == far
    assert Person.objects.filter(city=city).count() == 2


def test_exported_escapes_are_undone_on_import(coordinator_client, city):
    text = "full_name,leg,sector,email,phone\nPat,community,academics,pat@example.org,'+1 505\n"
    batch = preview_of(upload(coordinator_client, city, csv_file(text)))
    assert batch.rows[0]["values"]["phone"] == "+1 505"


def test_export_then_import_round_trips(coordinator_client, city, youth):
    person = factories.person(city, full_name="Round Trip", phone="+1 505 555 0100")
    person.focus_areas.add(youth)
    exported = coordinator_client.get(
        reverse("directory_export", kwargs={"slug": city.slug, "fmt": "csv"})
    )
    body = b"".join(exported.streaming_content)
    batch = preview_of(upload(coordinator_client, city, SimpleUploadedFile("again.csv", body)))
    assert batch.rows[0]["reason"] == "unchanged", batch.rows[0]
    # The groups and initiatives columns are read-only and said to be ignored.
    assert "ignored" in batch.errors[0]["message"]


# --- Bad files: a message on the form, nothing saved, never a 500 ---------------------------


def assert_refused(response, text):
    assert response.status_code == 200
    page = response.content.decode()
    assert text in page, page[page.find("<main") :][:3000]
    assert 'role="alert"' in page
    assert not DirectoryImport.objects.exists()
    assert not Person.objects.exists()


def test_a_file_in_another_encoding_is_refused(coordinator_client, city):
    text = "full_name,leg,sector,email\nJosé Núñez,community,academics,jose@example.org\n"
    response = upload(coordinator_client, city, csv_file(text, encoding="latin-1"))
    assert_refused(response, "The file is not UTF-8")
    assert "line 2" in response.content.decode()


def test_missing_columns_are_named(coordinator_client, city):
    response = upload(coordinator_client, city, csv_file("full_name,email\nA,a@example.org\n"))
    assert_refused(response, "Missing: leg, sector")


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("junk.csv", bytes(range(256)) * 40), "not a CSV text file"),
        (SimpleUploadedFile("fake.xlsx", b"full_name,leg\n"), "not an Excel workbook"),
        (SimpleUploadedFile("broken.xlsx", b"PK\x03\x04" + b"\x00" * 500), "not an Excel"),
        (SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100), "Old Excel files"),
        (SimpleUploadedFile("notes.pdf", b"%PDF-1.4"), "Upload a CSV file"),
        (SimpleUploadedFile("empty.csv", b""), "empty"),
        (SimpleUploadedFile("header.csv", b"full_name,leg,sector,email\n"), "lists no people"),
        (
            SimpleUploadedFile("dup.csv", b"full_name,leg,sector,email,email\nA,b,c,d,e\n"),
            "more than once",
        ),
        (
            SimpleUploadedFile("quote.csv", b'full_name,leg,sector,email\n"A' + b"x" * 140_000),
            "cannot be read",
        ),
    ],
)
def test_bad_files_are_refused_with_a_message(coordinator_client, city, file, message):
    assert_refused(upload(coordinator_client, city, file), message)


def test_a_zip_that_is_not_a_workbook_is_refused(coordinator_client, city):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    response = upload(coordinator_client, city, SimpleUploadedFile("zip.xlsx", out.getvalue()))
    assert_refused(response, "not an Excel workbook")


def test_a_workbook_that_expands_too_far_is_refused(coordinator_client, city, settings):
    import zipfile

    settings.DIRECTORY_IMPORT_MAX_BYTES = 10_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", "a" * 300_000)
    response = upload(coordinator_client, city, SimpleUploadedFile("bomb.xlsx", out.getvalue()))
    assert_refused(response, "expands to far more data")


def test_a_file_over_the_limit_is_refused_before_parsing(coordinator_client, city, settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 1_000
    text = HEADER + "\n" + "A,community,academics,a@example.org,,,,,,\n" * 40
    assert_refused(upload(coordinator_client, city, csv_file(text)), "the limit is 1000")


def test_a_50_mb_file_is_refused(coordinator_client, city):
    big = SimpleUploadedFile("big.csv", b"full_name,leg,sector,email\n" + b"x" * (50 * 1024 * 1024))
    response = upload(coordinator_client, city, big)
    assert_refused(response, "the limit is 5.0")


def test_more_than_5000_rows_are_refused(coordinator_client, city):
    rows = "".join(f"P{n},community,academics,p{n}@example.org\n" for n in range(5001))
    response = upload(coordinator_client, city, csv_file("full_name,leg,sector,email\n" + rows))
    assert_refused(response, "more than 5,000 people")


def test_no_file_at_all_is_a_form_error(coordinator_client, city):
    response = coordinator_client.post(reverse("directory_import", kwargs={"slug": city.slug}))
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not DirectoryImport.objects.exists()


def test_a_preview_of_another_city_is_not_found(coordinator_client, city, other_city):
    batch = DirectoryImport.objects.create(city=other_city, file_name="x.csv")
    url = reverse("directory_import_preview", kwargs={"slug": city.slug, "import_id": batch.pk})
    assert coordinator_client.get(url).status_code == 404
    confirm_url = reverse(
        "directory_import_confirm", kwargs={"slug": city.slug, "import_id": batch.pk}
    )
    assert coordinator_client.post(confirm_url).status_code == 404
    batch.refresh_from_db()
    assert batch.status == DirectoryImport.Status.PREVIEW


def test_a_member_may_not_import(client, member, city):
    client.force_login(member)
    response = upload(client, city, csv_file(GOOD))
    assert response.status_code == 403
    assert not DirectoryImport.objects.exists()
