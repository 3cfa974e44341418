"""Theme alerts: a theme flagged as spiking or emerging on a counted day."""

from __future__ import annotations

from django.db import models


class ThemeAlert(models.Model):
    """A theme flagged on one day as spiking (far above its expected level) or emerging (new and growing)."""

    class Kind(models.TextChoices):
        SPIKING = "spiking", "Spiking"
        EMERGING = "emerging", "Emerging"

    theme = models.ForeignKey("improvement.Theme", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The last counted day of the window that was checked.
    detected_on = models.DateField()
    window_start = models.DateField()
    observed = models.PositiveIntegerField()
    expected = models.FloatField()
    upper_bound = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the team leads' email was claimed for sending, so a task run twice sends once.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "kind", "detected_on"], name="themealert_unique_per_day"),
        ]
        indexes = [models.Index(fields=["detected_on", "kind"], name="themealert_day_kind")]

    def __str__(self) -> str:
        return f"theme {self.theme_id} {self.kind} on {self.detected_on}"
