from django import forms
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City


class GrantCoordinatorForm(forms.Form):
    city = forms.ModelChoiceField(
        label=_("City"),
        queryset=City.objects.order_by("name"),
        empty_label=_("Choose a city"),
        error_messages={"invalid_choice": _("Choose one of the cities in the list.")},
    )


class NetworkStaffForm(forms.Form):
    is_network_staff = forms.TypedChoiceField(
        label=_("Network staff"),
        choices=[("1", _("Yes")), ("0", _("No"))],
        coerce=lambda value: value == "1",
    )
