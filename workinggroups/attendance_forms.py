"""Forms of the attendance page: who came, the minutes, a new action item."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Person


class _PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.full_name} ({obj.get_leg_display()})"


class AttendanceForm(forms.Form):
    present = _PersonChoice(
        label=_("Who came"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, people, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = Person.objects.filter(
            pk__in=[p.pk for p in people]
        ).order_by("leg", "full_name")


class ActionItemForm(forms.Form):
    description = forms.CharField(label=_("What"), max_length=500)
    owner = forms.ModelChoiceField(label=_("Who"), queryset=Person.objects.none(), required=False)
    due_on = forms.DateField(
        label=_("Due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, members, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members
