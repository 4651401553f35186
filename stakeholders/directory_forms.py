"""Forms of the stakeholder directory: a person, an organisation, an upload (the filters
are stakeholders/directory_filters.py)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.directory_import import max_upload_bytes
from stakeholders.models import City, Organisation, Person, PreventionLevel


class PersonForm(forms.ModelForm):
    prevention_levels = forms.MultipleChoiceField(
        label=_("Prevention levels their work touches"),
        required=False,
        choices=PreventionLevel.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    initiatives = forms.ModelMultipleChoiceField(
        label=_("Other local initiatives they sit on"),
        required=False,
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The civic load a person already carries (lesson 4)."),
    )

    class Meta:
        model = Person
        fields = [
            "full_name",
            "role_title",
            "leg",
            "sector",
            "organisation",
            "email",
            "phone",
            "consent_to_contact",
            "reminders_enabled",
            "focus_areas",
        ]
        widgets = {"focus_areas": forms.CheckboxSelectMultiple}
        labels = {
            "consent_to_contact": _("Agreed to be contacted by the portal"),
            "reminders_enabled": _("Sends reminders before convenings"),
        }
        help_texts = {
            "leg": _("Every person belongs to exactly one leg."),
            "consent_to_contact": _("Tick only when the person has agreed; the date is recorded."),
        }

    def __init__(self, *args, city: City, **kwargs) -> None:
        from workinggroups.models import ExistingInitiative

        super().__init__(*args, **kwargs)
        self.instance.city = city
        self.fields["organisation"].queryset = Organisation.objects.filter(city=city)
        self.fields["organisation"].empty_label = _("No organisation")
        self.fields["sector"].empty_label = _("Choose a sector")
        self.fields["initiatives"].queryset = ExistingInitiative.objects.filter(city=city)
        if self.instance.pk:
            self.initial.setdefault("prevention_levels", self.instance.prevention_levels)
            self.initial.setdefault("initiatives", [i.pk for i in self.instance.initiatives.all()])

    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").strip()
        if email:
            taken = Person.objects.filter(email__iexact=email)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                from stakeholders.directory_services import EMAIL_TAKEN

                raise forms.ValidationError(EMAIL_TAKEN, code="email_taken")
        return email

    def clean(self):
        cleaned = super().clean()
        # The model requires a date with every consent; keep the date it was first given.
        if cleaned.get("consent_to_contact"):
            if not (self.instance.pk and self.instance.consent_recorded_at):
                self.instance.consent_recorded_at = timezone.now()
        else:
            self.instance.consent_recorded_at = None
        return cleaned


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "sector", "website"]

    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def __init__(self, *args, city: City, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.city = city
        self.city = city
        self.fields["sector"].empty_label = _("No particular sector")

    def clean_name(self) -> str:
        name = " ".join((self.cleaned_data.get("name") or "").split())
        if Organisation.objects.filter(city=self.city, name__iexact=name).exists():
            raise forms.ValidationError(
                _("The city already has an organisation of this name."), code="duplicate"
            )
        return name


class DirectoryUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_(
            "The first row names the columns: full_name, leg, sector, email (required); "
            "role_title, organisation, phone, prevention_levels, focus_areas, consent "
            "(optional). CSV files must be saved as UTF-8."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        from stakeholders.directory_import import ImportFileError, check_upload_size

        upload = self.cleaned_data["file"]
        try:
            check_upload_size(upload.size)
        except ImportFileError as error:
            raise forms.ValidationError(error.message, code="too_large") from None
        return upload

    @staticmethod
    def limit() -> int:
        return max_upload_bytes()
