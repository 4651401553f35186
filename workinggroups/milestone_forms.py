"""The form that records a milestone: the day it was reached and its evidence (a PDF checked
as briefing attachments are, a link, or both)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from briefings.forms import AttachmentForm
from stakeholders.institution_selectors import city_today
from stakeholders.models import City
from workinggroups.models import MilestoneRecord


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class OptionalPdfMixin:
    """AttachmentForm's checks, run only when a file was given."""

    def clean_file(self):
        if not self.cleaned_data.get("file"):
            return None
        return super().clean_file()


class MilestoneRecordForm(OptionalPdfMixin, AttachmentForm):
    reached_on = forms.DateField(label=_("Reached on"), widget=DateInput())
    file = forms.FileField(
        label=_("Evidence: a PDF"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    remove_document = forms.BooleanField(label=_("Remove the stored PDF"), required=False)
    evidence_url = forms.URLField(
        label=_("Evidence: a link"),
        required=False,
        assume_scheme="https",
        max_length=500,
        help_text=_("E.g. the council's minutes or the city's announcement."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: what was agreed, who took part (by role, not by name)."),
    )

    field_order = ["reached_on", "file", "remove_document", "evidence_url", "note"]

    def __init__(self, *args, city: City, record: MilestoneRecord | None = None, **kwargs):
        self.city = city
        self.record = record
        if record is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "reached_on": record.reached_on,
                "evidence_url": record.evidence_url,
                "note": record.note,
            }
        super().__init__(*args, **kwargs)
        if record is None or not record.evidence_document:
            del self.fields["remove_document"]
        self.fields["reached_on"].widget.attrs["max"] = city_today(city).isoformat()
        self.fields["reached_on"].help_text = _("Not in the future.")

    def clean_reached_on(self):
        day = self.cleaned_data["reached_on"]
        if day > city_today(self.city):
            raise ValidationError(
                _("The date is in the future: record a milestone once it is reached.")
            )
        return day

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        keeps = (
            self.record is not None
            and bool(self.record.evidence_document)
            and not cleaned.get("remove_document")
        )
        if not cleaned.get("file") and not cleaned.get("evidence_url") and not keeps:
            raise ValidationError(
                _("Give the evidence: a PDF, a link, or both."), code="no_evidence"
            )
        return cleaned
