"""Forms for a city's institutionalisation: its lead and staff time, budget lines and grants
to community organisations (DOMAIN.md lessons 1 and 2)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from stakeholders.institution_services import BudgetLineDetails, GrantDetails, InstitutionDetails
from stakeholders.models import City, CityLeadPortfolio

FIRST_YEAR, LAST_YEAR = 2000, 2100
# The model stores amounts with 12 digits, 2 of them cents.
MAX_AMOUNT = Decimal("9999999999.99")


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _amount_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Amount (USD)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_AMOUNT,
        error_messages={"min_value": _("The amount must be more than zero.")},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )


def _fiscal_year_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Fiscal year"),
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text=_("The year the fiscal year ends in: FY2026 runs from July 2025 to June 2026."),
        error_messages={
            "min_value": _("Give a fiscal year between 2000 and 2100."),
            "max_value": _("Give a fiscal year between 2000 and 2100."),
        },
    )


class InstitutionForm(forms.Form):
    lead_role = forms.CharField(
        label=_("Prevention lead's role"),
        max_length=200,
        required=False,
        help_text=_(
            "The office, not the office holder's name: people change. "
            "E.g. Community Empowerment Officer."
        ),
    )
    lead_portfolio = forms.ChoiceField(
        label=_("Lead's portfolio"),
        choices=[("", _("Not set")), *CityLeadPortfolio.choices],
        required=False,
        help_text=_("Where the lead sits shapes who can be brought in."),
    )
    dedicated_staff_fte = forms.DecimalField(
        label=_("Dedicated staff (full-time equivalents)"),
        max_digits=4,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        help_text=_("Positions set aside for the work, e.g. 0.5 for a half-time coordinator."),
        widget=forms.NumberInput(attrs={"step": "0.05", "min": "0", "inputmode": "decimal"}),
    )
    staff_hours_per_month = forms.IntegerField(
        label=_("Staff hours a month"),
        min_value=0,
        max_value=100000,
        help_text=_("Time given by staff of other offices."),
    )
    next_mayoral_transition = forms.DateField(
        label=_("Next mayoral transition"),
        required=False,
        widget=_date_widget(),
        help_text=_("The day a new administration could take office (after the next election)."),
    )

    @classmethod
    def initial_from(cls, city: City) -> dict:
        return {
            "lead_role": city.lead_role,
            "lead_portfolio": city.lead_portfolio,
            "dedicated_staff_fte": city.dedicated_staff_fte,
            "staff_hours_per_month": city.staff_hours_per_month,
            "next_mayoral_transition": city.next_mayoral_transition,
        }

    def clean_lead_role(self):
        return self.cleaned_data.get("lead_role", "").strip()

    def clean_next_mayoral_transition(self):
        value = self.cleaned_data.get("next_mayoral_transition")
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(_("Give a date between 2000 and 2100."))
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lead_portfolio") and not cleaned.get("lead_role"):
            self.add_error("lead_role", _("Name the lead's role as well as the portfolio."))
        return cleaned

    def details(self) -> InstitutionDetails:
        return InstitutionDetails(**self.cleaned_data)


class BudgetLineForm(forms.Form):
    prefix = "budget"

    amount = _amount_field()
    fiscal_year = _fiscal_year_field()
    source = forms.CharField(
        label=_("Source"), max_length=200, help_text=_("E.g. general fund, a federal grant.")
    )
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def details(self) -> BudgetLineDetails:
        return BudgetLineDetails(**self.cleaned_data)


class _OrganisationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class CommunityGrantForm(forms.Form):
    prefix = "grant"

    organisation = _OrganisationChoice(
        label=_("Community organisation"),
        queryset=None,
        empty_label=_("Choose an organisation"),
        error_messages={
            "invalid_choice": _("Choose an organisation of this city."),
        },
    )
    amount = _amount_field()
    fiscal_year = _fiscal_year_field()
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=300,
        help_text=_("E.g. youth mentoring; a community-relations dialogue series."),
    )

    def __init__(self, *args, organisations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the city's own organisations: another city's is not a valid choice.
        self.fields["organisation"].queryset = organisations

    def details(self) -> GrantDetails:
        return GrantDetails(**self.cleaned_data)
