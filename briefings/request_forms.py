"""Forms for briefing requests: asking for one, filtering the list, and the triage steps.

The forms check types and turn local times into UTC; the rules (dates in the past, groups
of another city, allowed steps) are the services' (briefings/request_services.py), whose
messages the views show on the form.
"""

import zoneinfo
from datetime import date, datetime

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from briefings.models import LandscapeBriefing, RequestStatus
from briefings.request_selectors import ALL, OPEN
from briefings.request_services import DEFAULT_BRIEFING_MINUTES
from stakeholders.models import City
from workinggroups.models import WorkingGroup
from workinggroups.series import NonexistentLocalTime, resolve_local


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BriefingRequestForm(forms.Form):
    topic = forms.CharField(
        label=_("Topic"),
        max_length=200,
        help_text=_("E.g. online activity around the coming election, or a campus tension."),
    )
    local_context = forms.CharField(
        label=_("Local context"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What is happening locally: incidents, tensions, a coming local moment."),
    )
    needed_by = forms.DateField(label=_("Needed by"), widget=_date_widget())
    audience_groups = forms.ModelMultipleChoiceField(
        label=_("Working groups"),
        queryset=WorkingGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_note = forms.CharField(
        label=_("Who should hear it"),
        max_length=300,
        required=False,
        help_text=_("E.g. the whole working group, or the law-enforcement leg and faith leaders."),
    )

    def __init__(self, *args, city: City, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        groups = list(WorkingGroup.objects.filter(city=city).order_by("name"))
        self.fields["audience_groups"].queryset = WorkingGroup.objects.filter(city=city).order_by(
            "name"
        )
        if len(groups) == 1:  # most cities have one group: start with it ticked
            self.fields["audience_groups"].initial = [groups[0].pk]
        self.fields["needed_by"].help_text = _(
            "Today in %(zone)s is %(today)s: choose today or a later date."
        ) % {"zone": city.time_zone, "today": formats.date_format(today, "j M Y")}


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (OPEN, _("Open (not yet delivered or declined)")),
            *RequestStatus.choices,
            (ALL, _("All")),
        ],
    )
    city = forms.ModelChoiceField(
        label=_("City"), required=False, queryset=City.objects.order_by("name")
    )

    def __init__(self, *args, cities=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if cities is None:
            del self.fields["city"]
        else:
            self.fields["city"].queryset = cities


# --- Triage ---------------------------------------------------------------------------------


class AcceptForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the city (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ScheduleForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Working group"), queryset=WorkingGroup.objects.none(), required=False
    )
    date = forms.DateField(label=_("Date"), required=False, widget=_date_widget())
    start_time = forms.TimeField(
        label=_("Starts at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=15,
        max_value=8 * 60,
        initial=DEFAULT_BRIEFING_MINUTES,
        required=False,
    )
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    online_url = forms.URLField(
        label=_("Online link"),
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text=_("A place, an online link or both."),
    )
    title = forms.CharField(
        label=_("Title of the convening"),
        max_length=200,
        required=False,
        help_text=_("Empty: “Landscape briefing:” and the request's topic."),
    )
    note = forms.CharField(
        label=_("Note to the city (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, city: City, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(city.time_zone)
        self.fields["group"].queryset = WorkingGroup.objects.filter(city=city).order_by("name")
        abbreviation = datetime.now(self.zone).strftime("%Z")
        self.fields["start_time"].help_text = _("Local time in %(zone)s (%(abbr)s now).") % {
            "zone": city.time_zone,
            "abbr": abbreviation,
        }

    def clean(self):
        cleaned = super().clean()
        day, at = cleaned.get("date"), cleaned.get("start_time")
        cleaned["starts_at"] = None
        if day is not None and at is not None:
            try:
                cleaned["starts_at"] = resolve_local(day, at, self.zone).utc
            except NonexistentLocalTime:
                self.add_error(
                    "start_time",
                    _(
                        "%(time)s does not exist on %(date)s in %(zone)s: the clocks go "
                        "forward that night. Choose a time an hour later or earlier."
                    )
                    % {"time": at.strftime("%H:%M"), "date": day.isoformat(), "zone": self.zone},
                )
        return cleaned


class DeliverForm(forms.Form):
    briefing = forms.ModelChoiceField(
        label=_("The published briefing that answers it (optional)"),
        queryset=LandscapeBriefing.objects.filter(
            status=LandscapeBriefing.Status.PUBLISHED
        ).order_by("-published_at", "pk"),
        required=False,
    )
    note = forms.CharField(
        label=_("Note to the city (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is declined"),
        max_length=500,
        required=False,  # the service says why it is needed, in the same words everywhere
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The city reads this in the notice and on the request's page."),
    )


TRIAGE_FORMS = {
    "accept": AcceptForm,
    "schedule": ScheduleForm,
    "deliver": DeliverForm,
    "decline": DeclineForm,
}
