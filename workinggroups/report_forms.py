"""The request form for a funder's report: the scope (one city, or all for network staff) and
the period (a quarter of the grant, or a from/to)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City, Programme
from stakeholders.roles import Viewer
from workinggroups import report_periods
from workinggroups.report_periods import CUSTOM

ALL = "all"


class ReportRequestForm(forms.Form):
    scope = forms.ChoiceField(label=_("Cities"))
    period = forms.ChoiceField(label=_("Period"))
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For another period: the first day it covers."),
    )
    end = forms.DateField(
        label=_("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The last day it covers."),
    )

    def __init__(self, *args, viewer: Viewer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.today = timezone.localdate()
        cities = City.objects.order_by("name", "state", "pk")
        if not viewer.is_network_staff:
            cities = cities.filter(pk__in=viewer.coordinated_city_ids)
        self.cities = {
            str(pk): (pk, f"{name}, {state}")
            for pk, name, state in cities.values_list("pk", "name", "state")
        }
        choices = [(key, label) for key, (_pk, label) in self.cities.items()]
        if viewer.is_network_staff:
            choices.insert(0, (ALL, _("All cities")))
        self.fields["scope"].choices = choices
        programmes = list(Programme.objects.order_by("starts_on", "pk"))
        self.earliest = programmes[0].starts_on if programmes else None
        self.quarters = {q.key: q for q in report_periods.quarter_choices(programmes)}
        self.fields["period"].choices = [
            *((key, q.label) for key, q in self.quarters.items()),
            (CUSTOM, _("Another period: give the dates below")),
        ]
        default = report_periods.default_quarter(list(self.quarters.values()), self.today)
        self.fields["period"].initial = default.key if default else CUSTOM

    def clean(self):
        data = super().clean()
        period = data.get("period")
        if period is None:
            return data
        if period == CUSTOM:
            start, end = data.get("start"), data.get("end")
            if start is None and not self.has_error("start"):
                self.add_error("start", _("Give the first day of the period."))
            if end is None and not self.has_error("end"):
                self.add_error("end", _("Give the last day of the period."))
            if start is None or end is None:
                return data
        else:
            quarter = self.quarters[period]
            start, end = quarter.start, quarter.end
        for message in report_periods.period_errors(
            start, end, earliest=self.earliest, today=self.today
        ):
            self.add_error("end" if period == CUSTOM else "period", message)
        data["period_start"], data["period_end"] = start, end
        return data

    @property
    def city(self) -> City | None:
        """The chosen city (None: all cities). Only after is_valid()."""
        scope = self.cleaned_data["scope"]
        if scope == ALL:
            return None
        return City.objects.get(pk=self.cities[scope][0])
