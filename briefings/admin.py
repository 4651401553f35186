from django.contrib import admin

from briefings.models import (
    AudienceLeg,
    BriefingAttachment,
    BriefingRequest,
    Delivery,
    LandscapeBriefing,
    RequestEvent,
)


class AudienceLegInline(admin.TabularInline):
    model = AudienceLeg
    extra = 0


class AttachmentInline(admin.TabularInline):
    model = BriefingAttachment
    extra = 0
    fields = ["original_name", "size_bytes", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(LandscapeBriefing)
class LandscapeBriefingAdmin(admin.ModelAdmin):
    list_display = ["title", "tlp", "status", "published_at", "author"]
    list_filter = ["tlp", "status"]
    search_fields = ["title", "summary"]
    inlines = [AudienceLegInline, AttachmentInline]
    filter_horizontal = [
        "audience_cities",
        "audience_groups",
        "audience_sectors",
        "audience_organisations",
        "audience_people",
    ]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["briefing", "person", "city", "leg", "status", "sent_at", "read_at"]
    list_filter = ["status"]
    raw_id_fields = ["briefing", "person"]
    list_select_related = ["briefing", "person"]


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    readonly_fields = ["status", "actor", "note", "created_at", "notified_at", "notify_error"]


@admin.register(BriefingRequest)
class BriefingRequestAdmin(admin.ModelAdmin):
    list_display = ["topic", "city", "status", "needed_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["topic"]
    raw_id_fields = ["requested_by", "convening", "briefing"]
    inlines = [RequestEventInline]
