#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Read the settings first: Django's command line swallows a settings error (so that
        # `help` works) and then fails later with an unrelated AppRegistryNotReady, hiding
        # the variable that config/env.py names.
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as error:
        sys.stderr.write(
            f"{error}\nSet it in the environment (see README, Configuration); "
            "for development, DEBUG=1 needs nothing else.\n"
        )
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
