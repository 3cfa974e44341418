"""Reads behind the dashboard pages."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Min, QuerySet, Sum
from django.utils import timezone

from improvement.models import (
    DailyThemeVolume,
    DailyTotalVolume,
    Department,
    FixImpact,
    FixTicket,
    IssueEvent,
    Theme,
    ThemeAlert,
)
from improvement.permissions import user_is_admin, user_is_department_owner, user_is_executive, user_is_team_lead
from improvement.themes.selectors import theme_representative_cases
from improvement.volumes.selectors import (
    LONG_WINDOW_DAYS,
    theme_volumes,
    volume_change,
    volume_date_range,
    volume_theme_series,
    volume_total_series,
)
from improvement.workflow.selectors import fix_list_visible, issue_list_visible


def landing_url_name_for(user: AbstractBaseUser) -> str:
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


def owner_departments(*, user: AbstractBaseUser) -> QuerySet[Department]:
    """Departments the user owns (every department for a staff admin)."""
    if user_is_admin(user):
        return Department.objects.all()
    return Department.objects.filter(owners=user)


# ---------------------------------------------------------------------------------------------------------------
# Dashboard aggregates: read only the daily count tables, themes, issues, fixes and their impact rows.
# ---------------------------------------------------------------------------------------------------------------

DEFAULT_RANGE_DAYS = 180
TOP_THEME_COUNT = 10
SHARE_THEME_COUNT = 8
SHARE_BUCKET_DAYS = 7
GROWTH_WINDOW_DAYS = LONG_WINDOW_DAYS
GROWTH_MINIMUM_PREVIOUS = 5
THEME_LINE_COUNT = 8
FIX_CHART_COUNT = 12
NEW_THEME_DAYS = 14
ALERT_RECENT_DAYS = 7

ACCEPTED_STATUSES = frozenset(
    {
        FixTicket.Status.ACCEPTED,
        FixTicket.Status.IN_PROGRESS,
        FixTicket.Status.SHIPPED,
        FixTicket.Status.WORKING,
        FixTicket.Status.NO_CLEAR_EFFECT,
        FixTicket.Status.WORSE,
        FixTicket.Status.REGRESSED,
    }
)


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
        last_day = bounds[1] if bounds else timezone.localdate()
        end = end or last_day
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


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def _theme_daily_counts(*, filters: DashboardFilters, start: dt.date | None = None) -> dict[int, dict[dt.date, int]]:
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


def _series(counts: dict[dt.date, int], days: list[dt.date]) -> list[int]:
    return [counts.get(day, 0) for day in days]


def _window_sum(counts: dict[dt.date, int], start: dt.date, end: dt.date) -> int:
    return sum(total for day, total in counts.items() if start <= day <= end)


def _rounded(change: float | None) -> float | None:
    return None if change is None else round(change, 4)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _combined_interval(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    """Sum of estimates with an interval from the root-sum-square of each side's half-width (independent fixes)."""
    total = sum(estimate for estimate, _, _ in rows)
    below = math.sqrt(sum((estimate - low) ** 2 for estimate, low, _ in rows))
    above = math.sqrt(sum((high - estimate) ** 2 for estimate, _, high in rows))
    return {"estimate": round(total, 1), "low": round(total - below, 1), "high": round(total + above, 1)}


def _iso(days: list[dt.date]) -> list[str]:
    return [day.isoformat() for day in days]


def _department_scorecard(*, fixes: list[FixTicket]) -> list[dict]:
    """Per department: fixes proposed, accepted, rejected, shipped, working; median days raise→accept, accept→ship."""
    departments = {department.pk: department for department in Department.objects.order_by("name")}
    rows = {
        pk: {
            "department_id": pk,
            "department": department.name,
            "proposed": 0,
            "accepted": 0,
            "rejected": 0,
            "shipped": 0,
            "working": 0,
            "_raise_to_accept": [],
            "_accept_to_ship": [],
        }
        for pk, department in departments.items()
    }
    for fix in fixes:
        row = rows.get(fix.department_id)
        if row is None:
            continue
        row["proposed"] += 1
        row["accepted"] += fix.status in ACCEPTED_STATUSES
        row["rejected"] += fix.status == FixTicket.Status.REJECTED
        row["shipped"] += fix.shipped_on is not None
        row["working"] += fix.status == FixTicket.Status.WORKING
    first_reached: dict[tuple[int, str], tuple[int, dt.datetime, dt.datetime]] = {}
    events = (
        IssueEvent.objects.filter(
            kind=IssueEvent.Kind.FIX_STATUS,
            to_status__in=[FixTicket.Status.ACCEPTED, FixTicket.Status.SHIPPED],
            fix__isnull=False,
        )
        .order_by("created_at", "id")
        .values_list("fix_id", "fix__department_id", "to_status", "created_at", "issue__created_at")
    )
    for fix_id, department_id, to_status, created_at, issue_created_at in events:
        first_reached.setdefault((fix_id, to_status), (department_id, created_at, issue_created_at))
    day = 86_400.0
    for (fix_id, to_status), (department_id, created_at, issue_created_at) in first_reached.items():
        if department_id not in rows or to_status != FixTicket.Status.ACCEPTED:
            continue
        rows[department_id]["_raise_to_accept"].append((created_at - issue_created_at).total_seconds() / day)
        shipped = first_reached.get((fix_id, FixTicket.Status.SHIPPED))
        if shipped is not None:
            rows[department_id]["_accept_to_ship"].append((shipped[1] - created_at).total_seconds() / day)
    result = []
    for row in rows.values():
        row["median_days_raise_to_accept"] = _median(row.pop("_raise_to_accept"))
        row["median_days_accept_to_ship"] = _median(row.pop("_accept_to_ship"))
        result.append(row)
    return result


def _impact_summary(impact: FixImpact) -> dict:
    return {
        "verdict": impact.verdict,
        "verdict_label": impact.get_verdict_display(),
        "is_provisional": impact.is_provisional,
        "post_days_observed": impact.post_days_observed,
        "relative_effect": impact.relative_effect,
        "ci_low": impact.ci_low,
        "ci_high": impact.ci_high,
        "p_value": impact.p_value,
        "contacts_avoided": impact.contacts_avoided,
        "contacts_avoided_low": impact.contacts_avoided_low,
        "contacts_avoided_high": impact.contacts_avoided_high,
        "actual_total": impact.actual_total,
        "counterfactual_total": impact.counterfactual_total,
        "computed_at": impact.computed_at.isoformat(),
    }


def fix_impact_series(impact: FixImpact) -> dict:
    """The impact's chart series: the pre period's actual counts, then actual, counterfactual and its 95% band."""
    return {
        "pre_dates": list(impact.pre_dates),
        "pre_actual": list(impact.pre_actual),
        "dates": list(impact.dates),
        "actual": list(impact.actual),
        "counterfactual": list(impact.counterfactual),
        "low": list(impact.low),
        "high": list(impact.high),
    }


def executive_dashboard(*, filters: DashboardFilters, user: AbstractBaseUser) -> dict:
    """Everything the executive dashboard shows, as JSON-ready values (ISO dates), in a bounded number of queries.

    Volumes honour the period, brand and channel; fixes, impacts and the scorecard cover all time (an impact is
    measured on the theme's contact across brands and channels).
    """
    days = _days(filters.start, filters.end)
    total = [
        count
        for _, count in volume_total_series(
            start=filters.start, end=filters.end, brand=filters.brand or None, channel=filters.channel or None
        )
    ]
    theme_counts = _theme_daily_counts(filters=filters)
    fixes = list(fix_list_visible(user=user).select_related("impact").prefetch_related("issue__themes").order_by("id"))
    fix_theme_ids = {theme.pk for fix in fixes for theme in fix.issue.themes.all()}
    labels = dict(Theme.objects.filter(pk__in=set(theme_counts) | fix_theme_ids).values_list("pk", "label"))
    totals_by_theme = {theme_id: sum(counts.values()) for theme_id, counts in theme_counts.items()}
    by_volume = sorted(totals_by_theme, key=lambda theme_id: (-totals_by_theme[theme_id], theme_id))

    growth_end = filters.end
    window = min(GROWTH_WINDOW_DAYS, max(1, len(days) // 2))
    recent_start = growth_end - dt.timedelta(days=window - 1)
    previous_start, previous_end = recent_start - dt.timedelta(days=window), recent_start - dt.timedelta(days=1)
    growth = {}
    for theme_id, counts in theme_counts.items():
        growth[theme_id] = (
            _window_sum(counts, recent_start, growth_end),
            _window_sum(counts, previous_start, previous_end),
        )

    def theme_row(theme_id: int) -> dict:
        recent, previous = growth[theme_id]
        return {
            "theme_id": theme_id,
            "label": labels.get(theme_id, f"Theme {theme_id}"),
            "volume": totals_by_theme[theme_id],
            "recent": recent,
            "previous": previous,
            "growth": _rounded(volume_change(current=recent, previous=previous)),
            "series": _series(theme_counts[theme_id], days),
        }

    growing = [theme_id for theme_id in by_volume if growth[theme_id][1] >= GROWTH_MINIMUM_PREVIOUS]
    growing.sort(
        key=lambda theme_id: (-volume_change(current=growth[theme_id][0], previous=growth[theme_id][1]), theme_id)
    )

    bucket_starts = days[::SHARE_BUCKET_DAYS]
    share_themes = by_volume[:SHARE_THEME_COUNT]

    def bucketed(series: list[int]) -> list[int]:
        return [sum(series[index : index + SHARE_BUCKET_DAYS]) for index in range(0, len(series), SHARE_BUCKET_DAYS)]

    assigned_daily = [sum(theme_counts[theme_id].get(day, 0) for theme_id in theme_counts) for day in days]
    share_series = [
        {
            "label": labels.get(theme_id, f"Theme {theme_id}"),
            "theme_id": theme_id,
            "counts": bucketed(_series(theme_counts[theme_id], days)),
        }
        for theme_id in share_themes
    ]
    top_daily = [sum(theme_counts[theme_id].get(day, 0) for theme_id in share_themes) for day in days]
    share_series.append(
        {
            "label": "Other themes",
            "theme_id": None,
            "counts": bucketed([all_ - top for all_, top in zip(assigned_daily, top_daily, strict=True)]),
        }
    )
    share_series.append(
        {
            "label": "Unassigned",
            "theme_id": None,
            "counts": bucketed([max(0, t - a) for t, a in zip(total, assigned_daily, strict=True)]),
        }
    )

    shipped = [fix for fix in fixes if fix.shipped_on is not None]
    marks_by_theme: dict[int, list[dict]] = defaultdict(list)
    for fix in shipped:
        for theme in fix.issue.themes.all():
            marks_by_theme[theme.pk].append(
                {
                    "fix_id": fix.pk,
                    "shipped_on": fix.shipped_on.isoformat(),
                    "department": fix.department.name,
                    "description": fix.description[:120],
                    "status": fix.status,
                }
            )
    marked = sorted(marks_by_theme, key=lambda theme_id: (-totals_by_theme.get(theme_id, 0), theme_id))
    theme_lines = [
        {
            "theme_id": theme_id,
            "label": labels.get(theme_id, f"Theme {theme_id}"),
            "series": _series(theme_counts.get(theme_id, {}), days),
            "fixes": marks_by_theme[theme_id],
        }
        for theme_id in marked[:THEME_LINE_COUNT]
    ]

    impacts = []
    avoided_rows: list[tuple[float, float, float]] = []
    avoided_by_department: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for fix in sorted(shipped, key=lambda fix: (fix.shipped_on, fix.pk), reverse=True):
        impact = getattr(fix, "impact", None)
        if impact is None:
            continue
        impacts.append(
            {
                "fix_id": fix.pk,
                "issue_id": fix.issue_id,
                "issue_title": fix.issue.title,
                "department": fix.department.name,
                "shipped_on": fix.shipped_on.isoformat(),
                "status": fix.status,
                **_impact_summary(impact),
                **fix_impact_series(impact),
            }
        )
        if impact.verdict != FixImpact.Verdict.TOO_EARLY:
            row = (impact.contacts_avoided, impact.contacts_avoided_low, impact.contacts_avoided_high)
            avoided_rows.append(row)
            avoided_by_department[fix.department.name].append(row)

    return {
        "filters": filters.as_query(),
        "dates": _iso(days),
        "total": {"series": total, "sum": sum(total)},
        "top_themes_by_volume": [theme_row(theme_id) for theme_id in by_volume[:TOP_THEME_COUNT]],
        "top_themes_by_growth": [theme_row(theme_id) for theme_id in growing[:TOP_THEME_COUNT]],
        "growth_windows": {
            "recent": [recent_start.isoformat(), growth_end.isoformat()],
            "previous": [previous_start.isoformat(), previous_end.isoformat()],
        },
        "theme_share": {"bucket_starts": _iso(bucket_starts), "bucket_days": SHARE_BUCKET_DAYS, "series": share_series},
        "theme_lines": theme_lines,
        "fix_impacts": impacts[:FIX_CHART_COUNT],
        "contacts_avoided": {
            "overall": _combined_interval(avoided_rows),
            "fix_count": len(avoided_rows),
            "by_department": [
                {"department": name, "fix_count": len(rows), **_combined_interval(rows)}
                for name, rows in sorted(avoided_by_department.items())
            ],
        },
        "department_scorecard": _department_scorecard(fixes=fixes),
    }


def lead_theme_overview(*, filters: DashboardFilters) -> dict:
    """Active themes, largest first, with their volume over the last 28 days to `filters.end`, the trend of the
    last 7 days against the 7 before, a 28-day sparkline, new/spiking/emerging badges, and the unassigned share."""
    window_start = filters.end - dt.timedelta(days=LONG_WINDOW_DAYS - 1)
    days = _days(window_start, filters.end)
    counts = _theme_daily_counts(filters=filters, start=window_start)
    themes = list(
        Theme.objects.filter(status=Theme.Status.ACTIVE)
        .only("id", "label", "keywords", "size", "status", "created_at")
        .order_by("-size", "id")
    )
    ids = [theme.pk for theme in themes]
    volumes = theme_volumes(
        theme_ids=ids, as_of=filters.end, brand=filters.brand or None, channel=filters.channel or None
    )
    first_days = dict(
        DailyThemeVolume.objects.filter(theme_id__in=ids)
        .values("theme_id")
        .annotate(first=Min("day"))
        .values_list("theme_id", "first")
        .order_by()
    )
    alerts: dict[int, set[str]] = defaultdict(set)
    for theme_id, kind in ThemeAlert.objects.filter(
        theme_id__in=ids,
        detected_on__gt=filters.end - dt.timedelta(days=ALERT_RECENT_DAYS),
        detected_on__lte=filters.end,
    ).values_list("theme_id", "kind"):
        alerts[theme_id].add(kind)
    total = sum(
        count
        for _, count in volume_total_series(
            start=window_start, end=filters.end, brand=filters.brand or None, channel=filters.channel or None
        )
    )
    rows = []
    for theme in themes:
        volume = volumes[theme.pk]
        first_day = first_days.get(theme.pk)
        rows.append(
            {
                "theme": theme,
                "volume": volume.last_28_days,
                "recent": volume.last_7_days,
                "previous": volume.previous_7_days,
                "trend": volume.trend,
                "series": _series(counts.get(theme.pk, {}), days),
                "is_new": first_day is not None and first_day > filters.end - dt.timedelta(days=NEW_THEME_DAYS),
                "is_spiking": ThemeAlert.Kind.SPIKING in alerts[theme.pk],
                "is_emerging": ThemeAlert.Kind.EMERGING in alerts[theme.pk],
            }
        )
    assigned = sum(row["volume"] for row in rows) + sum(
        _window_sum(theme_counts, window_start, filters.end)
        for theme_id, theme_counts in counts.items()
        if theme_id not in set(ids)
    )
    return {
        "window_start": window_start,
        "window_end": filters.end,
        "dates": _iso(days),
        "themes": rows,
        "total_volume": total,
        "unassigned_volume": max(0, total - assigned),
        "unassigned_share": round(max(0, total - assigned) / total, 4) if total else 0.0,
    }


def theme_page_data(*, theme: Theme, filters: DashboardFilters) -> dict:
    """A theme's daily volume over the period, its sample cases, issues and recent history."""
    days = _days(filters.start, filters.end)
    series = [
        count
        for _, count in volume_theme_series(
            theme_ids=[theme.pk],
            start=filters.start,
            end=filters.end,
            brand=filters.brand or None,
            channel=filters.channel or None,
        )
    ]
    issues = list(theme.issues.order_by("-created_at", "-id")[:20])
    shipped = list(
        FixTicket.objects.filter(issue__themes=theme, shipped_on__isnull=False)
        .select_related("department")
        .order_by("shipped_on", "id")
    )
    return {
        "dates": _iso(days),
        "series": series,
        "sum": sum(series),
        "sample_cases": theme_representative_cases(theme=theme),
        "issues": issues,
        "fixes": [
            {
                "fix_id": fix.pk,
                "shipped_on": fix.shipped_on.isoformat(),
                "department": fix.department.name,
                "description": fix.description[:120],
                "status": fix.status,
            }
            for fix in shipped
        ],
        "events": list(theme.events.select_related("actor").order_by("-created_at", "-id")[:10]),
    }


def owner_impacts(*, fix_ids: list[int]) -> dict[int, FixImpact]:
    """The impact rows of these fixes, by fix id (one query)."""
    return {impact.fix_id: impact for impact in FixImpact.objects.filter(fix_id__in=fix_ids)}


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def export_theme_rows() -> list[list[str]]:
    """Header and one row per theme: id, label, status, merged into, size, keywords, last 28 days' volume."""
    themes = list(Theme.objects.defer("centroid").order_by("-size", "id"))
    volumes = theme_volumes(theme_ids=[theme.pk for theme in themes])
    rows = [["theme_id", "label", "status", "merged_into_id", "size", "keywords", "volume_last_28_days", "created_at"]]
    for theme in themes:
        rows.append(
            [
                _cell(value)
                for value in (
                    theme.pk,
                    theme.label,
                    theme.status,
                    theme.merged_into_id,
                    theme.size,
                    "; ".join(theme.keywords or []),
                    volumes[theme.pk].last_28_days,
                    theme.created_at.isoformat(),
                )
            ]
        )
    return rows


def export_issue_rows(*, user: AbstractBaseUser) -> list[list[str]]:
    """Header and one row per visible issue: id, title, status, priorities, raiser, dates, themes, fix count."""
    rows = [
        [
            "issue_id",
            "title",
            "status",
            "priority",
            "suggested_priority",
            "raised_by",
            "created_at",
            "closed_at",
            "theme_ids",
            "theme_labels",
            "fix_count",
        ]
    ]
    issues = issue_list_visible(user=user).annotate(fix_count=Count("fixes")).order_by("id")
    for issue in issues:
        themes = list(issue.themes.all())
        rows.append(
            [
                _cell(value)
                for value in (
                    issue.pk,
                    issue.title,
                    issue.status,
                    issue.priority,
                    issue.suggested_priority,
                    issue.raised_by.username if issue.raised_by else "",
                    issue.created_at.isoformat(),
                    issue.closed_at.isoformat() if issue.closed_at else "",
                    " ".join(str(theme.pk) for theme in themes),
                    "; ".join(theme.label for theme in themes),
                    issue.fix_count,
                )
            ]
        )
    return rows


def export_fix_rows(*, user: AbstractBaseUser) -> list[list[str]]:
    """Header and one row per visible fix: its issue, department, status, dates, verdict and measured impact."""
    rows = [
        [
            "fix_id",
            "issue_id",
            "issue_title",
            "department",
            "status",
            "description",
            "proposed_at",
            "due_date",
            "shipped_on",
            "verdict",
            "is_provisional",
            "post_days_observed",
            "relative_effect",
            "ci_low",
            "ci_high",
            "p_value",
            "contacts_avoided",
            "contacts_avoided_low",
            "contacts_avoided_high",
            "impact_computed_at",
        ]
    ]
    for fix in fix_list_visible(user=user).select_related("impact").order_by("id"):
        impact = getattr(fix, "impact", None)
        measured = (
            (
                impact.verdict,
                impact.is_provisional,
                impact.post_days_observed,
                round(impact.relative_effect, 4),
                round(impact.ci_low, 4),
                round(impact.ci_high, 4),
                round(impact.p_value, 4),
                round(impact.contacts_avoided, 1),
                round(impact.contacts_avoided_low, 1),
                round(impact.contacts_avoided_high, 1),
                impact.computed_at.isoformat(),
            )
            if impact
            else ("",) * 11
        )
        rows.append(
            [
                _cell(value)
                for value in (
                    fix.pk,
                    fix.issue_id,
                    fix.issue.title,
                    fix.department.name,
                    fix.status,
                    fix.description,
                    fix.created_at.isoformat(),
                    fix.due_date.isoformat() if fix.due_date else "",
                    fix.shipped_on.isoformat() if fix.shipped_on else "",
                    *measured,
                )
            ]
        )
    return rows
