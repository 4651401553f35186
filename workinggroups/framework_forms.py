"""The form for a version of a city's local prevention framework."""

from django import forms
from django.utils.translation import gettext_lazy as _

from briefings.forms import AttachmentForm
from stakeholders.institution_selectors import city_today
from stakeholders.models import City
from workinggroups.framework_services import (
    NEW_STATUSES,
    TRANSITIONS,
    FrameworkData,
    suggested_instrument,
)
from workinggroups.milestone_forms import DateInput, OptionalPdfMixin
from workinggroups.models import (
    FRAMEWORK_COMPONENTS,
    AdoptionInstrument,
    FrameworkStatus,
    FrameworkVersion,
)

COMPONENT_NAMES = [name for name, _label in FRAMEWORK_COMPONENTS]


class FrameworkForm(OptionalPdfMixin, AttachmentForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    status = forms.ChoiceField(label=_("Status"), choices=FrameworkStatus.choices)
    drafted_on = forms.DateField(label=_("Drafted on"), widget=DateInput())
    reviewed_on = forms.DateField(
        label=_("Reviewed on"),
        required=False,
        widget=DateInput(),
        help_text=_("Needed once the version is reviewed."),
    )
    adopted_on = forms.DateField(
        label=_("Adopted on"),
        required=False,
        widget=DateInput(),
        help_text=_("Needed once the version is adopted."),
    )
    adoption_instrument = forms.ChoiceField(
        label=_("Adopted by"),
        required=False,
        choices=[("", _("Not adopted yet")), *AdoptionInstrument.choices],
    )
    instrument_reference = forms.CharField(
        label=_("Instrument reference"),
        required=False,
        max_length=200,
        help_text=_("E.g. Resolution 2025-14, or Executive Order 3."),
    )
    file = forms.FileField(
        label=_("The framework document (PDF)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    remove_document = forms.BooleanField(label=_("Remove the stored document"), required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, city: City, version: FrameworkVersion | None = None, **kwargs):
        self.city = city
        self.version = version
        self.suggested = suggested_instrument(city)
        if "initial" not in kwargs:
            if version is not None:
                kwargs["initial"] = {
                    name: getattr(version, name)
                    for name in (
                        "title",
                        "status",
                        "drafted_on",
                        "reviewed_on",
                        "adopted_on",
                        "adoption_instrument",
                        "instrument_reference",
                        "notes",
                        *COMPONENT_NAMES,
                    )
                }
            else:
                kwargs["initial"] = {
                    "title": _("Local prevention framework"),
                    "status": FrameworkStatus.DRAFT,
                    "drafted_on": city_today(city),
                }
        super().__init__(*args, **kwargs)
        for name, label in FRAMEWORK_COMPONENTS:
            self.fields[name] = forms.BooleanField(label=label, required=False)
        allowed = TRANSITIONS[version.status] if version is not None else NEW_STATUSES
        self.fields["status"].choices = [
            (value, label) for value, label in FrameworkStatus.choices if value in allowed
        ]
        self.fields["adoption_instrument"].help_text = _(
            "For a city with a %(form)s government this is usually: %(instrument)s."
        ) % {
            "form": city.get_form_of_government_display().lower(),
            "instrument": AdoptionInstrument(self.suggested).label,
        }
        if version is None or not version.document:
            del self.fields["remove_document"]
        today = city_today(city).isoformat()
        for name in ("drafted_on", "reviewed_on", "adopted_on"):
            self.fields[name].widget.attrs["max"] = today

    @property
    def component_fields(self):
        return [self[name] for name in COMPONENT_NAMES]

    @property
    def detail_fields(self):
        names = ["title", "status", "drafted_on", "reviewed_on", "adopted_on"]
        return [self[name] for name in names]

    def framework_data(self) -> FrameworkData:
        data = self.cleaned_data
        return FrameworkData(
            title=data["title"].strip(),
            status=data["status"],
            drafted_on=data["drafted_on"],
            reviewed_on=data.get("reviewed_on"),
            adopted_on=data.get("adopted_on"),
            adoption_instrument=data.get("adoption_instrument") or "",
            instrument_reference=(data.get("instrument_reference") or "").strip(),
            notes=data.get("notes") or "",
            **{name: bool(data.get(name)) for name in COMPONENT_NAMES},
        )
