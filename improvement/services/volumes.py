"""Keeping the daily count tables true: recount only the days whose cases changed."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate

from cases.models import Case
from improvement.models import CaseTheme, DailyThemeVolume, DailyTotalVolume


def volume_time_zone() -> zoneinfo.ZoneInfo:
    """The zone whose calendar days the counts use (settings.TIME_ZONE)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _day_bounds(days: set[dt.date]) -> tuple[dt.datetime, dt.datetime]:
    zone = volume_time_zone()
    start = dt.datetime.combine(min(days), dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def volume_days_of_cases(*, case_ids: Iterable[int]) -> set[dt.date]:
    """The local calendar days on which these cases were received."""
    ids = list(case_ids)
    days: set[dt.date] = set()
    for start in range(0, len(ids), 5000):
        days.update(
            Case.objects.filter(id__in=ids[start : start + 5000])
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


@transaction.atomic
def daily_volumes_refresh(*, days: Iterable[dt.date] | None = None) -> int:
    """Recount the given days (all days when None) in both tables; returns the number of rows written.

    Safe to run twice and in any order: each day's rows are replaced by a fresh count of its cases.
    """
    wanted = set(days) if days is not None else volume_all_days()
    if days is None:
        DailyTotalVolume.objects.all().delete()
        DailyThemeVolume.objects.all().delete()
    if not wanted:
        return 0
    start, end = _day_bounds(wanted)
    zone = volume_time_zone()
    DailyTotalVolume.objects.filter(day__in=wanted).delete()
    DailyThemeVolume.objects.filter(day__in=wanted).delete()

    totals = (
        Case.objects.filter(received_at__gte=start, received_at__lt=end)
        .annotate(day=TruncDate("received_at", tzinfo=zone))
        .values("day", "brand", "channel")
        .annotate(count=Count("id"))
    )
    total_rows = [
        DailyTotalVolume(day=row["day"], brand=row["brand"], channel=row["channel"], count=row["count"])
        for row in totals
        if row["day"] in wanted
    ]
    theme_counts = (
        CaseTheme.objects.filter(theme__isnull=False, case__received_at__gte=start, case__received_at__lt=end)
        .annotate(day=TruncDate("case__received_at", tzinfo=zone))
        .values("day", "theme_id", "case__brand", "case__channel")
        .annotate(count=Count("case_id"))
    )
    theme_rows = [
        DailyThemeVolume(
            day=row["day"], theme_id=row["theme_id"], brand=row["case__brand"], channel=row["case__channel"],
            count=row["count"],
        )
        for row in theme_counts
        if row["day"] in wanted
    ]
    DailyTotalVolume.objects.bulk_create(total_rows, batch_size=5000)
    DailyThemeVolume.objects.bulk_create(theme_rows, batch_size=5000)
    return len(total_rows) + len(theme_rows)


def daily_volumes_refresh_for_cases(*, case_ids: Iterable[int]) -> int:
    """Recount the days on which these cases arrived (after ingest, assignment or a move)."""
    days = volume_days_of_cases(case_ids=case_ids)
    return daily_volumes_refresh(days=days) if days else 0
