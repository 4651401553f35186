"""The framework tracker: versions numbered per city, status moving one step at a time,
adoption superseding the version adopted before, the instrument suggested by the form of
government, the document, the audit trail, and bad input refused with nothing changed.
Permissions are in tests/url_expectations/progress_city.py."""

import zoneinfo
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from tests import factories
from tests.querycount import page_queries
from workinggroups import framework_services as services
from workinggroups.framework_services import FrameworkData, suggested_instrument
from workinggroups.milestone_services import ProgressError
from workinggroups.models import FrameworkStatus, FrameworkVersion

pytestmark = pytest.mark.django_db

# The test city's own date (factories.city is in Denver): the pages judge "not in the future"
# by it, and it is a day behind UTC's every evening.
TODAY = timezone.localdate(timezone=zoneinfo.ZoneInfo("America/Denver"))


def pdf_upload(name: str = "framework.pdf") -> SimpleUploadedFile:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/pdf")


def form(**values) -> dict:
    data = {
        "title": "Local prevention framework",
        "status": "draft",
        "drafted_on": (TODAY - timedelta(days=30)).isoformat(),
        "has_statement_of_need": "on",
        "has_objectives": "on",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def new_url(city) -> str:
    return reverse("city_framework_new", kwargs={"slug": city.slug})


def edit_url(version) -> str:
    return reverse("city_framework_edit", kwargs={"slug": version.city.slug, "pk": version.pk})


@pytest.fixture
def coordinator(client, coordinator_user):
    client.force_login(coordinator_user)
    return coordinator_user


def test_versions_are_numbered_per_city(client, city, other_city, coordinator, staff_user):
    assert client.post(new_url(city), form()).status_code == 302
    assert client.post(new_url(city), form(title="Second")).status_code == 302
    client.force_login(staff_user)
    client.post(new_url(other_city), form())
    assert list(
        FrameworkVersion.objects.filter(city=city)
        .order_by("number")
        .values_list("number", flat=True)
    ) == [1, 2]
    assert FrameworkVersion.objects.get(city=other_city).number == 1
    version = FrameworkVersion.objects.get(city=city, number=1)
    assert version.has_statement_of_need and version.has_objectives
    assert not version.has_monitoring
    assert version.created_by is not None
    event = AuditEvent.objects.filter(action=AuditAction.FRAMEWORK_CHANGED).first()
    assert event.detail["change"] == "created"


def test_status_moves_one_step_at_a_time(client, city, coordinator):
    client.post(new_url(city), form())
    version = FrameworkVersion.objects.get()
    # draft -> adopted skips the review: refused, nothing changed.
    response = client.post(
        edit_url(version),
        form(status="adopted", adopted_on=TODAY.isoformat(), adoption_instrument="executive_order"),
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    version.refresh_from_db()
    assert version.status == "draft"

    assert client.post(edit_url(version), form(status="in_review")).status_code == 302
    # Reviewed needs its date.
    response = client.post(edit_url(version), form(status="reviewed"))
    assert "needs the date of its review" in response.content.decode()
    version.refresh_from_db()
    assert version.status == "in_review"
    reviewed = (TODAY - timedelta(days=5)).isoformat()
    assert (
        client.post(edit_url(version), form(status="reviewed", reviewed_on=reviewed)).status_code
        == 302
    )
    # Adopted needs a date and an instrument.
    response = client.post(edit_url(version), form(status="adopted", reviewed_on=reviewed))
    page = response.content.decode()
    assert "needs its adoption date" in page and "needs the instrument" in page
    response = client.post(
        edit_url(version),
        form(
            status="adopted",
            reviewed_on=reviewed,
            adopted_on=TODAY.isoformat(),
            adoption_instrument="executive_order",
            instrument_reference="Executive Order 3",
        ),
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == "adopted"
    assert version.adoption_instrument == "executive_order"
    changes = AuditEvent.objects.filter(
        action=AuditAction.FRAMEWORK_CHANGED, detail__change="changed"
    )
    assert changes.count() == 3
    assert changes.order_by("-pk").first().detail["status_before"] == "reviewed"


def _adopted(city, number: int, day: date) -> FrameworkVersion:
    return FrameworkVersion.objects.create(
        city=city, number=number, title="F", status="reviewed",
        drafted_on=day - timedelta(days=30), reviewed_on=day - timedelta(days=10),
    )  # fmt: skip


def test_adopting_a_version_supersedes_the_one_adopted_before(city, other_city, staff_user):
    old = FrameworkVersion.objects.create(
        city=city, number=1, title="F", status="adopted", drafted_on=date(2025, 1, 1),
        adopted_on=date(2025, 2, 1), adoption_instrument="executive_order",
    )  # fmt: skip
    elsewhere = FrameworkVersion.objects.create(
        city=other_city, number=1, title="F", status="adopted", drafted_on=date(2025, 1, 1),
        adopted_on=date(2025, 2, 1), adoption_instrument="board_resolution",
    )  # fmt: skip
    new = _adopted(city, 2, TODAY)
    data = FrameworkData(
        title="F", status="adopted", drafted_on=new.drafted_on, reviewed_on=new.reviewed_on,
        adopted_on=TODAY, adoption_instrument="council_resolution", instrument_reference="R-1",
        notes="", has_statement_of_need=True, has_objectives=True,
        has_needs_and_vulnerabilities=True, has_activities=True, has_referral_pathways=True,
        has_post_incident_response=True, has_monitoring=True,
    )  # fmt: skip
    changed = services.framework_update(actor=staff_user, city=city, version_id=new.pk, data=data)
    assert "status" in changed
    old.refresh_from_db()
    elsewhere.refresh_from_db()
    assert old.status == FrameworkStatus.SUPERSEDED
    assert old.adopted_on == date(2025, 2, 1)  # it was adopted, and says when
    assert elsewhere.status == FrameworkStatus.ADOPTED
    event = AuditEvent.objects.get(action=AuditAction.FRAMEWORK_CHANGED)
    assert event.detail["superseded"] == [old.pk]


def test_an_adopted_version_cannot_step_back(city, staff_user):
    version = FrameworkVersion.objects.create(
        city=city, number=1, title="F", status="adopted", drafted_on=date(2025, 1, 1),
        adopted_on=date(2025, 2, 1), adoption_instrument="executive_order",
    )  # fmt: skip
    data = FrameworkData(
        title="F", status="draft", drafted_on=date(2025, 1, 1), reviewed_on=None,
        adopted_on=None, adoption_instrument="", instrument_reference="", notes="",
        has_statement_of_need=False, has_objectives=False, has_needs_and_vulnerabilities=False,
        has_activities=False, has_referral_pathways=False, has_post_incident_response=False,
        has_monitoring=False,
    )  # fmt: skip
    with pytest.raises(ProgressError):
        services.framework_update(actor=staff_user, city=city, version_id=version.pk, data=data)
    version.refresh_from_db()
    assert version.status == "adopted"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "values, message",
    [
        ({"drafted_on": (TODAY + timedelta(days=1)).isoformat()}, "drafting date is in the future"),
        ({"status": "reviewed", "reviewed_on": "2020-01-01"}, "review date is before the drafting"),
        ({"adopted_on": TODAY.isoformat()}, "Only an adopted version has an adoption date"),
        ({"title": ""}, "This field is required"),
        ({"status": "superseded"}, "Select a valid choice"),
    ],
)  # fmt: skip
def test_bad_framework_input_changes_nothing(client, city, coordinator, values, message):
    response = client.post(new_url(city), form(**values))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FrameworkVersion.objects.exists()
    assert not AuditEvent.objects.exists()


def test_editing_a_version_of_another_city_is_404(client, city, other_city, coordinator):
    theirs = FrameworkVersion.objects.create(
        city=other_city, number=1, title="Theirs", drafted_on=TODAY
    )
    url = reverse("city_framework_edit", kwargs={"slug": city.slug, "pk": theirs.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, form(title="Changed")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"
    document = reverse("city_framework_document", kwargs={"slug": city.slug, "pk": theirs.pk})
    assert client.get(document).status_code == 404


def test_the_document_is_stored_downloaded_privately_and_audited(client, city, coordinator):
    response = client.post(new_url(city), form(file=pdf_upload("Our framework.pdf")))
    assert response.status_code == 302
    version = FrameworkVersion.objects.get()
    assert version.document_name == "Our framework.pdf"
    url = reverse("city_framework_document", kwargs={"slug": city.slug, "pk": version.pk})
    download = client.get(url)
    assert download.status_code == 200
    assert download["Cache-Control"] == "no-store"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    event = AuditEvent.objects.get(action=AuditAction.PROGRESS_DOCUMENT_DOWNLOADED)
    assert event.detail["kind"] == "framework_document"


def test_a_non_pdf_document_is_refused(client, city, coordinator):
    fake = SimpleUploadedFile("framework.pdf", b"<html>", content_type="application/pdf")
    response = client.post(new_url(city), form(file=fake))
    assert response.status_code == 200
    assert "not a PDF" in response.content.decode()
    assert not FrameworkVersion.objects.exists()


def test_the_form_suggests_the_instrument_of_the_citys_government(client, coordinator):
    assert suggested_instrument(factories.city(form_of_government="mayor_council")) == (
        "council_resolution"
    )
    assert suggested_instrument(factories.city(form_of_government="council_manager")) == (
        "city_manager_directive"
    )
    stamford = factories.city(
        form_of_government="strong_mayor_council",
        government_notes="40-member Board of Representatives",
    )
    assert suggested_instrument(stamford) == "board_resolution"
    chattanooga = factories.city(form_of_government="strong_mayor_council")
    assert suggested_instrument(chattanooga) == "executive_order"
    client.force_login(factories.coordinator(stamford))
    page = client.get(new_url(stamford)).content.decode()
    assert "Board of Representatives resolution" in page


def test_the_framework_page_shows_components_in_words(client, city, coordinator):
    FrameworkVersion.objects.create(
        city=city, number=1, title="F", drafted_on=TODAY, has_monitoring=True
    )
    page = client.get(reverse("city_framework", kwargs={"slug": city.slug})).content.decode()
    assert page.count("Covered") == 1
    assert page.count("Missing") == 6
    assert "<caption>" in page


def test_the_framework_page_queries_do_not_grow_with_versions(client, city, coordinator):
    url = reverse("city_framework", kwargs={"slug": city.slug})
    FrameworkVersion.objects.create(city=city, number=1, title="F", drafted_on=TODAY)
    one = page_queries(client, url)
    for n in range(2, 12):
        FrameworkVersion.objects.create(city=city, number=n, title="F", drafted_on=TODAY)
    assert page_queries(client, url) == one
