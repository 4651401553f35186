"""Load (or bring up to date) the SCN toolkit's foundational training modules.

The same six modules the demo seeds, without any demo people: a new deployment runs this once
so network staff start from the toolkit's catalogue rather than an empty one. Idempotent:
modules are found by slug; staff's own modules are left alone.
"""

from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load the SCN toolkit's foundational training modules (idempotent)."

    def handle(self, *args, **options) -> None:
        from stakeholders.demo.calendar import training_modules

        with transaction.atomic():
            modules = training_modules()
        self.stdout.write(f"{len(modules)} foundational modules in the catalogue.")
