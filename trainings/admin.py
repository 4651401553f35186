from django.contrib import admin

from trainings.models import Completion, TrainingModule, TrainingSession


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "prevention_level", "duration_minutes", "is_foundational"]
    list_filter = ["is_foundational", "prevention_level"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["prerequisites"]


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
