from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from stakeholders.models import City


class AuditFilterForm(forms.Form):
    city = forms.ModelChoiceField(
        label=_("City"),
        queryset=City.objects.order_by("name"),
        required=False,
        empty_label=_("All cities"),
    )
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("All actions")), *AuditAction.choices], required=False
    )
    person = forms.CharField(
        label=_("Person or account"),
        required=False,
        max_length=200,
        help_text=_("Part of a name or email address, of who acted or whom it concerned."),
    )
