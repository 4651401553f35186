"""The directory's filter form, read and written in Python (stakeholders/directory_filters.py),
behaves and renders as the Django form it replaced (issue 9: that form was about 2 ms of the
page). The Django form and the template loop the page used are kept here as the reference.
"""

import pytest
from django import forms
from django.http import QueryDict
from django.template import Context, Template
from django.utils.translation import gettext_lazy as _

from stakeholders.directory_filters import read_filters
from stakeholders.directory_selectors import DirectoryChoices, DirectoryFilters
from stakeholders.models import Leg, PreventionLevel
from stakeholders.widgets import QuickSelect


def _blank(label):
    return [("", label)]


class ReferenceFilterForm(forms.Form):
    """The directory's filter form as it was, a Django form."""

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

    def __init__(self, *args, choices: DirectoryChoices, **kwargs):
        super().__init__(*args, **kwargs)
        for name, blank, pairs in (
            ("sector", _("Any sector"), choices.sectors),
            ("organisation", _("Any organisation"), choices.organisations),
            ("group", _("Any group"), choices.groups),
            ("focus_area", _("Any focus area"), choices.focus_areas),
        ):
            self.fields[name].choices = _blank(blank) + pairs

    def filters(self) -> DirectoryFilters:
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


# The loop templates/stakeholders/directory/index.html had.
FIELDS_TEMPLATE = Template(
    """{% load i18n %}
  {% for field in form %}
  <div>
    <label for="{{ field.id_for_label }}">{{ field.label }}</label>
    {{ field }}
    {% if field.help_text %}<span class="helptext" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</span>{% endif %}
    {% if field.errors %}<span class="errorlist" role="alert">{% translate "This value is not known and is ignored." %}</span>{% endif %}
  </div>
  {% endfor %}"""  # noqa: E501
)

CHOICES = DirectoryChoices(
    sectors=[(1, "Faith leaders"), (2, 'Youth <workers> & "mentors"'), (12, "Police")],
    focus_areas=[(3, "Online"), (4, "Youth")],
    organisations=[(7, "Islamic Center"), (8, "O'Brien & Sons"), (70, "Zeta")],
    groups=[(5, "Local Leadership Group")],
)

QUERIES = [
    "",
    "page=2",
    "leg=law_enforcement",
    "leg=pirates",
    "leg=",
    "leg=community&leg=law_enforcement",
    "leg=law_enforcement&leg=",
    "q=amina",
    "q=++amina++",
    "q=+++",
    "q=%3Cb%3E%22quoted%22+%27x%27+%26",
    "q=" + "a" * 100,
    "q=" + "a" * 101,
    "q=" + "a" * 100 + "+++",
    "q=a%00b",
    "sector=2&organisation=8&group=5&focus_area=4&level=tertiary",
    "sector=99&organisation=x&group=&focus_area=3.0&level=Primary",
    "sector=+2&organisation=07&group=5+&focus_area=-4",
    "organisation=70&organisation=7",
    "sector=%3Cscript%3E&leg=%22%3E",
    "level=secondary&q=%E2%9C%93",
]


def _reference(query: str):
    data = QueryDict(query)
    return ReferenceFilterForm(data or None, choices=CHOICES)


@pytest.mark.parametrize("query", QUERIES)
def test_the_filters_read_as_the_django_form_read_them(query):
    ours = read_filters(QueryDict(query), CHOICES)
    reference = _reference(query)
    assert ours.filters == reference.filters()
    assert set(ours.errors) == set(reference.errors)


@pytest.mark.parametrize("query", QUERIES)
def test_the_fields_are_written_as_the_django_form_wrote_them(query):
    ours = read_filters(QueryDict(query), CHOICES).as_html()
    reference = FIELDS_TEMPLATE.render(Context({"form": _reference(query)}))
    assert ours == reference.removeprefix("\n  ")


def test_an_ignored_value_is_said_and_marked_invalid():
    html = read_filters(QueryDict("organisation=999&leg=law_enforcement"), CHOICES).as_html()
    assert html.count("This value is not known and is ignored.") == 1
    assert 'aria-invalid="true"' in html
    assert '<option value="law_enforcement" selected>' in html
