"""Forms for keeping the training module catalogue: a module, and a module's materials.

A material's PDF goes through the same checks as a briefing attachment (MaterialForm
extends briefings.forms.AttachmentForm: extension, declared type, first bytes, opened by
pypdf, size limit); a material carries a TLP marking that staff must choose.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from briefings.forms import TLP_PLAIN_WORDS, AttachmentForm
from briefings.models import TLP
from stakeholders.models import PreventionLevel
from trainings.catalogue_services import ModuleData, cycle_message, prerequisite_cycle
from trainings.models import TrainingModule

# Paths under /trainings/modules/ that are pages, not modules.
RESERVED_SLUGS = frozenset({"new"})


class ModuleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Web address (slug)"),
        max_length=80,
        required=False,
        help_text=_(
            "Letters, digits and hyphens, as in /trainings/modules/social-cohesion/. "
            "Left empty, it is made from the title. It cannot change later."
        ),
    )
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    objectives = forms.CharField(
        label=_("Learning objectives"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One objective a line. Self-assessments ask about each of them."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=24 * 60
    )
    prevention_level = forms.ChoiceField(
        label=_("Prevention level"),
        choices=[("", _("Not one level in particular")), *PreventionLevel.choices],
        required=False,
    )
    is_foundational = forms.BooleanField(
        label=_("One of the SCN toolkit's foundational modules"),
        required=False,
        help_text=_("Foundational modules come first in the catalogue."),
    )
    refresher_months = forms.IntegerField(
        label=_("Refresher due after (months)"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("Leave empty when the module needs no refresher."),
    )
    prerequisites = forms.ModelMultipleChoiceField(
        TrainingModule.objects.none(),
        label=_("Prerequisites"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Modules to complete before this one."),
    )

    def __init__(self, *args, module: TrainingModule | None = None, **kwargs) -> None:
        self.module = module
        if module is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": module.title,
                "slug": module.slug,
                "summary": module.summary,
                "objectives": module.objectives,
                "duration_minutes": module.duration_minutes,
                "prevention_level": module.prevention_level,
                "is_foundational": module.is_foundational,
                "refresher_months": module.refresher_months,
                "prerequisites": list(module.prerequisites.values_list("pk", flat=True)),
            }
        super().__init__(*args, **kwargs)
        choices = TrainingModule.objects.order_by("title")
        if module is not None:
            choices = choices.exclude(pk=module.pk)
            # The address is in links people keep; it stays what it was.
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("It cannot change: links to the module use it.")
        self.fields["prerequisites"].queryset = choices

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        others = TrainingModule.objects.filter(title__iexact=title)
        if self.module is not None:
            others = others.exclude(pk=self.module.pk)
        if others.exists():
            raise ValidationError(_("Another module already has this title."))
        return title

    def clean_objectives(self):
        lines = [line.strip() for line in self.cleaned_data["objectives"].splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            raise ValidationError(_("Give at least one learning objective."))
        return "\n".join(lines)

    def clean(self):
        cleaned = super().clean()
        if self.module is None and "title" in cleaned:
            slug = cleaned.get("slug") or slugify(cleaned["title"])[:80].strip("-")
            if not slug:
                self.add_error("slug", _("Give a web address: the title has no letters to use."))
            elif slug in RESERVED_SLUGS:
                self.add_error("slug", _("This web address is taken by a page; choose another."))
            elif TrainingModule.objects.filter(slug=slug).exists():
                self.add_error("slug", _("Another module already has this web address."))
            cleaned["slug"] = slug
        chosen = cleaned.get("prerequisites")
        if chosen is not None and self.module is not None:
            path = prerequisite_cycle(self.module.pk, [m.pk for m in chosen])
            if path:
                self.add_error("prerequisites", cycle_message(path))
        return cleaned

    def module_data(self) -> ModuleData:
        data = self.cleaned_data
        return ModuleData(
            title=data["title"],
            summary=data["summary"].strip(),
            objectives=data["objectives"],
            duration_minutes=data["duration_minutes"],
            prevention_level=data.get("prevention_level") or "",
            is_foundational=bool(data.get("is_foundational")),
            refresher_months=data.get("refresher_months"),
            prerequisite_ids=frozenset(m.pk for m in data.get("prerequisites") or ()),
        )


def _tlp_choices():
    return [(value, f"{label} — {TLP_PLAIN_WORDS[value]}") for value, label in TLP.choices]


class MaterialForm(AttachmentForm):
    """A material: a PDF (checked as briefing attachments are) or a link, with its marking."""

    title = forms.CharField(label=_("Title"), max_length=200)
    tlp = forms.ChoiceField(
        label=_("TLP marking"),
        choices=_tlp_choices,
        widget=forms.RadioSelect,
        help_text=_(
            "CLEAR and GREEN: every signed-in user. AMBER, AMBER+STRICT and RED: network "
            "staff, coordinators and the people invited to a session of this module; their "
            "PDFs are stamped with the reader's name."
        ),
    )
    file = forms.FileField(
        label=_("PDF file"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    url = forms.URLField(
        label=_("or a link"),
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text=_("A page elsewhere, e.g. a video or a toolkit chapter."),
    )

    field_order = ["title", "tlp", "file", "url"]

    def __init__(self, *args, **kwargs) -> None:
        # It shares the edit page with the module's form: its own ids keep labels apart.
        kwargs.setdefault("auto_id", "material_%s")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        if not self.cleaned_data.get("file"):
            return None
        return super().clean_file()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        has_file, has_url = bool(cleaned.get("file")), bool(cleaned.get("url"))
        if has_file == has_url:
            raise ValidationError(
                _("Give either a PDF file or a link, not both and not neither."),
                code="file_or_link",
            )
        return cleaned
