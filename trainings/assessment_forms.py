"""The self-assessment form: confidence from 1 to 5 on each of the session's objectives, in
module order, and a few words of one's own."""

from django import forms
from django.utils.translation import gettext_lazy as _

from trainings.session_services import Objective

SCALE = [
    ("1", _("1: not at all confident")),
    ("2", _("2: a little")),
    ("3", _("3: somewhat")),
    ("4", _("4: quite")),
    ("5", _("5: very confident")),
]


def field_name(objective: Objective) -> str:
    return f"objective_{objective.position}"


class AssessmentForm(forms.Form):
    comments = forms.CharField(
        label=_("In your own words (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What you expect to learn, or what you learned; anything else to say."),
    )

    def __init__(self, *args, objectives: list[Objective], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.objectives = objectives
        fields = {}
        for objective in objectives:
            fields[field_name(objective)] = forms.ChoiceField(
                label=objective.text,
                choices=SCALE,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose how confident you are, from 1 to 5."),
                    "invalid_choice": _("Choose a number from 1 to 5."),
                },
            )
        # The objectives first, then the free text.
        self.fields = {**fields, "comments": self.fields["comments"]}

    def groups(self) -> list[tuple[object, list]]:
        """(module, bound fields) in module order, for one section per module."""
        out: list[tuple[object, list]] = []
        for objective in self.objectives:
            if not out or out[-1][0].pk != objective.module.pk:
                out.append((objective.module, []))
            out[-1][1].append(self[field_name(objective)])
        return out

    def confidence(self) -> dict[str, int]:
        """The answers as stored: objective position -> 1..5."""
        return {str(o.position): int(self.cleaned_data[field_name(o)]) for o in self.objectives}
