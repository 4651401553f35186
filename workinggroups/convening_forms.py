"""Forms for scheduling convenings and series, inviting, answering and taking attendance.

Times are typed as local date and time in the city's zone; the forms turn them into UTC
and explain the two daylight-saving traps (a time that does not exist, one that happens
twice) on the field concerned.
"""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City, Leg, LocalMoment, Person, Sector
from workinggroups.convening_services import ConveningDetails, SeriesDetails
from workinggroups.models import Convening, ConveningKind, ConveningSeries
from workinggroups.models.convenings import validate_offsets
from workinggroups.series import NonexistentLocalTime, parse_rule, resolve_local

# Years outside this range are typing mistakes (and far-off years overflow in UTC).
_FIRST_YEAR, _LAST_YEAR = 2000, 2100


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_widget():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _check_year(value: date | None) -> date | None:
    if value is not None and not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s."),
            params={"first": _FIRST_YEAR, "last": _LAST_YEAR},
        )
    return value


class _WhenAndWhereForm(forms.Form):
    """The fields a convening and a series share, and the local-time conversion."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ConveningKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=_date_widget())
    start_time = forms.TimeField(label=_("Starts at"), widget=_time_widget())
    end_time = forms.TimeField(
        label=_("Ends at"),
        widget=_time_widget(),
        help_text=_("Same day; times are the city's local time."),
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=300,
        required=False,
        help_text=_("A place, an online link or both."),
    )
    online_url = forms.URLField(
        label=_("Online link"), required=False, assume_scheme="https", max_length=200
    )
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        required=False,
        min_value=1,
        max_value=10000,
        help_text=_("Seats available; later yeses go on a waitlist. Empty: no limit."),
    )

    def __init__(self, *args, zone: zoneinfo.ZoneInfo, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        # Said to the coordinator after saving: how an ambiguous time was read.
        self.notes: list[str] = []
        abbreviation = datetime.now(zone).strftime("%Z")
        for name in ("start_time", "end_time"):
            self.fields[name].help_text = _("Local time in %(zone)s (%(abbr)s now).") % {
                "zone": zone.key,
                "abbr": abbreviation,
            }

    def clean_date(self):
        return _check_year(self.cleaned_data.get("date"))

    def clean(self):
        cleaned = super().clean()
        day, start, end = (cleaned.get(k) for k in ("date", "start_time", "end_time"))
        no_place = not cleaned.get("place") and "place" not in self.errors
        if no_place and not cleaned.get("online_url") and "online_url" not in self.errors:
            self.add_error("place", _("Give a place, an online link or both."))
        if day is None or start is None or end is None:
            return cleaned
        starts_at = self._resolve(day, start, "start_time")
        ends_at = self._resolve(day, end, "end_time")
        if starts_at is None or ends_at is None:
            return cleaned
        if ends_at <= starts_at:
            self.add_error("end_time", _("A convening must end after it starts."))
            return cleaned
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        return cleaned

    def _resolve(self, day, at, field_name):
        try:
            local = resolve_local(day, at, self.zone)
        except NonexistentLocalTime:
            self.add_error(
                field_name,
                _(
                    "%(time)s does not exist on %(date)s in %(zone)s: the clocks go forward "
                    "that night. Choose a time an hour later or earlier."
                )
                % {"time": at.strftime("%H:%M"), "date": day.isoformat(), "zone": self.zone.key},
            )
            return None
        if local.ambiguous:
            abbr = local.utc.astimezone(self.zone).strftime("%Z")
            self.notes.append(
                str(
                    _(
                        "%(time)s happens twice on %(date)s (the clocks go back that night): "
                        "the first one, %(time)s %(abbr)s, was used."
                    )
                    % {"time": at.strftime("%H:%M"), "date": day.isoformat(), "abbr": abbr}
                )
            )
        return local.utc


def _local_initial(instant: datetime, zone: zoneinfo.ZoneInfo) -> dict:
    local = instant.astimezone(zone)
    return {"date": local.date(), "start_time": local.time().replace(tzinfo=None)}


@dataclass
class ConveningDetailsWithMoment(ConveningDetails):
    """ConveningDetails with the local moment the convening is planned around; the
    scheduling services copy every field of the details onto the convening."""

    local_moment: LocalMoment | None = None


class _MomentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: LocalMoment) -> str:
        return f"{obj.title} ({obj.get_kind_display()}, {obj.starts_on:%Y-%m-%d})"


class ConveningForm(_WhenAndWhereForm):
    reminders = forms.CharField(
        label=_("Reminders (minutes before the start)"),
        required=False,
        help_text=_(
            "Whole minutes separated by commas, e.g. 1440, 60 for a day and an hour before. "
            "Empty: the city's usual reminders."
        ),
    )

    field_order = [
        "kind",
        "title",
        "date",
        "start_time",
        "end_time",
        "place",
        "online_url",
        "agenda",
        "capacity",
        "reminders",
    ]

    def __init__(self, *args, city: City | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The local moment is offered only when the form knows the city: the choice is
        # limited to that city's moments (upcoming and recent, and the one already tied).
        if city is not None:
            from stakeholders.institution_selectors import moments_for_convening_choice

            also = [
                self.initial.get("local_moment"),
                self.data.get(self.add_prefix("local_moment")),
            ]
            self.fields["local_moment"] = _MomentChoice(
                label=_("Local moment"),
                queryset=moments_for_convening_choice(city, also=[pk for pk in also if pk]),
                required=False,
                empty_label=_("None"),
                help_text=_(
                    "Plan the convening around a moment on the city's calendar (an election, "
                    "students' return...), if it is tied to one."
                ),
                error_messages={"invalid_choice": _("Choose one of this city's local moments.")},
            )
            order = list(self.field_order)
            order.insert(order.index("title") + 1, "local_moment")
            self.order_fields(order)

    @classmethod
    def initial_from(cls, convening: Convening, zone: zoneinfo.ZoneInfo) -> dict:
        initial = {
            "kind": convening.kind,
            "title": convening.title,
            "end_time": convening.ends_at.astimezone(zone).time().replace(tzinfo=None),
            "place": convening.place,
            "online_url": convening.online_url,
            "agenda": convening.agenda,
            "capacity": convening.capacity,
            "reminders": ", ".join(str(m) for m in convening.reminder_offsets_minutes or []),
            "local_moment": convening.local_moment_id,
        }
        initial.update(_local_initial(convening.starts_at, zone))
        return initial

    def clean_reminders(self):
        return parse_reminder_offsets(self.cleaned_data.get("reminders", ""))

    def details(self) -> ConveningDetails:
        data = self.cleaned_data
        values = {
            "kind": data["kind"],
            "title": data["title"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "place": data["place"],
            "online_url": data["online_url"],
            "agenda": data["agenda"],
            "capacity": data["capacity"],
            "reminder_offsets_minutes": data["reminders"],
        }
        # Without the field (the form was not given the city) the tie is left as it is.
        if "local_moment" in self.fields:
            return ConveningDetailsWithMoment(**values, local_moment=data.get("local_moment"))
        return ConveningDetails(**values)


class SeriesForm(_WhenAndWhereForm):
    rrule = forms.CharField(
        label=_("Repeats (recurrence rule)"),
        max_length=300,
        help_text=_(
            "An iCalendar rule, e.g. FREQ=MONTHLY;INTERVAL=3 (every three months) or "
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU (every other Tuesday). The time of day stays "
            "the same local time all year."
        ),
    )
    until = forms.DateField(label=_("Repeats until"), required=False, widget=_date_widget())
    excluded_dates = forms.CharField(
        label=_("Skip these dates"),
        required=False,
        help_text=_("Dates as YYYY-MM-DD, separated by commas or spaces."),
    )

    field_order = [
        "kind",
        "title",
        "date",
        "start_time",
        "end_time",
        "rrule",
        "until",
        "excluded_dates",
        "place",
        "online_url",
        "agenda",
        "capacity",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].label = _("First date")

    @classmethod
    def initial_from(cls, series: ConveningSeries, zone: zoneinfo.ZoneInfo) -> dict:
        end = series.first_starts_at + timedelta(minutes=series.duration_minutes)
        initial = {
            "kind": series.kind,
            "title": series.title,
            "end_time": end.astimezone(zone).time().replace(tzinfo=None),
            "rrule": series.rrule,
            "until": series.until,
            "excluded_dates": ", ".join(series.excluded_dates),
            "place": series.place,
            "online_url": series.online_url,
            "agenda": series.agenda,
            "capacity": series.capacity,
        }
        initial.update(_local_initial(series.first_starts_at, zone))
        return initial

    def clean_until(self):
        return _check_year(self.cleaned_data.get("until"))

    def clean_excluded_dates(self):
        text = self.cleaned_data.get("excluded_dates", "")
        days = []
        for part in (p for p in re.split(r"[,\s]+", text) if p):
            try:
                days.append(_check_year(date.fromisoformat(part)).isoformat())
            except ValueError as error:
                raise ValidationError(
                    _("“%(value)s” is not a date written as YYYY-MM-DD."),
                    params={"value": part},
                ) from error
        return sorted(set(days))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_at") and cleaned.get("rrule") and "rrule" not in self.errors:
            first_local = cleaned["starts_at"].astimezone(self.zone).replace(tzinfo=None)
            try:
                parse_rule(cleaned["rrule"], first_local)
            except ValidationError as error:
                self.add_error("rrule", error)
            else:
                cleaned["rrule"] = cleaned["rrule"].strip().upper().removeprefix("RRULE:")
        until = cleaned.get("until")
        if until and cleaned.get("date") and until < cleaned["date"]:
            self.add_error("until", _("The series must repeat until a date after the first."))
        return cleaned

    def details(self) -> SeriesDetails:
        data = self.cleaned_data
        return SeriesDetails(
            kind=data["kind"],
            title=data["title"],
            rrule=data["rrule"],
            first_starts_at=data["starts_at"],
            duration_minutes=int((data["ends_at"] - data["starts_at"]).total_seconds() // 60),
            until=data["until"],
            excluded_dates=data["excluded_dates"],
            place=data["place"],
            online_url=data["online_url"],
            agenda=data["agenda"],
            capacity=data["capacity"],
        )


class _PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.full_name} ({obj.get_leg_display()})"


class InviteForm(forms.Form):
    """Whom to invite: the whole group, chosen legs or sectors, hand-picked members."""

    everyone = forms.BooleanField(label=_("The whole group"), required=False)
    legs = forms.MultipleChoiceField(
        label=_("Everyone in these legs"),
        choices=Leg.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sectors = forms.ModelMultipleChoiceField(
        label=_("Everyone in these sectors"),
        queryset=Sector.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    people = _PersonChoice(
        label=_("These members"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, members, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.members = list(members)
        ids = [m.pk for m in self.members]
        self.fields["people"].queryset = Person.objects.filter(pk__in=ids).order_by(
            "leg", "full_name"
        )
        self.fields["sectors"].queryset = Sector.objects.filter(
            pk__in={m.sector_id for m in self.members if m.sector_id}
        )

    def clean(self):
        cleaned = super().clean()
        if not (
            cleaned.get("everyone")
            or cleaned.get("legs")
            or cleaned.get("sectors")
            or cleaned.get("people")
        ):
            raise ValidationError(_("Choose whom to invite."), code="empty")
        return cleaned

    def chosen(self) -> list[Person]:
        """The members the choices add up to."""
        data = self.cleaned_data
        if data.get("everyone"):
            return self.members
        legs = set(data.get("legs") or [])
        sectors = {s.pk for s in data.get("sectors") or []}
        people = {p.pk for p in data.get("people") or []}
        return [
            m for m in self.members if m.leg in legs or m.sector_id in sectors or m.pk in people
        ]


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Will you come?"),
        choices=[
            ("yes", _("Yes, I will come")),
            ("no", _("No, I cannot come")),
            ("maybe", _("Maybe")),
        ],
        widget=forms.RadioSelect,
    )


def parse_reminder_offsets(text: str) -> list[int] | None:
    """Minutes before the start, typed as "1440, 120"; empty means "the usual ones"."""
    text = (text or "").strip()
    if not text:
        return None
    parts = [p for p in re.split(r"[,\s]+", text) if p]
    if not all(p.isdigit() for p in parts):
        raise ValidationError(_("Write whole minutes separated by commas, e.g. 1440, 60."))
    offsets = sorted({int(p) for p in parts}, reverse=True)
    validate_offsets(offsets)
    return offsets


class CityRemindersForm(forms.Form):
    reminders = forms.CharField(
        label=_("Reminders before every convening (minutes)"),
        max_length=100,
        help_text=_(
            "Whole minutes separated by commas, e.g. 1440, 120 for a day and two hours before. "
            "A convening can still set its own."
        ),
    )

    def clean_reminders(self):
        offsets = parse_reminder_offsets(self.cleaned_data.get("reminders", ""))
        if offsets is None:
            raise ValidationError(_("Give at least one reminder time."))
        return offsets
