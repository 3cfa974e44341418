"""What every dashboard shares: the landing page by role, the owner's departments, the period and brand/channel
filters, and small helpers over the daily theme counts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet, Sum

from improvement.models import DailyThemeVolume, DailyTotalVolume, Department
from improvement.permissions import user_is_admin, user_is_department_owner, user_is_executive, user_is_team_lead
from improvement.volumes.selectors import volume_date_range, volume_window_end

DEFAULT_RANGE_DAYS = 180


def landing_url_name_for(user: User) -> str:
    """The URL name of the first page a user sees after logging in, by role."""
    if user_is_executive(user):
        return "dashboards:executive"
    if user_is_team_lead(user):
        return "dashboards:lead"
    if user_is_department_owner(user):
        return "dashboards:owner"
    if user_is_admin(user):
        return "admin:index"
    return "dashboards:no_role"


def owner_departments(*, user: User) -> QuerySet[Department]:
    """Departments the user owns (every department for a staff admin)."""
    if user_is_admin(user):
        return Department.objects.all()
    return Department.objects.filter(owners=user)


@dataclass(frozen=True)
class DashboardFilters:
    """The period (inclusive days) and the optional brand and channel a dashboard shows."""

    start: dt.date
    end: dt.date
    brand: str = ""
    channel: str = ""

    def as_query(self) -> dict[str, str]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "brand": self.brand,
            "channel": self.channel,
        }


def dashboard_filters_resolve(
    *, start: dt.date | None = None, end: dt.date | None = None, brand: str = "", channel: str = ""
) -> DashboardFilters:
    """Fill a missing end with the last counted day (today without data) and a missing start with 180 days
    before it, or the first counted day when that is later (no empty run-up before the data begins)."""
    if end is None or start is None:
        bounds = volume_date_range()
        end = end or volume_window_end()
        if start is None:
            start = end - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
            if bounds and start < bounds[0] <= end:
                start = bounds[0]
    return DashboardFilters(start=start, end=end, brand=brand or "", channel=channel or "")


def dashboard_filter_choices() -> dict[str, list[str]]:
    """The brands and channels present in the daily counts, for the filter form."""
    brands = DailyTotalVolume.objects.order_by("brand").values_list("brand", flat=True).distinct()
    channels = DailyTotalVolume.objects.order_by("channel").values_list("channel", flat=True).distinct()
    return {"brands": list(brands), "channels": list(channels)}


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from `start` to `end`, both included."""
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def iso_dates(days: list[dt.date]) -> list[str]:
    """The days as ISO strings."""
    return [day.isoformat() for day in days]


def theme_daily_counts(*, filters: DashboardFilters, start: dt.date | None = None) -> dict[int, dict[dt.date, int]]:
    """Per theme, its cases per day in the period (one grouped query on the daily table)."""
    rows = DailyThemeVolume.objects.filter(day__gte=start or filters.start, day__lte=filters.end)
    if filters.brand:
        rows = rows.filter(brand=filters.brand)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    counts: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for theme_id, day, total in (
        rows.values("theme_id", "day").annotate(total=Sum("count")).values_list("theme_id", "day", "total").order_by()
    ):
        counts[theme_id][day] = int(total)
    return counts


def daily_series(counts: dict[dt.date, int], days: list[dt.date]) -> list[int]:
    """The count on each of `days`, 0 where none was counted."""
    return [counts.get(day, 0) for day in days]


def window_sum(counts: dict[dt.date, int], start: dt.date, end: dt.date) -> int:
    """The sum of the counts from `start` to `end`, both included."""
    return sum(total for day, total in counts.items() if start <= day <= end)
