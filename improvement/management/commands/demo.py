"""`manage.py demo`: a running demo from nothing."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.models import Case
from cases.services.file_import import FORMATS, ImportFileError
from core.progress import count_progress
from improvement.demo.seeding import (
    DEMO_PASSWORD,
    DEMO_SIMULATED_CASES,
    demo_cluster_cases,
    demo_curate_themes,
    demo_database_is_empty,
    demo_existing_data,
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

    embedding_bar = None

    def _embedding_bar(self, options):
        # Created on the first progress report: the total is known only once the cases are loaded.
        if self.embedding_bar is None:
            self.embedding_bar = count_progress(
                label="embedding",
                noun="cases",
                total=Case.objects.count(),
                file=self.stderr._out,
                disable=options["verbosity"] == 0,
            )
        return self.embedding_bar

    def handle(self, *args, **options):
        self.embedding_bar = None
        if not demo_database_is_empty():
            if options["if_empty"]:
                not_loaded = f" and {options['cases_file']} was not loaded" if options["cases_file"] else ""
                self.stdout.write(f"Database already has data ({demo_existing_data()}): demo not seeded{not_loaded}.")
                self.stdout.write(
                    "  To add a file's cases to it: make import FILE=path.csv FORMAT=generic|airline|twcs; "
                    "to start over from an empty database: make reset, then make run."
                )
                return
            raise CommandError("The demo only seeds an empty database; this one already has users or departments.")
        if options["cases_file"] is not None and not Path(options["cases_file"]).is_file():
            raise CommandError(f"--cases-file {options['cases_file']} is not a readable file")
        if options["cases_file"] is None and options["cases"] < 1:
            raise CommandError("--cases must be at least 1")
        started = time.perf_counter()
        # One transaction: a file that turns out unreadable leaves the database empty, so the demo can be rerun.
        try:
            with transaction.atomic():
                result = demo_seed_people()
                cases = demo_load_cases(
                    cases_file=options["cases_file"],
                    file_format=options["format"],
                    total=options["cases"],
                    on_embedding_progress=lambda checked, _embedded: self._embedding_bar(options).update(checked),
                )
        except ImportFileError as error:
            raise CommandError(f"--cases-file {options['cases_file']}: {error}") from error
        finally:
            if self.embedding_bar is not None:
                self.embedding_bar.close()
        self.stdout.write(
            f"Cases from the {cases.source}: {cases.created:,} created, {cases.duplicates:,} duplicates, "
            f"{cases.rejected:,} rejected; {cases.embedded:,} embedded in {time.perf_counter() - started:.0f}s "
            f"[ingest {cases.ingest_seconds:.1f}s, embedding {cases.embed_seconds:.1f}s]."
        )
        for line in cases.file_report:
            self.stdout.write(f"  {line}")
        with transaction.atomic():
            stage_started = time.perf_counter()
            run = demo_cluster_cases()
            self.stdout.write(f"{run.message} [stage {time.perf_counter() - stage_started:.1f}s]")
            stage_started = time.perf_counter()
            self.stdout.write(f"{demo_curate_themes().message} [stage {time.perf_counter() - stage_started:.1f}s]")
            stage_started = time.perf_counter()
            workflow = demo_seed_workflow()
            self.stdout.write(f"{workflow.message} [stage {time.perf_counter() - stage_started:.1f}s]")
            stage_started = time.perf_counter()
            impact = demo_seed_impact()
            self.stdout.write(f"{impact.message} [stage {time.perf_counter() - stage_started:.1f}s]")
            for line in impact.lines:
                self.stdout.write(f"  {line}")
        self.stdout.write(f"Demo seeded in {time.perf_counter() - started:.0f}s: {demo_existing_data()}.")
        self.stdout.write(self.style.SUCCESS(f"Demo ready: departments {', '.join(result.departments)}."))
        self.stdout.write(f"Logins (password '{DEMO_PASSWORD}' for each):")
        for username, role in result.logins:
            self.stdout.write(f"  {username:<24} {role}")
