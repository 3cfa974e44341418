"""Reads of the daily count tables: gap-free day series, and the one definition of a theme's volume and trend.

Every window ends on a calendar day in settings.TIME_ZONE: `as_of` when given, else the last counted day
(today before anything is counted), so an imported history shows its own last weeks, not the wall clock's.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.models import Case
from improvement.models import DailyThemeVolume, DailyTotalVolume

# The short window of a theme's trend (this week against the week before) and the long window of its volume.
RECENT_WINDOW_DAYS = 7
LONG_WINDOW_DAYS = 28
DAY_QUERY_CHUNK_SIZE = 5000
TREND_DECIMALS = 4


def _filtered(queryset: QuerySet, *, brand: str | None, channel: str | None) -> QuerySet:
    if brand:
        queryset = queryset.filter(brand=brand)
    if channel:
        queryset = queryset.filter(channel=channel)
    return queryset


def _series(queryset: QuerySet, *, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    counts = dict(
        queryset.filter(day__gte=start, day__lte=end)
        .values("day")
        .annotate(total=Sum("count"))
        .values_list("day", "total")
    )
    days = (end - start).days + 1
    return [
        (start + dt.timedelta(days=offset), int(counts.get(start + dt.timedelta(days=offset), 0)))
        for offset in range(days)
    ]


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


def volume_time_zone() -> zoneinfo.ZoneInfo:
    """The zone whose calendar days the counts use (settings.TIME_ZONE)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def volume_days_of_cases(*, case_ids: Iterable[int]) -> set[dt.date]:
    """The local calendar days on which these cases were received."""
    ids = list(case_ids)
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        # One array parameter (`= ANY`) instead of thousands of IN placeholders: after a 5,000-case ingest the
        # IN list took most of the after-ingest recount's time in parsing and planning.
        table = connection.ops.quote_name(Case._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT (received_at AT TIME ZONE %s)::date FROM {table} WHERE id = ANY(%s::bigint[])",
                [settings.TIME_ZONE, ids],
            )
            return {row[0] for row in cursor.fetchall()}
    days: set[dt.date] = set()
    for start in range(0, len(ids), DAY_QUERY_CHUNK_SIZE):
        days.update(
            Case.objects.filter(id__in=ids[start : start + DAY_QUERY_CHUNK_SIZE])
            .annotate(day=TruncDate("received_at", tzinfo=volume_time_zone()))
            .values_list("day", flat=True)
            .distinct()
        )
    return days


def volume_all_days() -> set[dt.date]:
    """Every local day from the first case to the last (empty without cases)."""
    bounds = Case.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
    if bounds["first"] is None:
        return set()
    zone = volume_time_zone()
    first, last = bounds["first"].astimezone(zone).date(), bounds["last"].astimezone(zone).date()
    return {first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)}


def volume_window_end(*, as_of: dt.date | None = None) -> dt.date:
    """The last day of every volume window: `as_of`, else the last counted day (today when nothing is counted)."""
    if as_of is not None:
        return as_of
    bounds = volume_date_range()
    return bounds[1] if bounds else timezone.localdate()


def volume_change(*, current: int, previous: int) -> float | None:
    """The one trend: (current - previous) / previous, so 0.5 is half as many again and -1.0 none any more.

    None when the previous window had no cases (a change from nothing has no ratio).
    """
    if previous == 0:
        return None
    return (current - previous) / previous


@dataclass(frozen=True)
class ThemeVolume:
    """A theme's cases in the windows ending on one day: the last 7 and the 7 before, the last 28 and the 28 before.

    `trend` is the change of the last 7 days against the 7 before them (volume_change), to 4 decimals.
    """

    last_7_days: int
    previous_7_days: int
    last_28_days: int
    previous_28_days: int

    @property
    def trend(self) -> float | None:
        change = volume_change(current=self.last_7_days, previous=self.previous_7_days)
        return None if change is None else round(change, TREND_DECIMALS)


EMPTY_VOLUME = ThemeVolume(last_7_days=0, previous_7_days=0, last_28_days=0, previous_28_days=0)


def volume_rollup(volumes: Iterable[ThemeVolume]) -> ThemeVolume:
    """The volume of several themes read as one (a theme group): each window summed, the trend from the sums."""
    sums = [0, 0, 0, 0]
    for volume in volumes:
        for index, count in enumerate(
            (volume.last_7_days, volume.previous_7_days, volume.last_28_days, volume.previous_28_days)
        ):
            sums[index] += count
    return ThemeVolume(*sums)


def theme_volumes(
    *,
    theme_ids: Iterable[int],
    as_of: dt.date | None = None,
    brand: str | None = None,
    channel: str | None = None,
) -> dict[int, ThemeVolume]:
    """Each theme's ThemeVolume in the windows ending on volume_window_end(as_of), from the daily counts."""
    ids = sorted(set(theme_ids))
    if not ids:
        return {}
    end = volume_window_end(as_of=as_of)
    start = end - dt.timedelta(days=2 * LONG_WINDOW_DAYS - 1)
    recent_start = end - dt.timedelta(days=RECENT_WINDOW_DAYS - 1)
    previous_recent_start = recent_start - dt.timedelta(days=RECENT_WINDOW_DAYS)
    long_start = end - dt.timedelta(days=LONG_WINDOW_DAYS - 1)
    rows = _filtered(
        DailyThemeVolume.objects.filter(theme_id__in=ids, day__gte=start, day__lte=end), brand=brand, channel=channel
    ).values_list("theme_id", "day", "count")
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for theme_id, day, count in rows:
        window = sums[theme_id]
        if day >= recent_start:
            window[0] += count
        elif day >= previous_recent_start:
            window[1] += count
        if day >= long_start:
            window[2] += count
        else:
            window[3] += count
    return {theme_id: ThemeVolume(*sums[theme_id]) if theme_id in sums else EMPTY_VOLUME for theme_id in ids}
