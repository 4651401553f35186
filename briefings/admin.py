from django.contrib import admin

from briefings.models import AudienceLeg, Delivery, LandscapeBriefing


class AudienceLegInline(admin.TabularInline):
    model = AudienceLeg
    extra = 0


@admin.register(LandscapeBriefing)
class LandscapeBriefingAdmin(admin.ModelAdmin):
    list_display = ["title", "tlp", "status", "published_at", "author"]
    list_filter = ["tlp", "status"]
    search_fields = ["title", "summary"]
    inlines = [AudienceLegInline]
    filter_horizontal = [
        "audience_cities",
        "audience_groups",
        "audience_sectors",
        "audience_organisations",
        "audience_people",
    ]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["briefing", "person", "status", "sent_at", "read_at"]
    list_filter = ["status"]
    raw_id_fields = ["briefing", "person"]
    list_select_related = ["briefing", "person"]
