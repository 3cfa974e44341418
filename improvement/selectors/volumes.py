"""Reads of the daily count tables as gap-free day series."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Max, Min, QuerySet, Sum

from improvement.models import DailyThemeVolume, DailyTotalVolume


def _filtered(queryset: QuerySet, *, brand: str | None, channel: str | None) -> QuerySet:
    if brand:
        queryset = queryset.filter(brand=brand)
    if channel:
        queryset = queryset.filter(channel=channel)
    return queryset


def _series(queryset: QuerySet, *, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    counts = dict(
        queryset.filter(day__gte=start, day__lte=end).values("day").annotate(total=Sum("count")).values_list("day", "total")
    )
    days = (end - start).days + 1
    return [(start + dt.timedelta(days=offset), int(counts.get(start + dt.timedelta(days=offset), 0))) for offset in range(days)]


def volume_total_series(
    *, start: dt.date, end: dt.date, brand: str | None = None, channel: str | None = None
) -> list[tuple[dt.date, int]]:
    """All inbound cases per day from start to end inclusive, zeros on empty days."""
    return _series(_filtered(DailyTotalVolume.objects.all(), brand=brand, channel=channel), start=start, end=end)


def volume_theme_series(
    *, theme_ids: Iterable[int], start: dt.date, end: dt.date, brand: str | None = None, channel: str | None = None
) -> list[tuple[dt.date, int]]:
    """Cases of these themes (summed) per day from start to end inclusive, zeros on empty days."""
    queryset = DailyThemeVolume.objects.filter(theme_id__in=list(theme_ids))
    return _series(_filtered(queryset, brand=brand, channel=channel), start=start, end=end)


def volume_date_range() -> tuple[dt.date, dt.date] | None:
    """First and last day with any counted case, or None before the first case."""
    bounds = DailyTotalVolume.objects.aggregate(first=Min("day"), last=Max("day"))
    if bounds["first"] is None:
        return None
    return bounds["first"], bounds["last"]
