from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkinggroupsConfig(AppConfig):
    name = "workinggroups"
    verbose_name = _("Working groups and convenings")

    def ready(self) -> None:
        # Connect the outbound ledger's receivers to the convening signals.
        # Mark the dashboard's city summaries stale when a record they count changes.
        from workinggroups import (
            outbound,  # noqa: F401
            progress_signals,
        )

        progress_signals.connect()
