"""Writing landscape briefings: the form, the TLP audience rules, PDFs, publishing, previews."""

import hashlib
import io
import os
import zoneinfo
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from audit.models import AuditAction, AuditEvent
from briefings import authoring_services
from briefings.audience import audience_of
from briefings.authoring_services import BriefingData
from briefings.models import TLP, BriefingAttachment, Delivery, LandscapeBriefing
from briefings.services import BriefingError, briefing_publish
from stakeholders.models import Leg, LocalMoment
from tests import factories
from tests.querycount import page_queries

pytestmark = pytest.mark.django_db

Status = LandscapeBriefing.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Uploaded PDFs land in a throw-away folder, never in the repository's var/.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def author(db):
    return factories.briefing_author()


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def _form(**overrides) -> dict:
    data = {
        "title": "Online hate around the school-board election",
        "summary": "What working groups should know before the vote.",
        "body_markdown": "## What we see\n\nSocial cohesion and safety in the city.",
        "tlp": "GREEN",
        "review_by": "",
        "audience_people": "",
    }
    data.update(overrides)
    return data


def _pdf(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Creating and changing ------------------------------------------------------------------


def test_author_writes_a_green_briefing_for_a_group_and_it_is_saved_as_a_draft(
    author_client, author, group
):
    moment = LocalMoment.objects.create(
        city=group.city,
        title="School-board election",
        kind="election",
        starts_on=timezone.localdate() + timedelta(days=30),
    )
    response = author_client.post(
        reverse("briefing_create"),
        _form(
            audience_groups=[group.pk],
            audience_legs=[Leg.COMMUNITY, Leg.CITY_STAFF],
            local_moments=[moment.pk],
            review_by="2030-01-31",
        ),
    )

    briefing = LandscapeBriefing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("briefing_edit", kwargs={"briefing_id": briefing.pk})
    assert briefing.status == Status.DRAFT and briefing.author == author
    assert briefing.tlp == TLP.GREEN and str(briefing.review_by) == "2030-01-31"
    audience = audience_of(briefing)
    assert audience.groups == {group.pk}
    assert audience.legs == {Leg.COMMUNITY, Leg.CITY_STAFF}
    assert list(briefing.local_moments.all()) == [moment]
    event = AuditEvent.objects.get(action=AuditAction.BRIEFING_CREATED)
    assert event.target_id == str(briefing.pk) and event.detail["groups"] == [group.pk]


def test_red_to_a_whole_city_is_refused_with_a_clear_message_and_nothing_saved(author_client, city):
    response = author_client.post(
        reverse("briefing_create"), _form(tlp="RED", audience_cities=[city.pk])
    )

    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "TLP:RED goes to named people only" in errors
    assert "Name at least one recipient" in errors
    assert b"Nothing was saved" in response.content
    assert not LandscapeBriefing.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.BRIEFING_CREATED).exists()


def test_red_to_named_people_is_accepted(author_client, group):
    people = list(group.memberships.select_related("person")[:2])
    emails = "\n".join(m.person.email.upper() for m in people)  # any letter case

    response = author_client.post(
        reverse("briefing_create"), _form(tlp="RED", audience_people=emails)
    )

    assert response.status_code == 302
    briefing = LandscapeBriefing.objects.get()
    assert audience_of(briefing).people == {m.person_id for m in people}


def test_amber_strict_without_organisations_is_refused(author_client, group):
    response = author_client.post(
        reverse("briefing_create"), _form(tlp="AMBER+STRICT", audience_groups=[group.pk])
    )

    errors = " ".join(response.context["form"].non_field_errors())
    assert response.status_code == 200
    assert "choose organisations, not cities or working groups" in errors
    assert "Choose the organisations a TLP:AMBER+STRICT briefing goes to." in errors
    assert not LandscapeBriefing.objects.exists()


def test_amber_strict_refuses_a_named_person_from_another_organisation(author_client, city):
    ours, theirs = factories.organisation(city), factories.organisation(city)
    outsider = factories.person(city, organisation=theirs, full_name="Dana Outside")

    response = author_client.post(
        reverse("briefing_create"),
        _form(tlp="AMBER+STRICT", audience_organisations=[ours.pk], audience_people=outsider.email),
    )

    assert "Dana Outside" in " ".join(response.context["form"].non_field_errors())
    assert not LandscapeBriefing.objects.exists()


def test_showing_to_every_signed_in_user_is_for_clear_only(author_client, group):
    refused = author_client.post(
        reverse("briefing_create"),
        _form(tlp="GREEN", audience_groups=[group.pk], shown_to_all_signed_in="on"),
    )
    assert "Only a TLP:CLEAR briefing may be shown to every signed-in user" in " ".join(
        refused.context["form"].non_field_errors()
    )
    assert not LandscapeBriefing.objects.exists()

    accepted = author_client.post(
        reverse("briefing_create"), _form(tlp="CLEAR", shown_to_all_signed_in="on")
    )
    assert accepted.status_code == 302
    assert LandscapeBriefing.objects.get().shown_to_all_signed_in


def test_an_unknown_address_among_named_people_is_named_in_the_message(author_client):
    response = author_client.post(
        reverse("briefing_create"), _form(tlp="RED", audience_people="nobody@example.org")
    )

    assert "nobody@example.org" in " ".join(response.context["form"]["audience_people"].errors)
    assert not LandscapeBriefing.objects.exists()


def test_raw_html_in_markdown_warns_but_saves(author_client, group):
    response = author_client.post(
        reverse("briefing_create"),
        _form(audience_groups=[group.pk], body_markdown="Hello <b>there</b>"),
        follow=True,
    )

    assert LandscapeBriefing.objects.count() == 1
    assert any("contains HTML; it is removed" in m for m in _messages(response))


def test_saving_suggests_preferred_words_without_blocking(author_client, group):
    response = author_client.post(
        reverse("briefing_create"),
        _form(audience_groups=[group.pk], title="Monthly threat briefing"),
        follow=True,
    )

    assert LandscapeBriefing.objects.count() == 1
    assert any("landscape briefing" in m for m in _messages(response))


def test_author_changes_a_draft_audience(author_client, group, other_city):
    briefing = factories.briefing(tlp="GREEN", groups=[group])
    other_group = factories.group_with_all_legs(other_city, per_leg=1)

    page = author_client.get(reverse("briefing_edit", kwargs={"briefing_id": briefing.pk}))
    assert page.status_code == 200
    assert b"TLP:GREEN" in page.content

    response = author_client.post(
        reverse("briefing_edit", kwargs={"briefing_id": briefing.pk}),
        _form(tlp="AMBER", audience_groups=[other_group.pk], title="Changed title"),
    )

    assert response.status_code == 302
    briefing.refresh_from_db()
    assert briefing.title == "Changed title" and briefing.tlp == TLP.AMBER
    assert audience_of(briefing).groups == {other_group.pk}
    event = AuditEvent.objects.get(action=AuditAction.BRIEFING_CHANGED)
    assert set(event.detail["fields"]) == {"title", "summary", "body_markdown", "audience"}


def test_a_published_briefing_keeps_its_text_and_audience(author_client, author, group, city):
    briefing = factories.briefing(tlp="GREEN", groups=[group])
    briefing_publish(actor=author, briefing_id=briefing.pk)
    original = (briefing.title, briefing.body_markdown)

    # The form no longer takes the text or audience: a tampered POST changes neither...
    response = author_client.post(
        reverse("briefing_edit", kwargs={"briefing_id": briefing.pk}),
        _form(
            title="Rewritten",
            body_markdown="Other words",
            tlp="RED",
            audience_cities=[city.pk],
            review_by="2031-05-01",
        ),
    )
    assert response.status_code == 302
    briefing.refresh_from_db()
    assert (briefing.title, briefing.body_markdown) == original
    assert briefing.tlp == TLP.GREEN and audience_of(briefing).groups == {group.pk}
    assert str(briefing.review_by) == "2031-05-01"  # ...while the review date may change.

    # ...and the service itself refuses, with a message saying what to do instead.
    data = BriefingData(
        title=briefing.title,
        summary=briefing.summary,
        body_markdown="A new body",
        review_by=None,
        local_moment_ids=frozenset(),
        audience=audience_of(briefing),
    )
    with pytest.raises(BriefingError) as refused:
        authoring_services.briefing_update(actor=author, briefing_id=briefing.pk, data=data)
    assert "recipients already have it" in refused.value.messages[0]
    assert "Withdraw it" in refused.value.messages[0]
    briefing.refresh_from_db()
    assert briefing.body_markdown == original[1]


def test_a_briefing_author_without_staff_rights_may_write(client, author):
    client.force_login(author)
    assert client.get(reverse("briefing_create")).status_code == 200
    assert client.get(reverse("briefing_list")).status_code == 200


# --- Markdown safety --------------------------------------------------------------------------


def test_script_and_event_handlers_in_markdown_never_reach_the_preview(author_client, group):
    briefing = factories.briefing(
        tlp="GREEN",
        groups=[group],
        body_markdown=(
            "Hello <script>alert('x')</script>\n\n"
            '<img src="x" onerror="alert(1)">\n\n'
            "[click](javascript:alert(2))"
        ),
    )

    response = author_client.get(reverse("briefing_preview", kwargs={"briefing_id": briefing.pk}))

    assert response.status_code == 200
    tags = _tags(response.content.decode())
    # The page's own scripts are files (htmx); nothing inline, no handler, no javascript: link.
    assert all(attrs.get("src") for tag, attrs in tags if tag == "script")
    assert not [a for _t, attrs in tags for a in attrs if a.startswith("on")]
    assert not [v for _t, attrs in tags for v in attrs.values() if "javascript:" in (v or "")]
    assert "alert(" not in "".join(_text_outside_pre(response.content.decode()))


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.in_pre = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.in_pre += tag == "pre"

    def handle_endtag(self, tag):
        self.in_pre -= tag == "pre"

    def handle_data(self, data):
        if not self.in_pre:
            self.text.append(data)


def _tags(html: str) -> list[tuple[str, dict]]:
    collector = _TagCollector()
    collector.feed(html)
    return collector.tags


def _text_outside_pre(html: str) -> list[str]:
    # The plain-text mail (in <pre>) shows the author's Markdown as typed, escaped: text,
    # not markup. Everywhere else the sanitiser must have removed the script's content.
    collector = _TagCollector()
    collector.feed(html)
    return collector.text


# --- Attachments ------------------------------------------------------------------------------


def _upload(client, briefing, name, content, content_type="application/pdf"):
    return client.post(
        reverse("briefing_attachments", kwargs={"briefing_id": briefing.pk}),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_a_pdf_is_attached_with_its_hash_size_and_a_safe_name(author_client, author, group):
    briefing = factories.briefing(groups=[group])
    content = _pdf()

    response = _upload(author_client, briefing, '..\\evil\x07 "notes".PDF', content)

    assert response.status_code == 302
    attachment = BriefingAttachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.size_bytes == len(content)
    assert attachment.original_name == "evil _notes_.pdf"
    assert attachment.uploaded_by == author
    with attachment.file.open("rb") as stored:
        assert stored.read() == content
    assert AuditEvent.objects.filter(
        action=AuditAction.BRIEFING_CHANGED, detail__change="attachment added"
    ).exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "application/pdf", "is not a PDF"),
        ("notes.txt", b"%PDF-1.4 hello", "application/pdf", "must end in .pdf"),
        ("notes.pdf", b"%PDF-1.4 hello", "text/plain", "this file is not a PDF"),
        ("broken.pdf", b"%PDF-1.4\n garbage garbage", "application/pdf", "cannot be opened"),
        ("locked.pdf", None, "application/pdf", "password-protected"),
    ],
    ids=["renamed-png", "wrong-extension", "wrong-type", "damaged", "encrypted"],
)
def test_files_that_are_not_readable_pdfs_are_refused(
    author_client, group, name, content, content_type, message
):
    briefing = factories.briefing(groups=[group])
    content = content if content is not None else _pdf(password="secret")

    response = _upload(author_client, briefing, name, content, content_type)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BriefingAttachment.objects.exists()


def test_the_upload_page_still_checks_the_csrf_token(author, group):
    # The view sets its own upload handler, which needs the CSRF check moved inside it.
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    briefing = factories.briefing(groups=[group])

    response = _upload(client, briefing, "notes.pdf", _pdf())

    assert response.status_code == 403
    assert not BriefingAttachment.objects.exists()


def test_a_file_over_the_limit_is_refused(author_client, group, settings):
    settings.BRIEFING_ATTACHMENT_MAX_BYTES = 1024
    briefing = factories.briefing(groups=[group])

    response = _upload(author_client, briefing, "big.pdf", _pdf(pages=40))

    assert response.status_code == 413
    assert "The file is too large: attachments may be at most 1.0\xa0KB." in (
        response.content.decode()
    )
    assert not BriefingAttachment.objects.exists()


def test_a_50_megabyte_upload_gets_a_clear_message_not_a_server_error(author_client, group, _media):
    briefing = factories.briefing(groups=[group])
    content = b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024)

    response = _upload(author_client, briefing, "huge.pdf", content)

    assert response.status_code == 413
    assert "The file is too large: attachments may be at most 10.0\xa0MB." in (
        response.content.decode()
    )
    assert not BriefingAttachment.objects.exists()
    assert not _media.exists() or not any(_media.rglob("*.pdf"))


def test_attachments_of_a_published_briefing_do_not_change(author_client, author, group):
    briefing = factories.briefing(groups=[group])
    _upload(author_client, briefing, "notes.pdf", _pdf())
    attachment = BriefingAttachment.objects.get()
    briefing_publish(actor=author, briefing_id=briefing.pk)

    added = _upload(author_client, briefing, "more.pdf", _pdf())
    removed = author_client.post(
        reverse(
            "briefing_attachment_remove",
            kwargs={"briefing_id": briefing.pk, "attachment_id": attachment.pk},
        ),
        follow=True,
    )

    assert added.status_code == 200 and b"Attach a PDF" not in added.content
    assert BriefingAttachment.objects.count() == 1
    assert any("only while the briefing is a draft or scheduled" in m for m in _messages(removed))


def test_author_removes_an_attachment_of_a_draft(
    author_client, group, django_capture_on_commit_callbacks
):
    briefing = factories.briefing(groups=[group])
    _upload(author_client, briefing, "notes.pdf", _pdf())
    attachment = BriefingAttachment.objects.get()
    stored = attachment.file.path

    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(
            reverse(
                "briefing_attachment_remove",
                kwargs={"briefing_id": briefing.pk, "attachment_id": attachment.pk},
            )
        )

    assert response.status_code == 302
    assert not BriefingAttachment.objects.exists()
    assert not os.path.exists(stored)


# --- Publishing, scheduling, withdrawing ------------------------------------------------------


def test_publish_asks_for_confirmation_with_the_recipient_count(author_client, group):
    briefing = factories.briefing(groups=[group])
    expected = group.memberships.count()

    response = author_client.post(reverse("briefing_publish", kwargs={"briefing_id": briefing.pk}))

    assert response.status_code == 200
    assert f"It will be sent to {expected} people now." in response.content.decode()
    briefing.refresh_from_db()
    assert briefing.status == Status.DRAFT and not Delivery.objects.exists()


def test_a_double_publish_queues_each_recipient_once(author_client, group):
    briefing = factories.briefing(groups=[group])
    url = reverse("briefing_publish", kwargs={"briefing_id": briefing.pk})

    first = author_client.post(url, {"confirm": "1"}, follow=True)
    second = author_client.post(url, {"confirm": "1"}, follow=True)

    briefing.refresh_from_db()
    assert briefing.status == Status.PUBLISHED
    assert Delivery.objects.filter(briefing=briefing).count() == group.memberships.count()
    assert any("Published:" in m for m in _messages(first))
    assert any("nothing was sent twice" in m for m in _messages(second))
    assert AuditEvent.objects.filter(action=AuditAction.BRIEFING_PUBLISHED).count() == 1


def test_publishing_an_audience_the_marking_forbids_is_refused(author_client, city):
    briefing = factories.briefing(tlp="RED", cities=[city])

    confirm = author_client.post(reverse("briefing_publish", kwargs={"briefing_id": briefing.pk}))
    publish = author_client.post(
        reverse("briefing_publish", kwargs={"briefing_id": briefing.pk}),
        {"confirm": "1"},
        follow=True,
    )

    assert "TLP:RED goes to named people only" in confirm.content.decode()
    assert any("TLP:RED goes to named people only" in m for m in _messages(publish))
    briefing.refresh_from_db()
    assert briefing.status == Status.DRAFT and not Delivery.objects.exists()


def test_schedule_reads_local_time_in_the_chosen_zone_and_stores_utc(author_client, group):
    briefing = factories.briefing(groups=[group])
    response = author_client.post(
        reverse("briefing_schedule", kwargs={"briefing_id": briefing.pk}),
        {"publish_at": "2030-07-01T09:30", "zone": "America/Denver"},
        follow=True,
    )

    briefing.refresh_from_db()
    assert briefing.status == Status.SCHEDULED
    denver = zoneinfo.ZoneInfo("America/Denver")
    assert briefing.publish_at == datetime(2030, 7, 1, 15, 30, tzinfo=UTC)
    assert briefing.publish_at.astimezone(denver).hour == 9
    assert any("09:30 MDT" in m for m in _messages(response))
    assert not Delivery.objects.exists()

    back = author_client.post(
        reverse("briefing_unschedule", kwargs={"briefing_id": briefing.pk}), follow=True
    )
    briefing.refresh_from_db()
    assert briefing.status == Status.DRAFT and briefing.publish_at is None
    assert any("Back to draft" in m for m in _messages(back))


def test_schedule_refuses_a_past_time_and_a_time_that_does_not_exist(author_client, group):
    briefing = factories.briefing(groups=[group])
    url = reverse("briefing_schedule", kwargs={"briefing_id": briefing.pk})

    past = author_client.post(url, {"publish_at": "2020-01-01T09:00", "zone": "UTC"}, follow=True)
    gap = author_client.post(
        url, {"publish_at": "2030-03-10T02:30", "zone": "America/Denver"}, follow=True
    )
    empty = author_client.post(url, {}, follow=True)

    assert any("Choose a time in the future" in m for m in _messages(past))
    assert any("does not exist in America/Denver" in m for m in _messages(gap))
    assert any("Publish at" in m for m in _messages(empty))
    briefing.refresh_from_db()
    assert briefing.status == Status.DRAFT


def test_withdrawing_needs_a_reason(author_client, author, group):
    briefing = factories.briefing(groups=[group])
    briefing_publish(actor=author, briefing_id=briefing.pk)
    url = reverse("briefing_withdraw", kwargs={"briefing_id": briefing.pk})

    without = author_client.post(url, {"reason": "  "}, follow=True)
    briefing.refresh_from_db()
    assert briefing.status == Status.PUBLISHED
    assert any("Say why the briefing is withdrawn" in m for m in _messages(without))

    with_reason = author_client.post(url, {"reason": "Superseded by the May briefing"}, follow=True)
    briefing.refresh_from_db()
    assert briefing.status == Status.WITHDRAWN
    assert briefing.withdrawal_reason == "Superseded by the May briefing"
    assert any("Withdrawn." in m for m in _messages(with_reason))
    assert not Delivery.objects.filter(briefing=briefing, status="queued").exists()


# --- Preview ----------------------------------------------------------------------------------


def _sections(response) -> tuple[str, str]:
    html = response.content.decode()
    mail = html.split('id="mail-heading"', 1)[1].split('id="page-heading"', 1)[0]
    page = html.split('id="page-heading"', 1)[1]
    return mail, page


def test_preview_of_amber_mail_carries_no_body_but_the_page_does(author_client, group):
    briefing = factories.briefing(
        tlp="AMBER", groups=[group], body_markdown="The secret body paragraph."
    )
    recipient = group.memberships.select_related("person").first().person

    response = author_client.get(
        reverse("briefing_preview", kwargs={"briefing_id": briefing.pk}),
        {"person": recipient.pk},
    )

    assert response.status_code == 200
    assert response.context["person"] == recipient
    mail, page = _sections(response)
    assert briefing.title in mail and briefing.summary in mail
    assert "The secret body paragraph." not in mail
    assert "/briefings/" in mail  # the link to read it signed in
    assert "The secret body paragraph." in page
    assert "TLP:AMBER" in page and "tlp-banner" in page


def test_preview_of_green_mail_carries_the_body(author_client, group):
    briefing = factories.briefing(tlp="GREEN", groups=[group], body_markdown="Body for all.")

    response = author_client.get(reverse("briefing_preview", kwargs={"briefing_id": briefing.pk}))

    mail, _page = _sections(response)
    assert "Body for all." in mail


def test_preview_refuses_someone_outside_the_audience(author_client, group, other_city):
    briefing = factories.briefing(groups=[group])
    outsider = factories.person(other_city)

    response = author_client.get(
        reverse("briefing_preview", kwargs={"briefing_id": briefing.pk}),
        {"person": outsider.pk},
    )

    assert response.status_code == 200
    assert response.context["person"] is None
    assert any("not in this briefing's audience" in m for m in _messages(response))
    assert 'id="mail-heading"' not in response.content.decode()


# --- Terminology (htmx) -----------------------------------------------------------------------


def test_terminology_fragment_suggests_preferred_words_and_warns_of_html(author_client):
    response = author_client.post(
        reverse("briefing_terminology"),
        {"title": "", "summary": "", "body_markdown": "Our threat briefing <span>now</span>"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "landscape briefing" in html
    assert "contains HTML" in html
    assert "<html" not in html  # a fragment, not a page


def test_terminology_fragment_is_empty_for_preferred_words(author_client):
    response = author_client.post(
        reverse("briefing_terminology"), {"body_markdown": "A landscape briefing."}
    )
    assert response.content.decode().strip() == ""


def test_the_form_asks_for_suggestions_as_the_author_types(author_client):
    html = author_client.get(reverse("briefing_create")).content.decode()
    assert 'hx-post="/briefings/terminology/"' in html
    assert "keyup changed delay:600ms from:#id_body_markdown" in html
    assert 'aria-live="polite"' in html


# --- List and guide ---------------------------------------------------------------------------


def test_list_page_queries_do_not_grow_with_briefings(client, staff_user, group):
    client.force_login(staff_user)
    url = reverse("briefing_list")
    factories.briefing(author=staff_user, groups=[group])
    one = page_queries(client, url)
    for n in range(40):
        made = factories.briefing(author=staff_user, groups=[group])
        if n % 3 == 0:
            briefing_publish(actor=staff_user, briefing_id=made.pk)
    many = page_queries(client, url)
    assert one == many
    assert page_queries(client, url + "?status=published&page=1") == one


def test_list_page_filters_by_status_and_pages_by_25(client, staff_user, group):
    client.force_login(staff_user)
    drafts = [factories.briefing(author=staff_user, groups=[group]) for _ in range(27)]
    published = factories.briefing(author=staff_user, groups=[group], title="Out already")
    briefing_publish(actor=staff_user, briefing_id=published.pk)

    first = client.get(reverse("briefing_list"))
    only_published = client.get(reverse("briefing_list"), {"status": "published"})
    second = client.get(reverse("briefing_list"), {"status": "draft", "page": 2})

    assert len(first.context["page"].object_list) == 25
    assert list(only_published.context["page"].object_list) == [published]
    assert len(second.context["page"].object_list) == len(drafts) - 25
    assert "Draft (27)" in first.content.decode()


def test_tlp_guide_explains_every_marking_to_any_signed_in_user(client, member):
    client.force_login(member)
    html = client.get(reverse("tlp_guide")).content.decode()
    for label in ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"):
        assert label in html
    assert "not publicly" in html
    assert "named people only" in html


def test_the_banner_says_the_marking_in_words_not_only_in_colour(author_client, group):
    briefing = factories.briefing(
        tlp="AMBER+STRICT", organisations=[factories.organisation(group.city)]
    )
    html = author_client.get(
        reverse("briefing_edit", kwargs={"briefing_id": briefing.pk})
    ).content.decode()
    assert 'class="tlp-banner tlp-amber-strict"' in html
    assert "TLP:AMBER+STRICT" in html
    assert "within the recipient&#x27;s own organisation, with no one else" in html


@pytest.mark.parametrize("asked", ["abc", "-1", "99999999999999999999999"])
def test_preview_with_a_nonsense_person_id_is_a_message_not_an_error(author_client, group, asked):
    briefing = factories.briefing(groups=[group])

    response = author_client.get(
        reverse("briefing_preview", kwargs={"briefing_id": briefing.pk}), {"person": asked}
    )

    assert response.status_code == 200
    assert any("not in this briefing's audience" in m for m in _messages(response))


def test_a_briefing_keeps_an_old_local_moment_on_its_form(author_client, group):
    old = LocalMoment.objects.create(
        city=group.city,
        title="Anniversary march",
        kind="commemoration",
        starts_on=timezone.localdate() - timedelta(days=900),
    )
    briefing = factories.briefing(groups=[group])
    briefing.local_moments.set([old])

    form = author_client.get(reverse("briefing_edit", kwargs={"briefing_id": briefing.pk})).context[
        "form"
    ]
    fresh = author_client.get(reverse("briefing_create")).context["form"]

    assert old in form.fields["local_moments"].queryset
    assert old not in fresh.fields["local_moments"].queryset
    assert f'<optgroup label="{group.city}">' in str(form["local_moments"])
