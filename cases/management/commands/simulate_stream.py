"""`manage.py simulate_stream --out FILE`: write the simulated demo stream as a `generic`-format CSV."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from cases.simulation import DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_TOTAL, fix_date, simulation_write_csv


class Command(BaseCommand):
    help = "Write the SIMULATED contact stream (invented brands and problems) as a generic-format CSV."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="CSV file to write.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
        parser.add_argument("--total", type=int, default=DEFAULT_TOTAL, help="About how many contacts.")
        parser.add_argument("--end", type=datetime.date.fromisoformat, default=None, help="Last day (default today).")

    def handle(self, *args, **options):
        if options["days"] < 1 or options["total"] < 1:
            raise CommandError("--days and --total must be at least 1")
        end = options["end"] or datetime.date.today()
        written = simulation_write_csv(
            path=options["out"], seed=options["seed"], days=options["days"], end=end, total=options["total"]
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {written} simulated contacts to {options['out']} "
                f"(fixed problem falls from {fix_date(end=end, days=options['days'])})."
            )
        )
