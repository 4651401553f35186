"""The form for a city's local moments (DOMAIN.md lesson 4: tie prevention to pressing
local moments such as an election, the school year's start or students' return)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stakeholders.models import LocalMoment, LocalMomentKind
from stakeholders.moment_services import MomentDetails

# Years outside this range are typing mistakes, as for convenings' dates.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _check_year(value):
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise forms.ValidationError(
            _("Give a date between %(first)s and %(last)s."),
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return value


class LocalMomentForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("E.g. Municipal election; Students return to the university."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=LocalMomentKind.choices)
    starts_on = forms.DateField(
        label=_("Starts on"), widget=_date_widget(), help_text=_("A date in the city.")
    )
    ends_on = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=_date_widget(),
        help_text=_("Leave empty for a single day."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the moment may stir locally, and who to bring in."),
    )

    @classmethod
    def initial_from(cls, moment: LocalMoment) -> dict:
        return {
            "title": moment.title,
            "kind": moment.kind,
            "starts_on": moment.starts_on,
            "ends_on": moment.ends_on,
            "notes": moment.notes,
        }

    def clean_starts_on(self):
        return _check_year(self.cleaned_data.get("starts_on"))

    def clean_ends_on(self):
        return _check_year(self.cleaned_data.get("ends_on"))

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The moment must end on or after the day it starts."))
        return cleaned

    def details(self) -> MomentDetails:
        data = self.cleaned_data
        return MomentDetails(
            title=data["title"],
            kind=data["kind"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            notes=data["notes"],
        )
