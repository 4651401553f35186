"""Forms of the invitation pages: choosing a password when accepting an invitation."""

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from stakeholders.models import User


class AcceptInvitationForm(forms.Form):
    """A new password, typed twice and checked by the portal's password validators."""

    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Type the same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The validators compare the password with the address it will sign in with.
        self.account = User(email=email.lower())
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1:
            try:
                password_validation.validate_password(password1, self.account)
            except ValidationError as error:
                self.add_error("password1", error)
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2",
                ValidationError(_("The two passwords are not the same."), code="mismatch"),
            )
        return cleaned


class LinkAccountForm(forms.Form):
    """No fields: the address already has an account, which keeps its own password."""
