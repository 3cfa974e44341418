"""Daily contact counts, kept up to date as cases arrive and join themes, so no page scans the cases table."""

from __future__ import annotations

from django.db import models


class DailyTotalVolume(models.Model):
    """All inbound cases of one day (in the configured time zone), by brand and channel."""

    day = models.DateField()
    brand = models.CharField(max_length=100)
    channel = models.CharField(max_length=20)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "brand", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["day", "brand", "channel"], name="dailytotalvolume_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.brand}/{self.channel}: {self.count}"


class DailyThemeVolume(models.Model):
    """Cases of one theme on one day (in the configured time zone), by brand and channel."""

    day = models.DateField()
    theme = models.ForeignKey("improvement.Theme", on_delete=models.CASCADE, related_name="daily_volumes")
    brand = models.CharField(max_length=100)
    channel = models.CharField(max_length=20)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "theme", "brand", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["day", "theme", "brand", "channel"], name="dailythemevolume_unique_key"),
        ]
        indexes = [models.Index(fields=["theme", "day"], name="dailythemevolume_theme_day")]

    def __str__(self) -> str:
        return f"{self.day} theme {self.theme_id} {self.brand}/{self.channel}: {self.count}"
