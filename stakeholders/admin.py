from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.models import (
    AccountInvitation,
    BudgetLine,
    City,
    CommunityGrant,
    DirectoryImport,
    FocusArea,
    LocalMoment,
    Organisation,
    Person,
    Programme,
    Sector,
    User,
)


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "funder", "starts_on", "ends_on"]


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    # Not guardian's GuardedModelAdmin: coordinators are granted at /roles/, which audits.
    list_display = ["name", "state", "time_zone", "form_of_government", "pilot_status"]
    list_filter = ["pilot_status", "form_of_government"]
    search_fields = ["name", "state"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(LocalMoment)
class LocalMomentAdmin(admin.ModelAdmin):
    list_display = ["title", "city", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]
    search_fields = ["title"]


@admin.register(FocusArea)
class FocusAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ["city", "fiscal_year", "source", "amount"]
    list_filter = ["fiscal_year"]


@admin.register(CommunityGrant)
class CommunityGrantAdmin(admin.ModelAdmin):
    list_display = ["city", "organisation", "fiscal_year", "amount"]
    raw_id_fields = ["organisation"]


@admin.register(DirectoryImport)
class DirectoryImportAdmin(admin.ModelAdmin):
    # Parsed rows hold people's details: read-only here, changed only through the import page.
    list_display = ["file_name", "city", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = [
        "city",
        "created_by",
        "file_name",
        "status",
        "rows",
        "errors",
        "confirmed_at",
    ]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "usual_leg", "recommended", "position"]
    list_filter = ["usual_leg", "recommended"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    # Links typed without a scheme are https (Django 6.0's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "city", "sector"]
    list_filter = ["city"]
    search_fields = ["name"]
    list_select_related = ["city", "sector"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["full_name", "city", "leg", "sector", "organisation"]
    list_filter = ["city", "leg", "sector"]
    search_fields = ["full_name", "email", "organisation__name"]
    list_select_related = ["city", "sector", "organisation"]
    autocomplete_fields = ["organisation"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            # People's details changed from the admin are on record like any other change.
            audit_record(
                actor=request.user,
                action=AuditAction.PERSON_CHANGED,
                request=request,
                city=obj.city,
                target=obj,
                fields=sorted(form.changed_data),
            )


# Fields whose change alters what an account may see; changing them is a role change.
ROLE_FIELDS = ("is_network_staff", "is_briefing_author", "is_staff", "is_superuser", "is_active")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_network_staff", "is_active", "last_login"]
    list_filter = ["is_network_staff", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    autocomplete_fields = ["person"]
    fieldsets = [
        (None, {"fields": ["email", "password", "display_name", "person"]}),
        (
            _("Roles"),
            {
                "fields": [
                    "is_network_staff",
                    "is_briefing_author",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                ]
            },
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal: list[str] = []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed_roles = [field for field in ROLE_FIELDS if field in form.changed_data]
        for field in changed_roles:
            granted = bool(getattr(obj, field))
            action = AuditAction.ROLE_GRANTED if granted else AuditAction.ROLE_REVOKED
            if field == "is_active":
                action = AuditAction.ROLE_GRANTED if granted else AuditAction.ACCOUNT_DISABLED
            audit_record(actor=request.user, action=action, request=request, target=obj, role=field)


@admin.register(AccountInvitation)
class AccountInvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent, re-sent and revoked through the audited pages."""

    list_display = ["person", "created_at", "expires_at", "sent_count", "accepted_at", "revoked_at"]
    list_select_related = ["person"]
    exclude = ["nonce"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
