"""Run a clustering run now, in this process, and print what it found."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from improvement.models import ClusteringRun
from improvement.themes.services.runs import clustering_run_execute


class Command(BaseCommand):
    help = "Fit the themes over every embedded case now (in this process) and swap them in; prints the run."

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                run = ClusteringRun.objects.create(trigger=ClusteringRun.Trigger.COMMAND)
        except IntegrityError as error:
            raise CommandError("Another clustering run is pending or running; wait for it or cancel it.") from error
        self.stdout.write(f"Clustering run {run.pk}: fitting themes over the embedded cases...")
        run = clustering_run_execute(run_id=run.pk)
        if run.status != ClusteringRun.Status.SUCCEEDED:
            raise CommandError(f"Clustering run {run.pk} failed: {run.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Clustering run {run.pk} succeeded in {run.duration_seconds:.1f}s: {run.case_count} cases, "
                f"{run.theme_count} themes ({run.new_theme_count} new, {run.matched_theme_count} kept), "
                f"{run.dormant_theme_count} gone dormant, outlier share {run.outlier_share:.1%}."
            )
        )
