from django.contrib import admin
from django.db import models

from trainings.models import (
    AssessmentRequest,
    Completion,
    CoverageNudge,
    MaterialRead,
    ModuleMaterial,
    TrainingModule,
    TrainingSession,
)


class MaterialInline(admin.TabularInline):
    model = ModuleMaterial
    extra = 0
    fields = ["title", "kind", "tlp", "url", "original_name", "position"]
    readonly_fields = ["original_name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "prevention_level", "duration_minutes", "is_foundational"]
    list_filter = ["is_foundational", "prevention_level"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["prerequisites"]
    inlines = [MaterialInline]


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["convening", "trainer", "trainer_name"]
    filter_horizontal = ["modules"]
    raw_id_fields = ["convening"]


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin):
    list_display = ["person", "module", "method", "completed_on"]
    list_filter = ["module", "method"]
    raw_id_fields = ["person", "session"]


@admin.register(MaterialRead)
class MaterialReadAdmin(admin.ModelAdmin):
    list_display = ["material", "person", "read_at"]
    raw_id_fields = ["material", "person"]


@admin.register(AssessmentRequest)
class AssessmentRequestAdmin(admin.ModelAdmin):
    # Answers are shown to network staff only (the admin is staff's): never edited here.
    list_display = ["session", "person", "phase", "status", "answered_at"]
    list_filter = ["phase", "status"]
    raw_id_fields = ["session", "person"]
    readonly_fields = ["confidence", "comments", "answered_at"]


@admin.register(CoverageNudge)
class CoverageNudgeAdmin(admin.ModelAdmin):
    list_display = ["city", "leg", "week", "status", "sent_at"]
    list_filter = ["status", "leg"]
