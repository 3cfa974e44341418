"""`manage.py embed_cases`: backfill embeddings for cases not embedded yet or whose analysis text changed."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from cases.models import Case
from cases.services.embedding import ENCODE_BATCH_SIZE, case_embed_pending
from core.progress import count_progress


class Command(BaseCommand):
    help = "Embed every case that has no embedding yet or whose analysis text changed since it was embedded."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk-size", type=int, default=None, help="Cases read and written at a time (CASES_EMBED_CHUNK_SIZE)."
        )
        parser.add_argument(
            "--batch-size", type=int, default=ENCODE_BATCH_SIZE, help="Texts per model batch (default: the backend's)."
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        with count_progress(
            label="embedding",
            noun="cases checked",
            total=Case.objects.count(),
            file=self.stderr._out,
            disable=options["verbosity"] == 0,
        ) as bar:
            embedded = case_embed_pending(
                batch_size=options["batch_size"],
                chunk_size=options["chunk_size"],
                on_progress=lambda checked, _embedded: bar.update(checked),
            )
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Embedded {embedded:,} case(s) in {seconds:.1f}s; "
                f"{Case.objects.count() - embedded:,} already up to date."
            )
        )
