"""Curation jobs: a lead's split (of a selection, or k-means) run by a worker, with its progress and what it made."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CurationJob(models.Model):
    """One long curation operation requested in the browser or the API and executed by a task.

    The page polls its progress (steps done of steps total) and, once it succeeded, links to the themes it made.
    """

    class Kind(models.TextChoices):
        SPLIT_SELECTION = "split_selection", "Split the selected cases out as a new theme"
        SPLIT_KMEANS = "split_kmeans", "Split a theme by re-clustering it"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The theme split (k-means), or the theme every selected case had to come from (None: from anywhere).
    theme = models.ForeignKey(
        "improvement.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="curation_jobs"
    )
    case_ids = models.JSONField(default=list, blank=True)
    # {"label": ...} for a selection split, {"parts": n} for a k-means split.
    parameters = models.JSONField(default=dict, blank=True)
    result_theme_ids = models.JSONField(default=list, blank=True)
    steps_done = models.PositiveSmallIntegerField(default=0)
    steps_total = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
