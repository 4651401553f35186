"""`manage.py seed_scale`: a large synthetic data set for `make bench` (see stakeholders/scale.py).

Writes millions of rows; the data is marked (slugs start with "scale-") so --flush removes it
without touching the demo's.
"""

import time
from dataclasses import fields, replace

from django.core.management.base import BaseCommand, CommandError

from stakeholders import scale


class Command(BaseCommand):
    help = "Build a large synthetic data set (cities, people, convenings, ...) for benchmarks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--size", choices=sorted(scale.SIZES), default="full")
        for field in fields(scale.Sizes):
            parser.add_argument(
                f"--{field.name}",
                type=int,
                help=f"Number of {field.name} (overrides --size).",
            )
        parser.add_argument("--flush", action="store_true", help="Delete scale data first.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Confirm writing more than the tiny size (millions of rows at the full size).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same data each time)."
        )

    def handle(self, *args, **options) -> None:
        sizes = self._sizes(options)
        if sizes.exceeds(scale.SIZES["tiny"]) and not options["yes"]:
            raise CommandError(f"This writes {sizes}; pass --yes to go ahead.")
        if options["flush"]:
            self.stdout.write("Deleting previous scale data:")
            scale.flush(out=self.stdout)
        elif scale.sizes_present().cities:
            raise CommandError("Scale data is already there; pass --flush to replace it.")
        self.stdout.write(f"Writing {sizes}:")
        start = time.perf_counter()
        try:
            tables = scale.ScaleBuilder(sizes, seed=options["seed"], out=self.stdout).build()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - start
        rows = sum(count for count, _ in tables.values())
        self.stdout.write(
            self.style.SUCCESS(f"{rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        )

    def _sizes(self, options) -> scale.Sizes:
        asked = {
            f.name: options[f.name] for f in fields(scale.Sizes) if options[f.name] is not None
        }
        sizes = replace(scale.SIZES[options["size"]], **asked)
        try:
            scale.check_sizes(sizes)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        return sizes
