from django import forms
from django.utils.translation import gettext_lazy as _

from stakeholders.models import City, Person


class GrantCoordinatorForm(forms.Form):
    city = forms.ModelChoiceField(
        label=_("City"),
        queryset=City.objects.order_by("name"),
        empty_label=_("Choose a city"),
        error_messages={"invalid_choice": _("Choose one of the cities in the list.")},
    )


class FlagRoleForm(forms.Form):
    value = forms.TypedChoiceField(
        label=_("Holds the role"),
        choices=[("1", _("Yes")), ("0", _("No"))],
        coerce=lambda value: value == "1",
    )


class OwnDetailsForm(forms.ModelForm):
    """What a person keeps up to date themselves. Their leg, sector, city and groups are
    set by the coordinator, since they decide the group's balance."""

    class Meta:
        model = Person
        fields = ["full_name", "role_title", "phone", "consent_to_contact", "reminders_enabled"]
        labels = {
            "consent_to_contact": _("The portal may contact me by email"),
            "reminders_enabled": _("Send me reminders before convenings"),
        }
        help_texts = {
            "consent_to_contact": _(
                "Invitations, reminders and landscape briefings come by email. Without this, "
                "your coordinator reaches you another way."
            ),
            "reminders_enabled": _(
                "Invitations and changes of time or place reach you either way."
            ),
        }
