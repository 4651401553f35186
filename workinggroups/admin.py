from django.contrib import admin
from django.db import models

from workinggroups.models import (
    ActionItem,
    Attendance,
    CalendarFeed,
    CityProgress,
    Convening,
    ConveningMessage,
    ConveningSeries,
    ExistingInitiative,
    FrameworkVersion,
    Invitation,
    Membership,
    MilestoneRecord,
    ProgressReport,
    WorkingGroup,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "kind", "status", "formed_on"]
    list_filter = ["kind", "status", "city"]
    search_fields = ["name"]
    inlines = [MembershipInline]
    filter_horizontal = ["initiatives"]


@admin.register(ExistingInitiative)
class ExistingInitiativeAdmin(admin.ModelAdmin):
    list_display = ["name", "city"]
    list_filter = ["city"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    autocomplete_fields = ["person"]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Convening)
class ConveningAdmin(admin.ModelAdmin):
    # Links typed without a scheme are https (Django 6.0's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "group", "kind", "starts_at", "status"]
    list_filter = ["kind", "status", "group__city"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"
    list_select_related = ["group"]
    inlines = [InvitationInline, AttendanceInline]


@admin.register(ConveningSeries)
class ConveningSeriesAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "group", "rrule", "first_starts_at", "until"]
    list_filter = ["group__city"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["description", "group", "owner", "due_on", "done_at"]
    list_filter = ["group__city"]
    raw_id_fields = ["raised_at", "owner"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the portal writes itself (the outbound ledger, feed tokens): look, don't touch."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConveningMessage)
class ConveningMessageAdmin(ReadOnlyAdmin):
    list_display = ["convening", "person", "kind", "offset_minutes", "due_at", "status", "sent_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["convening", "person"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    list_display = ["person", "created_at", "revoked_at"]
    exclude = ["token"]


# Progress (issue #8): milestones and framework versions are changed in the portal, where each
# change is audited; the summaries and reports are written by Celery. The admin only shows them.
@admin.register(MilestoneRecord)
class MilestoneRecordAdmin(ReadOnlyAdmin):
    list_display = ["city", "milestone", "reached_on", "recorded_at"]
    list_filter = ["milestone", "city"]
    list_select_related = ["city"]


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(ReadOnlyAdmin):
    list_display = ["city", "number", "title", "status", "adopted_on", "adoption_instrument"]
    list_filter = ["status", "city"]
    list_select_related = ["city"]


@admin.register(CityProgress)
class CityProgressAdmin(ReadOnlyAdmin):
    list_display = ["city", "milestones_reached", "warning_count", "refreshed_at", "stale"]
    list_filter = ["stale"]
    list_select_related = ["city"]
    exclude = ["row_html", "compact_html"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "city", "period_start", "period_end", "status"]
    list_filter = ["status"]
    list_select_related = ["city"]
