"""`manage.py seed_demo`: create or refresh the demo data (see stakeholders/demo/)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from stakeholders import demo


class Command(BaseCommand):
    # A plain string, as in Django's own commands: argparse cannot format a lazy translation.
    help = (
        "Create or refresh the demo: five pilot cities, their groups, convenings, trainings, "
        "briefings and demo accounts. Safe to run again: the data comes out the same."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        result = demo.seed(password=settings.DEMO_PASSWORD)
        counts = ", ".join(f"{label}: {count}" for label, count in result.counts)
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo data ready in %(seconds).1f s. %(counts)s.")
                % {"seconds": time.monotonic() - started, "counts": counts}
            )
        )
