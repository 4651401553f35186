from django.contrib import admin
from django.db import models

from workinggroups.models import (
    Attendance,
    Convening,
    ExistingInitiative,
    Invitation,
    Membership,
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
