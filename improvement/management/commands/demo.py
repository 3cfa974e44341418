"""`manage.py demo`: a running demo from nothing."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from cases.services.file_import import FORMATS, ImportFileError
from improvement.demo.seeding import (
    DEMO_PASSWORD,
    DEMO_SIMULATED_CASES,
    demo_cluster_cases,
    demo_database_is_empty,
    demo_load_cases,
    demo_seed_impact,
    demo_seed_people,
    demo_seed_workflow,
)


class Command(BaseCommand):
    help = "Seed an empty database with demo departments, users for every role and simulated data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and succeed) when the database already has data."
        )
        parser.add_argument("--cases-file", help="Load this CSV file instead of the simulated stream.")
        parser.add_argument("--format", choices=FORMATS, default="generic", help="Format of --cases-file.")
        parser.add_argument(
            "--cases", type=int, default=DEMO_SIMULATED_CASES, help="About how many simulated cases to load."
        )

    def handle(self, *args, **options):
        if not demo_database_is_empty():
            if options["if_empty"]:
                self.stdout.write("Database already has data; demo not seeded.")
                return
            raise CommandError("The demo only seeds an empty database; this one already has users or departments.")
        if options["cases_file"] is not None and not Path(options["cases_file"]).is_file():
            raise CommandError(f"--cases-file {options['cases_file']} is not a readable file")
        if options["cases_file"] is None and options["cases"] < 1:
            raise CommandError("--cases must be at least 1")
        started = time.perf_counter()
        # One transaction: a file that turns out unreadable leaves the database empty, so the demo can be rerun.
        try:
            with transaction.atomic(), tqdm(unit="case", desc="embedding", disable=options["verbosity"] == 0) as bar:
                result = demo_seed_people()
                cases = demo_load_cases(
                    cases_file=options["cases_file"],
                    file_format=options["format"],
                    total=options["cases"],
                    on_embedding_progress=lambda checked, _embedded: bar.update(checked),
                )
        except ImportFileError as error:
            raise CommandError(f"--cases-file {options['cases_file']}: {error}") from error
        self.stdout.write(
            f"Cases from the {cases.source}: {cases.created} created, {cases.duplicates} duplicates, "
            f"{cases.rejected} rejected; {cases.embedded} embedded in {time.perf_counter() - started:.0f}s."
        )
        for line in cases.file_report:
            self.stdout.write(f"  {line}")
        with transaction.atomic():
            run = demo_cluster_cases()
            self.stdout.write(run.message)
            workflow = demo_seed_workflow()
            self.stdout.write(workflow.message)
            impact = demo_seed_impact()
            self.stdout.write(impact.message)
            for line in impact.lines:
                self.stdout.write(f"  {line}")
        self.stdout.write(f"Demo seeded in {time.perf_counter() - started:.0f}s.")
        self.stdout.write(self.style.SUCCESS(f"Demo ready: departments {', '.join(result.departments)}."))
        self.stdout.write(f"Logins (password '{DEMO_PASSWORD}' for each):")
        for username, role in result.logins:
            self.stdout.write(f"  {username:<24} {role}")
