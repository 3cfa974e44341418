"""Keeping the daily count tables true: recount only the days whose cases changed.

Totals (all inbound cases) are recounted for the days new cases arrived on, scheduled by ingest; theme counts
for the days whose cases changed theme (assignment, refit, merge, split, move); both tables in full each night.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from cases.models import Case
from improvement.models import CaseTheme, DailyThemeVolume, DailyTotalVolume
from improvement.volumes.selectors import volume_all_days, volume_days_of_cases, volume_time_zone

WRITE_BATCH_SIZE = 5000
# Keys of the transaction-level advisory locks under which one recount of a table runs at a time (fixed numbers).
TOTALS_RECOUNT_LOCK = 170_001
THEME_COUNTS_RECOUNT_LOCK = 170_002


def _advisory_lock_until_commit(lock_key: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key])


def daily_theme_recounts_serialise() -> None:
    """Wait until no other assignment recounts theme days, and hold that turn until commit.

    A recount deletes a day's rows and inserts fresh ones; two at once on the same day (workers placing chunks of
    new cases side by side, holding the themes only against a swap) would each insert a full set. Swaps and
    curation hold every theme FOR UPDATE, which already keeps them apart from assignments and from each other.
    """
    _advisory_lock_until_commit(THEME_COUNTS_RECOUNT_LOCK)


def _day_bounds(days: set[dt.date]) -> tuple[dt.datetime, dt.datetime]:
    zone = volume_time_zone()
    start = dt.datetime.combine(min(days), dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _received_on(days: set[dt.date], *, field: str = "received_at") -> Q:
    """Cases received on one of these local days: one range per run of consecutive days.

    Scattered days (a late case in an old month) would otherwise recount every case between the first and last.
    """
    ordered = sorted(days)
    runs: list[list[dt.date]] = [[ordered[0], ordered[0]]]
    for day in ordered[1:]:
        if day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    condition = Q()
    for first, last in runs:
        start, end = _day_bounds({first, last})
        condition |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return condition


def _totals_recount(wanted: set[dt.date]) -> int:
    # Ingest requests side by side recount the same days; one at a time, or each would insert a full set.
    _advisory_lock_until_commit(TOTALS_RECOUNT_LOCK)
    DailyTotalVolume.objects.filter(day__in=wanted).delete()
    totals = (
        Case.objects.filter(_received_on(wanted))
        .annotate(day=TruncDate("received_at", tzinfo=volume_time_zone()))
        .values("day", "brand", "channel")
        .annotate(count=Count("id"))
        .order_by()
    )
    rows = [
        DailyTotalVolume(day=row["day"], brand=row["brand"], channel=row["channel"], count=row["count"])
        for row in totals
        if row["day"] in wanted
    ]
    DailyTotalVolume.objects.bulk_create(rows, batch_size=WRITE_BATCH_SIZE)
    return len(rows)


def _theme_counts_recount(wanted: set[dt.date]) -> int:
    DailyThemeVolume.objects.filter(day__in=wanted).delete()
    counts = (
        CaseTheme.objects.filter(_received_on(wanted, field="case__received_at"), theme__isnull=False)
        .annotate(day=TruncDate("case__received_at", tzinfo=volume_time_zone()))
        .values("day", "theme_id", "case__brand", "case__channel")
        .annotate(count=Count("case_id"))
    )
    rows = [
        DailyThemeVolume(
            day=row["day"],
            theme_id=row["theme_id"],
            brand=row["case__brand"],
            channel=row["case__channel"],
            count=row["count"],
        )
        for row in counts
        if row["day"] in wanted
    ]
    DailyThemeVolume.objects.bulk_create(rows, batch_size=WRITE_BATCH_SIZE)
    return len(rows)


def _planner_statistics_refresh() -> None:
    # After every row of both tables is replaced, PostgreSQL's statistics still describe the old rows until
    # autovacuum catches up; with them the dashboard's period query took a bitmap plan twice as slow (34 vs 70 ms
    # over 81,000 rows at 1M cases).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DailyTotalVolume._meta.db_table}, {DailyThemeVolume._meta.db_table}")


@transaction.atomic
def daily_volumes_refresh(*, days: Iterable[dt.date] | None = None) -> int:
    """Recount the given days (all days when None) in both tables; returns the number of rows written.

    Safe to run twice and in any order: each day's rows are replaced by a fresh count of its cases.
    """
    wanted = set(days) if days is not None else volume_all_days()
    if days is None:
        _advisory_lock_until_commit(TOTALS_RECOUNT_LOCK)
        DailyTotalVolume.objects.all().delete()
        DailyThemeVolume.objects.all().delete()
    if not wanted:
        return 0
    written = _totals_recount(wanted) + _theme_counts_recount(wanted)
    if days is None:
        _planner_statistics_refresh()
    return written


@transaction.atomic
def daily_theme_volumes_refresh(*, days: Iterable[dt.date] | None = None) -> int:
    """Recount the theme counts of the given days (all days when None); returns the number of rows written."""
    wanted = set(days) if days is not None else volume_all_days()
    if days is None:
        DailyThemeVolume.objects.all().delete()
    if not wanted:
        return 0
    return _theme_counts_recount(wanted)


def daily_volumes_refresh_for_cases(*, case_ids: Iterable[int]) -> int:
    """Recount both tables for the days on which these cases arrived."""
    days = volume_days_of_cases(case_ids=case_ids)
    return daily_volumes_refresh(days=days) if days else 0


@transaction.atomic
def daily_totals_refresh_for_cases(*, case_ids: Iterable[int]) -> int:
    """Recount the totals of the days on which these cases arrived (after ingest)."""
    days = volume_days_of_cases(case_ids=case_ids)
    return _totals_recount(days) if days else 0


def daily_theme_volumes_refresh_for_cases(*, case_ids: Iterable[int]) -> int:
    """Recount the theme counts of the days on which these cases arrived (after assignment, a move, a merge)."""
    days = volume_days_of_cases(case_ids=case_ids)
    return daily_theme_volumes_refresh(days=days) if days else 0
