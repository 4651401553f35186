from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = _("Cities and stakeholders")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_removed

        from stakeholders.middleware import forget_mfa_confirmation

        authenticator_removed.connect(forget_mfa_confirmation, dispatch_uid="portal-mfa-removed")

        from django.db.models.signals import pre_save

        from stakeholders.models import User
        from stakeholders.signals import end_sessions_of_disabled_account

        pre_save.connect(
            end_sessions_of_disabled_account, sender=User, dispatch_uid="portal-disabled-sessions"
        )

        from django.db.models.signals import post_delete, post_save

        from stakeholders.models import CityUserObjectPermission
        from stakeholders.signals import sync_coordinator_flag

        for signal in (post_save, post_delete):
            signal.connect(
                sync_coordinator_flag,
                sender=CityUserObjectPermission,
                dispatch_uid=f"portal-coordinator-flag-{signal is post_save}",
            )
