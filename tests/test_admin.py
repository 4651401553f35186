"""Every model is in the admin, and every admin page renders."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

PORTAL_APPS = {"stakeholders", "workinggroups", "trainings", "briefings"}
# Guardian's permission rows are managed through the City's "object permissions" page.
NOT_IN_ADMIN = {"cityuserobjectpermission", "citygroupobjectpermission"}


def test_every_portal_model_is_in_the_admin_itself_or_inline():
    inline_models = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    missing = [
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model in apps.get_models()
        if model._meta.app_label in PORTAL_APPS
        and model._meta.model_name not in NOT_IN_ADMIN
        and not model._meta.auto_created
        and model not in admin.site._registry
        and model not in inline_models
    ]
    assert not missing


def test_every_admin_changelist_and_add_page_renders(client, group):
    superuser = factories.user(is_staff=True, is_superuser=True)
    factories.attend(factories.convening(group, days_from_now=-2), group.memberships.first().person)
    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        views = ["changelist"]
        if model_admin.has_add_permission(_request_for(superuser)):
            views.append("add")
        for view in views:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")
            assert client.get(url).status_code == 200, url


def test_the_admin_is_closed_to_people_without_admin_access(client, coordinator_user):
    client.force_login(coordinator_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_the_audit_log_cannot_be_edited_or_deleted_from_the_admin(client, staff_user):
    from audit.models import AuditAction
    from audit.services import audit_record

    event = audit_record(actor=staff_user, action=AuditAction.ROLE_GRANTED)
    superuser = factories.user(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(change, {"action": "role.revoked"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == AuditAction.ROLE_GRANTED


def test_changes_to_people_and_roles_in_the_admin_are_audited(client, group, coordinator_user):
    from audit.models import AuditAction, AuditEvent

    superuser = factories.user(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    person = group.memberships.first().person
    url = reverse("admin:stakeholders_person_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    values = {name: form[name].value() for name in form.fields}
    # Many-to-many fields post a list (empty: none chosen); other empty values post "".
    data = {name: v if isinstance(v, list) else (v or "") for name, v in values.items()}
    data.update(full_name="Renamed Person", consent_to_contact="")
    assert client.post(url, data).status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.PERSON_CHANGED)
    assert event.detail == {"fields": ["full_name"]}

    url = reverse("admin:stakeholders_user_change", args=[coordinator_user.pk])
    form = client.get(url).context["adminform"].form
    data = {
        "email": coordinator_user.email,
        "is_network_staff": "on",
        "is_active": "on",
        "date_joined_0": coordinator_user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": coordinator_user.date_joined.strftime("%H:%M:%S"),
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert event.detail == {"role": "is_network_staff"}
