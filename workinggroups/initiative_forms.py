"""Forms for existing initiatives and for folding a group into them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workinggroups.models import ExistingInitiative


class InitiativeForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("E.g. the racial-equity working group, the community-relations commission."),
    )
    description = forms.CharField(
        label=_("What it does"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, city, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.city = city

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if ExistingInitiative.objects.filter(city=self.city, name__iexact=name).exists():
            raise forms.ValidationError(_("The city already has an initiative of that name."))
        return name


class GroupInitiativesForm(forms.Form):
    initiatives = forms.ModelMultipleChoiceField(
        label=_("Existing initiatives this group is folded into"),
        queryset=ExistingInitiative.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, city, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["initiatives"].queryset = ExistingInitiative.objects.filter(city=city)


class SeatForm(forms.Form):
    """Seat a person on an initiative, or take them off it."""

    person = forms.IntegerField(min_value=1)
    seated = forms.TypedChoiceField(
        choices=[("1", _("Seat")), ("0", _("Take off"))], coerce=lambda v: v == "1"
    )


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a person in the city's directory"), max_length=100)
