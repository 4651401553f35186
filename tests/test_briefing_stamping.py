"""Downloads of briefing attachments: AMBER, AMBER+STRICT and RED copies stamped with the
reader's name and the marking on every page (read back with pypdf); CLEAR and GREEN served
as stored; every download audited; nobody outside the audience gets a file."""

from datetime import date
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from audit.models import AuditAction, AuditEvent
from briefings.models import TLP, BriefingAttachment
from briefings.services import briefing_publish, briefing_withdraw
from briefings.stamping import StampError, stamp_pdf, stamp_text
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Attachments written by these tests go to a scratch folder, not the project's var/.
    settings.MEDIA_ROOT = tmp_path / "media"


def _pdf(pages: int = 3, *, rotate_second: bool = False, password: str | None = None) -> bytes:
    """A small PDF with some text of its own on each page (pypdf only)."""
    writer = PdfWriter()
    for number in range(pages):
        page = writer.add_blank_page(width=595, height=842)
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 12 Tf 72 700 Td (Original page {number + 1}) Tj ET".encode())
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Times-Roman"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        page[NameObject("/Contents")] = writer._add_object(content)
        if rotate_second and number == 1:
            page.rotate(90)
    if password:
        writer.encrypt(password)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _attach(briefing, content: bytes, name: str = "Situation report.pdf") -> BriefingAttachment:
    attachment = BriefingAttachment(
        briefing=briefing,
        original_name=name,
        size_bytes=len(content),
        sha256="0" * 64,
        uploaded_by=briefing.author,
    )
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment


def _published_with_file(author, content: bytes | None = None, **audience):
    briefing = factories.briefing(author, **audience)
    attachment = _attach(briefing, content or _pdf())
    briefing_publish(actor=author, briefing_id=briefing.pk)
    briefing.refresh_from_db()
    return briefing, attachment


def _url(briefing, attachment) -> str:
    return reverse(
        "briefing_attachment",
        kwargs={"briefing_id": briefing.pk, "attachment_id": attachment.pk},
    )


def _download(client, briefing, attachment):
    response = client.get(_url(briefing, attachment))
    assert response.status_code == 200, response.status_code
    return response, b"".join(response.streaming_content)


def _pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(content)).pages]


# --- The stamp itself ------------------------------------------------------------------------


def test_the_stamp_is_on_every_page_top_and_bottom_and_in_the_metadata():
    text = stamp_text(tlp="RED", name="Dana Reyes", email="dana@example.org", on=date(2026, 3, 2))
    assert text == "TLP:RED · Issued to Dana Reyes (dana@example.org) · 2026-03-02"
    stamped = stamp_pdf(
        _pdf(4, rotate_second=True),
        tlp="RED",
        name="Dana Reyes",
        email="dana@example.org",
        on=date(2026, 3, 2),
    )
    reader = PdfReader(BytesIO(stamped))
    assert len(reader.pages) == 4
    for number, page_text in enumerate(_pages_text(stamped), start=1):
        assert page_text.count(text) == 2, page_text  # header and footer
        assert f"Original page {number}" in page_text  # the page's own text survives
    assert reader.metadata["/TLP"] == "TLP:RED"
    assert "Dana Reyes" in reader.metadata["/Subject"]


def test_names_with_brackets_and_letters_outside_latin_1_do_not_break_the_stamp():
    stamped = stamp_pdf(
        _pdf(1),
        tlp="AMBER",
        name="Zoë (O'Brien) \\ Łucja",
        email="z@example.org",
        on=date(2026, 1, 1),
    )
    page_text = _pages_text(stamped)[0]
    assert "TLP:AMBER · Issued to Zoë (O'Brien) \\ ?ucja (z@example.org)" in page_text
    # The metadata keeps the name exactly.
    assert "Łucja" in PdfReader(BytesIO(stamped)).metadata["/IssuedTo"]


@pytest.mark.parametrize(
    "content",
    [b"not a pdf at all", _pdf(1, password="secret")],
    ids=["broken", "password"],
)
def test_a_pdf_that_cannot_be_read_is_refused_not_passed_through(content):
    with pytest.raises(StampError):
        stamp_pdf(content, tlp="AMBER", name="A", email="a@example.org", on=date(2026, 1, 1))


# --- Downloads -------------------------------------------------------------------------------


@pytest.mark.parametrize("tlp", [TLP.AMBER, TLP.RED])
def test_an_amber_or_red_download_is_stamped_with_the_reader_on_every_page_and_audited(
    client, group, member, staff_user, tlp
):
    audience = {"people": [member.person]} if tlp == TLP.RED else {"groups": [group]}
    briefing, attachment = _published_with_file(staff_user, _pdf(3), tlp=tlp, **audience)
    client.force_login(member)
    response, content = _download(client, briefing, attachment)
    person = member.person
    expected = f"TLP:{tlp} · Issued to {person.full_name} ({person.email}) · "
    pages = _pages_text(content)
    assert len(pages) == 3
    for page_text in pages:
        assert page_text.count(expected) == 2
    assert PdfReader(BytesIO(content)).metadata["/TLP"] == f"TLP:{tlp}"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"TLP-{tlp}_Situation report.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=AuditAction.BRIEFING_DOWNLOADED)
    assert event.actor == member
    assert event.detail["tlp"] == tlp and event.detail["stamped"] is True
    assert event.target_id == str(briefing.pk)
    assert event.city_id == group.city_id


def test_an_amber_strict_download_is_stamped(client, city, staff_user):
    school = factories.organisation(city, "Eastside High")
    reader = factories.user(person=factories.person(city, organisation=school))
    briefing, attachment = _published_with_file(
        staff_user, tlp=TLP.AMBER_STRICT, organisations=[school]
    )
    client.force_login(reader)
    response, content = _download(client, briefing, attachment)
    for page_text in _pages_text(content):
        assert f"TLP:AMBER+STRICT · Issued to {reader.person.full_name}" in page_text
    assert response["Content-Disposition"] == (
        'attachment; filename="TLP-AMBER+STRICT_Situation report.pdf"'
    )


def test_a_green_download_is_served_as_stored_and_audited_unstamped(
    client, group, member, staff_user
):
    original = _pdf(2)
    briefing, attachment = _published_with_file(staff_user, original, tlp=TLP.GREEN, groups=[group])
    client.force_login(member)
    response, content = _download(client, briefing, attachment)
    assert content == original
    assert "TLP-GREEN_Situation report.pdf" in response["Content-Disposition"]
    assert "Issued to" not in "".join(_pages_text(content))
    event = AuditEvent.objects.get(action=AuditAction.BRIEFING_DOWNLOADED)
    assert event.detail == {
        "tlp": "GREEN",
        "stamped": False,
        "attachment": attachment.pk,
        "file": "Situation report.pdf",
    }


def test_an_author_without_a_person_record_gets_a_copy_stamped_with_the_account(
    client, group, staff_user
):
    author = factories.briefing_author()
    author.display_name = "Analyst Kim"
    author.save(update_fields=["display_name"])
    briefing, attachment = _published_with_file(author, tlp=TLP.AMBER, groups=[group])
    client.force_login(author)
    _response, content = _download(client, briefing, attachment)
    for page_text in _pages_text(content):
        assert f"TLP:AMBER · Issued to Analyst Kim ({author.email})" in page_text


def test_nobody_outside_the_audience_gets_the_file(client, group, other_city, staff_user):
    briefing, attachment = _published_with_file(staff_user, tlp=TLP.AMBER, groups=[group])
    client.force_login(factories.member_user(factories.group(other_city)))
    assert client.get(_url(briefing, attachment)).status_code == 404
    client.force_login(factories.coordinator(group.city))
    assert client.get(_url(briefing, attachment)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.BRIEFING_DOWNLOADED).exists()


def test_an_attachment_of_another_briefing_is_not_found(client, group, member, staff_user):
    mine, _attachment = _published_with_file(staff_user, tlp=TLP.GREEN, groups=[group])
    _other, theirs = _published_with_file(
        staff_user, tlp=TLP.GREEN, groups=[factories.group(group.city)]
    )
    client.force_login(member)
    assert client.get(_url(mine, theirs)).status_code == 404


def test_a_withdrawn_briefing_s_files_are_gone_for_readers(client, group, member, staff_user):
    briefing, attachment = _published_with_file(staff_user, tlp=TLP.GREEN, groups=[group])
    briefing_withdraw(actor=staff_user, briefing_id=briefing.pk, reason="Outdated.")
    client.force_login(member)
    assert client.get(_url(briefing, attachment)).status_code == 404
    assert (
        "Situation report.pdf"
        not in client.get(reverse("briefing_read", args=[briefing.pk])).content.decode()
    )


def test_an_amber_file_that_cannot_be_stamped_is_not_served(client, group, member, staff_user):
    briefing, attachment = _published_with_file(
        staff_user, b"%PDF-1.4 broken", tlp=TLP.AMBER, groups=[group]
    )
    client.force_login(member)
    response = client.get(_url(briefing, attachment), follow=True)
    assert response.redirect_chain[-1][0] == reverse("briefing_read", args=[briefing.pk])
    assert "could not be prepared for download" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.BRIEFING_DOWNLOADED).exists()


def test_the_read_page_lists_attachments_and_says_copies_are_stamped(
    client, group, member, staff_user
):
    briefing, attachment = _published_with_file(staff_user, tlp=TLP.AMBER, groups=[group])
    client.force_login(member)
    html = client.get(reverse("briefing_read", args=[briefing.pk])).content.decode()
    assert _url(briefing, attachment) in html
    assert "stamped on every page" in html
