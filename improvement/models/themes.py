"""Themes (recurring reasons for contact), the clustering runs that find them, and case assignments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The longest theme label, custom or from the model.
LABEL_MAX_LENGTH = 200
# The longest description of a seeded theme (from a lead's taxonomy).
SEED_DESCRIPTION_MAX_LENGTH = 1000


class ClusteringRun(models.Model):
    """One fit of the theme model over stored embeddings; its result is swapped in atomically or not at all."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", "Nightly"
        API = "api", "API"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command"
        DEMO = "demo", "Demo"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.API)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parameters = models.JSONField(default=dict, blank=True)
    model_versions = models.JSONField(default=dict, blank=True)
    case_count = models.PositiveIntegerField(default=0)
    theme_count = models.PositiveIntegerField(default=0)
    new_theme_count = models.PositiveIntegerField(default=0)
    matched_theme_count = models.PositiveIntegerField(default=0)
    dormant_theme_count = models.PositiveIntegerField(default=0)
    outlier_share = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Touched by the running worker every CLUSTERING_RUN_HEARTBEAT_SECONDS; a stale one means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one run pending or running: concurrent requests cannot start runs side by side.
            models.UniqueConstraint(
                models.Value(True),
                condition=models.Q(status__in=["pending", "running"]),
                name="clustering_run_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Clustering run {self.pk} ({self.status})"


class ThemeGroup(models.Model):
    """A parent theme: a named set of themes a team lead reads together (proposed from centroids, edited by leads)."""

    name = models.CharField(max_length=LABEL_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Theme(models.Model):
    """A recurring reason for contact. Its id, label and links survive refits; it is never deleted."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DORMANT = "dormant", "Dormant"
        MERGED = "merged", "Merged"

    class SnoozeKind(models.TextChoices):
        ESCALATION = "escalation", "Until it escalates"
        DATE = "date", "Until a date"

    label = models.CharField(max_length=LABEL_MAX_LENGTH)
    # A label edited by a team lead; no label is ever changed by a refit, custom or not.
    is_label_custom = models.BooleanField(default=False)
    model_label = models.CharField(max_length=LABEL_MAX_LENGTH, blank=True)
    # The refit's label when it differs from the theme's: a team lead accepts it with one click (or ignores it).
    suggested_label = models.CharField(max_length=LABEL_MAX_LENGTH, blank=True)
    # Emptied before a group can be deleted (theme_group_delete), so a group never vanishes under its themes.
    group = models.ForeignKey(ThemeGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="themes")
    keywords = models.JSONField(default=list, blank=True)
    representative_case_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from")
    # float32 little-endian bytes: the mean of member embeddings, normalised; used to match refits and assign.
    centroid = models.BinaryField(null=True, blank=True, editable=False)
    size = models.PositiveIntegerField(default=0)
    first_run = models.ForeignKey(ClusteringRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_seen_run = models.ForeignKey(ClusteringRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Seeded from a lead's taxonomy: its centroid is its phrases' (never refitted), a refit never matches or merges it.
    is_seeded = models.BooleanField(default=False)
    description = models.TextField(max_length=SEED_DESCRIPTION_MAX_LENGTH, blank=True)
    seed_examples = models.JSONField(default=list, blank=True)
    # Snoozed themes leave the default list until a date, or until their daily volume escalates.
    snooze_kind = models.CharField(max_length=20, choices=SnoozeKind.choices, blank=True, default="")
    snoozed_until = models.DateField(null=True, blank=True)
    snoozed_at = models.DateTimeField(null=True, blank=True)
    snooze_baseline = models.FloatField(null=True, blank=True)
    # Set when a snoozed theme came back because its volume escalated (the "escalating" badge); cleared on snooze.
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-size", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_snoozed(self) -> bool:
        return bool(self.snooze_kind)

    @property
    def is_escalating(self) -> bool:
        return self.escalated_at is not None and not self.snooze_kind


class CaseTheme(models.Model):
    """Which theme a case belongs to now (none while unassigned). Kept on the improvement side: cases know no themes."""

    class Source(models.TextChoices):
        FIT = "fit", "Clustering run"
        INCREMENTAL = "incremental", "Nearest theme on arrival"
        MANUAL = "manual", "Moved by a team lead"

    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="theme_link")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.PROTECT, related_name="case_links")
    source = models.CharField(max_length=20, choices=Source.choices)
    similarity = models.FloatField(null=True, blank=True)
    run = models.ForeignKey(ClusteringRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["theme", "case"], name="casetheme_theme_case")]

    def __str__(self) -> str:
        return f"case {self.case_id} → theme {self.theme_id}"


class ThemeEvent(models.Model):
    """History of a theme (created, renamed, merged, split, cases moved, gone dormant, back again, regrouped) and
    of theme groups. Each records who did it: `actor` for a person, `run` for a clustering run."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        RENAMED = "renamed", "Renamed"
        MERGED = "merged", "Merged"
        SPLIT = "split", "Split"
        CASES_MOVED = "cases_moved", "Cases moved"
        DORMANT = "dormant", "Went dormant"
        REACTIVATED = "reactivated", "Reactivated"
        LABEL_SUGGESTED = "label_suggested", "Label suggested"
        GROUP_CREATED = "group_created", "Group created"
        GROUP_RENAMED = "group_renamed", "Group renamed"
        GROUP_DELETED = "group_deleted", "Group deleted"
        REGROUPED = "regrouped", "Moved"

        SEEDED = "seeded", "Seeded from a taxonomy"
        SNOOZED = "snoozed", "Snoozed"
        UNSNOOZED = "unsnoozed", "Unsnoozed"
        ESCALATED = "escalated", "Escalated while snoozed"

    # None for an event of a group alone (a group created empty or deleted); `data` keeps the group's name.
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    group = models.ForeignKey(ThemeGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(ClusteringRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.theme_id} {self.kind}"
