from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = _("Cities and stakeholders")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_removed

        from stakeholders.middleware import forget_mfa_confirmation

        authenticator_removed.connect(forget_mfa_confirmation, dispatch_uid="portal-mfa-removed")
