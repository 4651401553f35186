"""Forms of the stakeholder directory: filters, a person, an organisation, an upload."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.directory_import import max_upload_bytes
from stakeholders.directory_selectors import DirectoryChoices, DirectoryFilters, filter_choices
from stakeholders.models import City, Leg, Organisation, Person, PreventionLevel
from stakeholders.widgets import QuickSelect


def _blank(label):
    return [("", label)]


class DirectoryFilterForm(forms.Form):
    """A GET form: every field optional; a value that does not fit is ignored (and said).

    The lists are plain choices from `DirectoryChoices` (read with the city, see
    directory_selectors.cities_with_filter_choices), so checking a chosen organisation
    or group costs no query.
    """

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Part of a name, role or organisation."),
    )
    leg = forms.ChoiceField(
        label=_("Leg"),
        required=False,
        widget=QuickSelect,
        choices=_blank(_("Any leg")) + Leg.choices,
    )
    sector = forms.TypedChoiceField(
        label=_("Sector"), required=False, widget=QuickSelect, coerce=int, empty_value=None
    )
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, widget=QuickSelect, coerce=int, empty_value=None
    )
    group = forms.TypedChoiceField(
        label=_("Working group"), required=False, widget=QuickSelect, coerce=int, empty_value=None
    )
    level = forms.ChoiceField(
        label=_("Prevention level"),
        required=False,
        widget=QuickSelect,
        choices=_blank(_("Any level")) + PreventionLevel.choices,
    )
    focus_area = forms.TypedChoiceField(
        label=_("Focus area"), required=False, widget=QuickSelect, coerce=int, empty_value=None
    )

    def __init__(self, *args, city: City, choices: DirectoryChoices | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = choices or filter_choices(city)
        for name, blank, pairs in (
            ("sector", _("Any sector"), choices.sectors),
            ("organisation", _("Any organisation"), choices.organisations),
            ("group", _("Any group"), choices.groups),
            ("focus_area", _("Any focus area"), choices.focus_areas),
        ):
            self.fields[name].choices = _blank(blank) + pairs

    def filters(self) -> DirectoryFilters:
        """The valid filters (an unknown choice in a hand-edited URL filters nothing)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DirectoryFilters(
            q=(data.get("q") or "").strip(),
            leg=data.get("leg") or "",
            sector_id=data.get("sector"),
            organisation_id=data.get("organisation"),
            group_id=data.get("group"),
            level=data.get("level") or "",
            focus_area_id=data.get("focus_area"),
        )


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
