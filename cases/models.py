"""A case: one inbound customer contact, stored exactly as received, plus what is derived from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    TWITTER = "twitter", "Twitter / X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"
    CALL = "call", "Call note"
    OTHER = "other", "Other"


class Case(models.Model):
    """One inbound contact. (channel, external_id) is the idempotency key: ingesting it twice stores it once."""

    channel = models.CharField(max_length=20, choices=Channel.choices)
    external_id = models.CharField(max_length=200)
    brand = models.CharField(max_length=100, db_index=True)
    author_handle = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    received_at = models.DateTimeField(db_index=True)
    reply_to_external_id = models.CharField(max_length=200, blank=True)
    thread_external_id = models.CharField(max_length=200, blank=True)
    raw_payload = models.JSONField(default=dict, blank=True)
    ingested_at = models.DateTimeField(auto_now_add=True)

    analysis_text = models.TextField(blank=True)
    # float32 little-endian bytes, the model's dimension long; empty until embedded.
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=100, blank=True)
    # The analysis text the stored embedding was computed from: a case is re-embedded only when it changes.
    embedded_text_hash = models.CharField(max_length=64, blank=True)
    embedded_at = models.DateTimeField(null=True, blank=True)
    # 0..1 from cases.sentiment.text_negativity, set at ingest; NULL only for a row not scored yet.
    negativity = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="case_unique_external_id_per_channel"),
        ]
        indexes = [
            models.Index(fields=["brand", "received_at"], name="case_brand_received"),
            models.Index(fields=["channel", "received_at"], name="case_channel_received"),
            models.Index(fields=["embedded_at"], name="case_embedded_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.external_id}"

    @property
    def is_embedded(self) -> bool:
        return self.embedded_at is not None


class CaseImport(models.Model):
    """One contacts file uploaded in the browser and imported by a task, with its progress and its outcome.

    The file's bytes are kept in the database (not MEDIA_ROOT): a worker on another machine shares the database
    but not this machine's disk, and the upload limit keeps a row small enough.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        SUCCEEDED = "succeeded", "Imported"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_imports"
    )
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=20)
    column_map = models.JSONField(default=dict, blank=True)
    default_brand = models.CharField(max_length=100, blank=True)
    default_channel = models.CharField(max_length=20, blank=True)
    encoding = models.CharField(max_length=40, default="utf-8")
    content = models.BinaryField(editable=False)
    size_bytes = models.PositiveBigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # Rows (CSV records) in the file, counted before importing; null until counted.
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    unreadable = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # [line, reason] of the unreadable and rejected rows, the first CASES_IMPORT_RECORDED_REJECTIONS of them.
    rejections = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.REFUSED, self.Status.FAILED)
