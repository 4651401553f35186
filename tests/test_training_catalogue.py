"""The training module catalogue: the list and a module's page, staff's editing (prerequisites
that may not go round in a circle, PDFs checked as briefing attachments are, links, TLP
markings), opening materials under TLP, and completing a module at one's own pace."""

import hashlib
import io
import zoneinfo
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from audit.models import AuditAction, AuditEvent
from tests import factories
from tests.querycount import page_queries
from trainings import catalogue_services
from trainings.models import (
    Completion,
    MaterialRead,
    ModuleMaterial,
    TrainingModule,
    TrainingSession,
)
from workinggroups.models import Convening

pytestmark = pytest.mark.django_db


def _module(title: str, **extra) -> TrainingModule:
    slug = extra.pop("slug", title.lower().replace(" ", "-"))
    return TrainingModule.objects.create(
        slug=slug,
        title=title,
        summary=extra.pop("summary", f"About {title.lower()}."),
        objectives=extra.pop("objectives", "Name the first thing\nExplain the second thing"),
        duration_minutes=extra.pop("duration_minutes", 60),
        **extra,
    )


def _pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _file_material(module, tlp="GREEN", title="Reading", position=0) -> ModuleMaterial:
    material = ModuleMaterial(
        module=module,
        title=title,
        kind="file",
        tlp=tlp,
        original_name="reading.pdf",
        size_bytes=1,
        sha256="0" * 64,
        position=position,
    )
    material.file.save("reading.pdf", ContentFile(_pdf()), save=False)
    material.save()
    return material


def _link(module, tlp="CLEAR", title="Toolkit chapter", position=0) -> ModuleMaterial:
    return ModuleMaterial.objects.create(
        module=module,
        title=title,
        kind="link",
        tlp=tlp,
        url="https://example.org/toolkit",
        position=position,
    )


def _session(group, module, *, days_from_now=7, **extra) -> TrainingSession:
    convening = factories.convening(
        group, days_from_now=days_from_now, kind=Convening.Kind.TRAINING, **extra
    )
    session = TrainingSession.objects.create(convening=convening)
    session.modules.add(module)
    return session


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _module_url(module) -> str:
    return reverse("training_module", kwargs={"slug": module.slug})


def _material_url(material) -> str:
    return reverse("training_material", kwargs={"material_id": material.pk})


# --- The catalogue ----------------------------------------------------------------------------


def test_the_catalogue_lists_foundational_modules_first_with_level_duration_and_objectives(
    client, member
):
    basics = _module("Social cohesion and safety", is_foundational=True, prevention_level="primary")
    advanced = _module("Advanced referral pathways", duration_minutes=120)
    advanced.prerequisites.add(basics)
    client.force_login(member)

    html = client.get(reverse("training_modules")).content.decode()

    assert html.index("Social cohesion and safety") < html.index("Advanced referral pathways")
    assert "Primary (before harm)" in html
    assert "120 minutes" in html
    assert "Explain the second thing" in html
    assert "Foundational" in html
    assert "Not completed yet" in html


def test_the_catalogue_page_queries_do_not_grow_with_modules(client, member):
    client.force_login(member)
    first = _module("Module 0", refresher_months=12)
    Completion.objects.create(person=member.person, module=first, method="self_paced")
    url = reverse("training_modules")
    one = page_queries(client, url)
    for n in range(1, 30):
        module = _module(f"Module {n}", is_foundational=n % 2 == 0, refresher_months=6)
        module.prerequisites.add(first)
        Completion.objects.create(person=member.person, module=module, method="self_paced")

    assert page_queries(client, url) == one


def test_staff_without_a_person_record_see_the_catalogue_and_the_add_link(client, staff_user):
    _module("Stakeholder identification")
    client.force_login(staff_user)

    html = client.get(reverse("training_modules")).content.decode()

    assert "Stakeholder identification" in html
    assert reverse("training_module_create") in html


# --- A module's page --------------------------------------------------------------------------


def test_a_module_page_shows_objectives_prerequisites_and_open_materials_only(
    client, member, group
):
    basics = _module("Social cohesion and safety")
    module = _module("Needs and vulnerabilities", refresher_months=12)
    module.prerequisites.add(basics)
    green = _file_material(module, tlp="GREEN", title="Green reading")
    amber = _file_material(module, tlp="AMBER", title="Amber case notes", position=1)
    client.force_login(member)

    html = client.get(_module_url(module)).content.decode()

    assert "Name the first thing" in html
    assert "Social cohesion and safety" in html and "not completed yet" in html
    assert "Green reading" in html and _material_url(green) in html
    assert "Amber case notes" not in html and _material_url(amber) not in html
    assert "Some are open only to people invited to a session of this module." in html


def test_a_person_invited_to_a_session_of_the_module_sees_its_amber_materials(
    client, member, group
):
    module = _module("Needs and vulnerabilities")
    amber = _file_material(module, tlp="AMBER", title="Amber case notes")
    session = _session(group, module)
    factories.invite(session.convening, member.person)
    client.force_login(member)

    html = client.get(_module_url(module)).content.decode()

    assert "Amber case notes" in html and _material_url(amber) in html


def test_a_module_page_lists_upcoming_sessions_in_the_viewers_city_only(
    client, member, group, other_city
):
    module = _module("Social cohesion and safety")
    soon = _session(group, module, days_from_now=3, title="Cohesion training, spring")
    _session(group, module, days_from_now=-3, title="Cohesion training, last week")
    cancelled = _session(group, module, days_from_now=5, title="Cohesion training, cancelled")
    Convening.objects.filter(pk=cancelled.convening_id).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    _session(factories.group(other_city), module, title="Cohesion training in Stamford")
    factories.invite(soon.convening, member.person)
    client.force_login(member)

    html = client.get(_module_url(module)).content.decode()

    assert "Cohesion training, spring" in html
    assert "you are invited" in html
    assert "last week" not in html and "cancelled" not in html and "Stamford" not in html
    # Times are shown in the city's zone with its abbreviation.
    assert "MST" in html or "MDT" in html


def test_a_module_page_tells_a_person_their_completion_and_refresher_date(client, member):
    module = _module("The landscape of hate and extremism", refresher_months=12)
    completed_on = timezone.localdate() - timedelta(days=400)
    Completion.objects.create(
        person=member.person, module=module, method="self_paced", completed_on=completed_on
    )
    client.force_login(member)

    html = client.get(_module_url(module)).content.decode()

    assert "at your own pace" in html
    assert "Refresher overdue since" in html


def test_an_unknown_module_is_not_found(client, member):
    client.force_login(member)
    assert client.get(reverse("training_module", kwargs={"slug": "nothing"})).status_code == 404


# --- Keeping the catalogue --------------------------------------------------------------------


def _module_form(**overrides) -> dict:
    data = {
        "title": "Post-incident response",
        "slug": "",
        "summary": "What a city does in the days after a hate incident.",
        "objectives": "Name the first steps\n\n  Say who speaks for the city  \n",
        "duration_minutes": "90",
        "prevention_level": "tertiary",
        "is_foundational": "on",
        "refresher_months": "24",
    }
    data.update(overrides)
    return data


def test_staff_add_a_module_and_the_change_is_audited(client, staff_user):
    basics = _module("Social cohesion and safety")
    client.force_login(staff_user)

    response = client.post(
        reverse("training_module_create"), _module_form(prerequisites=[basics.pk])
    )

    module = TrainingModule.objects.get(title="Post-incident response")
    assert response.status_code == 302
    assert response["Location"] == reverse("training_module_edit", kwargs={"slug": module.slug})
    assert module.slug == "post-incident-response"
    assert module.objective_list == ["Name the first steps", "Say who speaks for the city"]
    assert module.prevention_level == "tertiary" and module.is_foundational
    assert module.refresher_months == 24
    assert list(module.prerequisites.all()) == [basics]
    event = AuditEvent.objects.get(action=AuditAction.TRAINING_MODULE_CHANGED)
    assert event.detail["change"] == "created" and event.actor == staff_user


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "Social cohesion and safety"}, "Another module already has this title."),
        ({"slug": "new"}, "This web address is taken by a page"),
        ({"objectives": "  \n "}, "This field is required."),
        ({"duration_minutes": "0"}, "greater than or equal to 1"),
    ],
    ids=["duplicate-title", "reserved-slug", "no-objectives", "zero-minutes"],
)
def test_a_module_with_bad_input_is_refused_with_a_clear_message(
    client, staff_user, overrides, message
):
    _module("Social cohesion and safety")
    client.force_login(staff_user)

    response = client.post(reverse("training_module_create"), _module_form(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert TrainingModule.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_prerequisites_that_would_go_round_in_a_circle_are_refused(client, staff_user):
    first = _module("First steps")
    second = _module("Second steps")
    third = _module("Third steps")
    second.prerequisites.add(first)
    third.prerequisites.add(second)
    client.force_login(staff_user)

    response = client.post(
        reverse("training_module_edit", kwargs={"slug": first.slug}),
        _module_form(
            title=first.title,
            summary=first.summary,
            objectives=first.objectives,
            prerequisites=[third.pk],
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "would go round in a circle" in html
    assert "“First steps” → “Third steps” → “Second steps” → “First steps”" in html
    assert not first.prerequisites.exists()
    first.refresh_from_db()
    assert first.duration_minutes == 60  # nothing else was saved either
    assert not AuditEvent.objects.exists()


def test_a_module_is_not_offered_as_its_own_prerequisite(client, staff_user):
    module = _module("First steps")
    client.force_login(staff_user)

    response = client.post(
        reverse("training_module_edit", kwargs={"slug": module.slug}),
        _module_form(title=module.title, prerequisites=[module.pk]),
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not module.prerequisites.exists()


def test_the_service_refuses_a_circle_too(staff_user):
    first = _module("First steps")
    second = _module("Second steps")
    second.prerequisites.add(first)
    data = catalogue_services.ModuleData(
        title=first.title,
        summary=first.summary,
        objectives=first.objectives,
        duration_minutes=60,
        prevention_level="",
        is_foundational=False,
        refresher_months=None,
        prerequisite_ids=frozenset({second.pk}),
    )

    with pytest.raises(catalogue_services.TrainingError) as refused:
        catalogue_services.module_update(actor=staff_user, module_id=first.pk, data=data)

    assert "circle" in refused.value.messages[0]
    assert not first.prerequisites.exists()


def test_staff_change_a_module_and_the_changed_fields_are_audited(client, staff_user):
    module = _module("First steps", slug="first-steps")
    client.force_login(staff_user)

    response = client.post(
        reverse("training_module_edit", kwargs={"slug": module.slug}),
        _module_form(title="First steps", slug="ignored", duration_minutes="45"),
    )

    assert response.status_code == 302
    module.refresh_from_db()
    assert module.duration_minutes == 45
    assert module.slug == "first-steps"  # the address does not change
    event = AuditEvent.objects.get(action=AuditAction.TRAINING_MODULE_CHANGED)
    assert "duration_minutes" in event.detail["fields"]


def test_saving_a_module_unchanged_writes_no_audit_entry(client, staff_user):
    module = _module("First steps", prevention_level="primary")
    client.force_login(staff_user)
    form = {
        "title": module.title,
        "summary": module.summary,
        "objectives": module.objectives,
        "duration_minutes": "60",
        "prevention_level": "primary",
        "refresher_months": "",
    }

    response = client.post(reverse("training_module_edit", kwargs={"slug": module.slug}), form)

    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_members_and_coordinators_may_not_edit_the_catalogue(client, member, coordinator_user):
    module = _module("First steps")
    for account in (member, coordinator_user):
        client.force_login(account)
        response = client.post(
            reverse("training_module_edit", kwargs={"slug": module.slug}),
            _module_form(title="Changed"),
        )
        assert response.status_code == 403
    assert TrainingModule.objects.get().title == "First steps"


# --- Materials: adding and removing -----------------------------------------------------------


def _add_material(client, module, **data):
    return client.post(reverse("training_material_add", kwargs={"slug": module.slug}), data)


def test_staff_attach_a_pdf_with_its_marking_hash_and_a_safe_name(client, staff_user):
    module = _module("First steps")
    client.force_login(staff_user)
    content = _pdf()

    response = _add_material(
        client,
        module,
        title="Worksheet",
        tlp="AMBER",
        file=SimpleUploadedFile('..\\evil "notes".PDF', content, content_type="application/pdf"),
    )

    assert response.status_code == 302
    material = ModuleMaterial.objects.get()
    assert material.kind == "file" and material.tlp == "AMBER"
    assert material.sha256 == hashlib.sha256(content).hexdigest()
    assert material.original_name == "evil _notes_.pdf"
    assert material.added_by == staff_user
    with material.file.open("rb") as stored:
        assert stored.read() == content
    event = AuditEvent.objects.get(action=AuditAction.TRAINING_MODULE_CHANGED)
    assert event.detail["change"] == "material added" and event.detail["tlp"] == "AMBER"


def test_staff_add_a_link_after_the_existing_materials(client, staff_user):
    module = _module("First steps")
    _link(module, position=4)
    client.force_login(staff_user)

    response = _add_material(
        client, module, title="Video", tlp="CLEAR", url="https://example.org/video"
    )

    assert response.status_code == 302
    added = ModuleMaterial.objects.get(title="Video")
    assert added.kind == "link" and added.position == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "X", "tlp": "GREEN"}, "Give either a PDF file or a link"),
        (
            {"title": "X", "tlp": "GREEN", "url": "https://example.org/", "pdf": True},
            "Give either a PDF file or a link",
        ),
        ({"title": "X", "url": "https://example.org/"}, "This field is required"),
        ({"title": "X", "tlp": "PURPLE", "url": "https://example.org/"}, "Select a valid choice"),
        ({"title": "X", "tlp": "GREEN", "url": "javascript:alert(1)"}, "Enter a valid URL"),
        (
            {"title": "X", "tlp": "GREEN", "file": ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 50)},
            "is not a PDF",
        ),
        ({"title": "X", "tlp": "GREEN", "file": ("notes.txt", b"%PDF-1.4 x")}, "must end in .pdf"),
        (
            {"title": "X", "tlp": "GREEN", "file": ("broken.pdf", b"%PDF-1.4\n garbage")},
            "cannot be opened",
        ),
    ],
    ids=[
        "neither",
        "both",
        "no-marking",
        "unknown-marking",
        "script-link",
        "renamed-png",
        "wrong-extension",
        "damaged",
    ],
)
def test_materials_of_the_wrong_kind_are_refused_with_a_clear_message(
    client, staff_user, data, message
):
    module = _module("First steps")
    client.force_login(staff_user)
    data = dict(data)
    if data.pop("pdf", False):
        data["file"] = SimpleUploadedFile("a.pdf", _pdf(), content_type="application/pdf")
    if isinstance(data.get("file"), tuple):
        name, content = data["file"]
        data["file"] = SimpleUploadedFile(name, content, content_type="application/pdf")

    response = _add_material(client, module, **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ModuleMaterial.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_material_file_over_the_limit_is_refused(client, staff_user, settings):
    settings.BRIEFING_ATTACHMENT_MAX_BYTES = 1024
    module = _module("First steps")
    client.force_login(staff_user)

    response = _add_material(
        client,
        module,
        title="Big",
        tlp="GREEN",
        file=SimpleUploadedFile("big.pdf", _pdf(pages=40), content_type="application/pdf"),
    )

    assert response.status_code == 413
    assert "The file is too large" in response.content.decode()
    assert not ModuleMaterial.objects.exists()


def test_the_material_upload_still_checks_the_csrf_token(staff_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    module = _module("First steps")

    response = _add_material(
        client,
        module,
        title="Worksheet",
        tlp="GREEN",
        file=SimpleUploadedFile("a.pdf", _pdf(), content_type="application/pdf"),
    )

    assert response.status_code == 403
    assert not ModuleMaterial.objects.exists()


def test_staff_remove_a_material_and_its_file_goes_after_commit(
    client, staff_user, django_capture_on_commit_callbacks
):
    module = _module("First steps")
    material = _file_material(module)
    stored = material.file.name
    storage = material.file.storage
    client.force_login(staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(
                "training_material_remove",
                kwargs={"slug": module.slug, "material_id": material.pk},
            )
        )

    assert response.status_code == 302
    assert not ModuleMaterial.objects.exists()
    assert not storage.exists(stored)
    event = AuditEvent.objects.get(action=AuditAction.TRAINING_MODULE_CHANGED)
    assert event.detail["change"] == "material removed"


def test_removing_another_modules_material_is_not_found(client, staff_user):
    module = _module("First steps")
    other = _link(_module("Second steps"))
    client.force_login(staff_user)

    response = client.post(
        reverse("training_material_remove", kwargs={"slug": module.slug, "material_id": other.pk})
    )

    assert response.status_code == 404
    assert ModuleMaterial.objects.filter(pk=other.pk).exists()


# --- Materials: opening -----------------------------------------------------------------------


def test_opening_a_link_redirects_and_records_the_read_once(client, member):
    module = _module("First steps")
    link = _link(module)
    client.force_login(member)

    first = client.get(_material_url(link))
    client.get(_material_url(link))

    assert first.status_code == 302 and first["Location"] == "https://example.org/toolkit"
    assert MaterialRead.objects.filter(material=link, person=member.person).count() == 1
    # Opening a CLEAR material is not a restricted download: nothing to audit.
    assert not AuditEvent.objects.exists()


def test_a_green_pdf_is_served_as_stored_to_any_signed_in_user(client, other_coordinator):
    module = _module("First steps")
    material = _file_material(module, tlp="GREEN")
    with material.file.open("rb") as stored:
        content = stored.read()
    client.force_login(other_coordinator)

    response = client.get(_material_url(material))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert "TLP-GREEN_reading.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"


def test_an_amber_pdf_is_stamped_with_the_readers_name_and_the_download_audited(
    client, member, group
):
    module = _module("First steps")
    material = _file_material(module, tlp="AMBER")
    session = _session(group, module, days_from_now=-2)
    factories.attend(session.convening, member.person)
    client.force_login(member)

    response = client.get(_material_url(material))

    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert reader.metadata["/TLP"] == "TLP:AMBER"
    assert member.person.full_name in reader.metadata["/IssuedTo"]
    event = AuditEvent.objects.get(action=AuditAction.TRAINING_MATERIAL_DOWNLOADED)
    assert event.detail["training_material"] == material.pk
    assert event.detail["stamped"] is True
    assert event.city == member.person.city
    assert MaterialRead.objects.filter(material=material, person=member.person).exists()


def test_a_red_material_does_not_exist_for_a_member_never_at_a_session(client, member, group):
    module = _module("First steps")
    material = _file_material(module, tlp="RED")
    _session(group, module)  # a session the member was not invited to
    client.force_login(member)

    assert client.get(_material_url(material)).status_code == 404
    assert not MaterialRead.objects.exists()
    assert not AuditEvent.objects.exists()


def test_staff_without_a_person_record_open_a_restricted_material_and_it_is_audited(
    client, staff_user
):
    module = _module("First steps")
    link = _link(module, tlp="AMBER+STRICT")
    client.force_login(staff_user)

    response = client.get(_material_url(link))

    assert response.status_code == 302
    assert not MaterialRead.objects.exists()
    assert AuditEvent.objects.get().action == AuditAction.TRAINING_MATERIAL_DOWNLOADED


def test_an_amber_pdf_that_cannot_be_stamped_is_not_served(client, staff_user):
    module = _module("First steps")
    material = _file_material(module, tlp="AMBER")
    material.file.save("broken.pdf", ContentFile(b"%PDF-1.4 broken"), save=True)
    client.force_login(staff_user)

    response = client.get(_material_url(material))

    assert response.status_code == 302
    assert response["Location"] == _module_url(module)
    assert not AuditEvent.objects.exists()


# --- Self-paced completion --------------------------------------------------------------------


def _complete(client, module):
    return client.post(
        reverse("training_module_complete", kwargs={"slug": module.slug}), follow=True
    )


def test_a_module_with_unread_materials_cannot_be_completed(client, member):
    module = _module("First steps")
    read = _link(module, title="Chapter one")
    _link(module, title="Chapter two", position=1)
    MaterialRead.objects.create(material=read, person=member.person)
    client.force_login(member)

    response = _complete(client, module)

    assert any("Still unread: “Chapter two”." in text for text in _messages(response))
    assert not Completion.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_module_whose_prerequisites_are_not_done_cannot_be_completed(client, member):
    basics = _module("Social cohesion and safety")
    module = _module("First steps")
    module.prerequisites.add(basics)
    link = _link(module)
    MaterialRead.objects.create(material=link, person=member.person)
    client.force_login(member)

    response = _complete(client, module)

    assert any(
        "Complete its prerequisites first: “Social cohesion and safety”." in text
        for text in _messages(response)
    )
    assert not Completion.objects.exists()


def test_a_module_without_materials_cannot_be_completed_at_ones_own_pace(client, member):
    module = _module("First steps")
    client.force_login(member)

    response = _complete(client, module)

    assert any("attend a session instead" in text for text in _messages(response))
    assert not Completion.objects.exists()


def test_reading_every_material_then_completing_records_a_self_paced_completion_once(client, group):
    far_east = factories.city("Kiritimati", time_zone="Pacific/Kiritimati")
    account = factories.member_user(factories.group(far_east))
    basics = _module("Social cohesion and safety")
    Completion.objects.create(person=account.person, module=basics, method="self_paced")
    module = _module("First steps")
    module.prerequisites.add(basics)
    link = _link(module)
    pdf = _file_material(module, position=1)
    client.force_login(account)
    client.get(_material_url(link))
    client.get(_material_url(pdf))

    response = _complete(client, module)
    again = _complete(client, module)

    completion = Completion.objects.get(module=module)
    assert completion.method == "self_paced" and completion.session is None
    # Dated today in the person's own city, not in UTC or the server's zone.
    assert completion.completed_on == timezone.localdate(
        timezone=zoneinfo.ZoneInfo("Pacific/Kiritimati")
    )
    assert any("the module is in your training record" in t for t in _messages(response))
    assert any("already completed this module today" in t for t in _messages(again))
    event = AuditEvent.objects.get(action=AuditAction.TRAINING_COMPLETED)
    assert event.city == far_east and event.detail["method"] == "self_paced"


def test_an_account_without_a_person_record_cannot_complete_a_module(client, staff_user):
    module = _module("First steps")
    _link(module)
    client.force_login(staff_user)

    response = client.post(reverse("training_module_complete", kwargs={"slug": module.slug}))

    assert response.status_code == 403
    assert not Completion.objects.exists()
