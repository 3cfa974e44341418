"""Daily count rows with a known effect, written straight into the volume tables for the impact tests."""

from __future__ import annotations

import datetime

import numpy as np
from django.db.models import F

from improvement.models import DailyThemeVolume, DailyTotalVolume, Theme

START = datetime.date(2025, 6, 2)
PRE_DAYS = 120
SHIP_DATE = START + datetime.timedelta(days=PRE_DAYS)
WEEKDAY_FACTORS = (1.25, 1.15, 1.05, 1.0, 0.95, 0.8, 0.8)


def volume_rows_create(
    *,
    theme: Theme,
    theme_levels: list[float],
    other_level: float = 400.0,
    start: datetime.date = START,
    seed: int = 7,
) -> list[datetime.date]:
    """Write one day per level: the theme's Poisson count around its level and the total with the other contacts.

    Both follow the same weekday rhythm; a later call for another theme on the same days adds that theme
    to the existing total. Returns the days written.
    """
    generator = np.random.default_rng(seed)
    days = []
    for offset, level in enumerate(theme_levels):
        day = start + datetime.timedelta(days=offset)
        factor = WEEKDAY_FACTORS[day.weekday()]
        theme_count = int(generator.poisson(level * factor))
        other_count = int(generator.poisson(other_level * factor))
        DailyThemeVolume.objects.create(day=day, theme=theme, brand="acme", channel="twitter", count=theme_count)
        # A second theme on the same days adds its contacts to the total (the other contacts are shared).
        total, created = DailyTotalVolume.objects.get_or_create(
            day=day, brand="acme", channel="twitter", defaults={"count": theme_count + other_count}
        )
        if not created:
            DailyTotalVolume.objects.filter(pk=total.pk).update(count=F("count") + theme_count)
        days.append(day)
    return days


def levels(*segments: tuple[int, float]) -> list[float]:
    """Daily levels from (number of days, level) segments."""
    return [level for length, level in segments for _ in range(length)]
