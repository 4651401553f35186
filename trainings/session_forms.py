"""Forms for training sessions: when and where (the convening's own fields), what the session
covers and who delivers it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stakeholders.models import User
from trainings.models import TrainingModule, TrainingSession
from workinggroups.convening_forms import ConveningForm
from workinggroups.models import ConveningKind


class _ModuleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: TrainingModule) -> str:
        return f"{obj.title} ({obj.duration_minutes} min)"


class _TrainerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name()


class _WhatAndWhoMixin(forms.Form):
    modules = _ModuleChoice(
        label=_("Modules covered"),
        queryset=TrainingModule.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one module the session covers.")},
    )
    trainer = _TrainerChoice(
        label=_("Trainer from the network staff"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("None (a partner delivers it)"),
    )
    trainer_name = forms.CharField(
        label=_("Trainer from a partner"),
        max_length=200,
        required=False,
        help_text=_("The partner's name and organisation, when network staff do not deliver it."),
    )

    def _set_choices(self) -> None:
        self.fields["modules"].queryset = TrainingModule.objects.order_by("title")
        self.fields["trainer"].queryset = User.objects.filter(
            is_network_staff=True, is_active=True
        ).order_by("display_name", "email")

    def _check_trainer(self, cleaned: dict) -> None:
        named = cleaned.get("trainer") is not None or (cleaned.get("trainer_name") or "").strip()
        # An invalid choice of trainer already says what is wrong.
        if not named and "trainer" not in self.errors:
            self.add_error(
                "trainer_name",
                _("Name the trainer: choose one from the network staff or give a partner."),
            )


class TrainingSessionForm(_WhatAndWhoMixin, ConveningForm):
    """Schedule a training: the convening's fields (its kind is always "training") and the
    session's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["kind"]
        self._set_choices()
        # What the session covers comes right after its title: it is what people choose by.
        self.order_fields(["title", "modules", "trainer", "trainer_name"])

    def clean(self):
        cleaned = super().clean()
        cleaned["kind"] = ConveningKind.TRAINING
        self._check_trainer(cleaned)
        return cleaned


class TrainingSessionEditForm(_WhatAndWhoMixin):
    """Change what a session covers and who delivers it (its time and place are changed on
    the convening's own page)."""

    def __init__(self, *args, session: TrainingSession | None = None, **kwargs) -> None:
        if session is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "modules": [m.pk for m in session.modules.all()],
                "trainer": session.trainer_id,
                "trainer_name": session.trainer_name,
            }
        super().__init__(*args, **kwargs)
        self._set_choices()

    def clean(self):
        cleaned = super().clean()
        self._check_trainer(cleaned)
        return cleaned
