"""Reads for impact: a fix's stored or freshly computed estimate (never written here), and theme alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db.models import Max, QuerySet
from django.utils import timezone

from improvement.errors import ImpactUnavailable
from improvement.impact.estimator import (
    MINIMUM_POST_DAYS,
    MINIMUM_PRE_DAYS,
    VERDICT_INCONCLUSIVE,
    VERDICT_NO_CLEAR_EFFECT,
    ImpactEstimate,
    estimate_impact,
)
from improvement.impact.estimator.looks import EXTENDED_HORIZON_DAYS
from improvement.models import FixImpact, FixTicket, ImprovementIssue, Theme, ThemeAlert
from improvement.volumes.selectors import LONG_WINDOW_DAYS, volume_date_range, volume_theme_series, volume_total_series
from improvement.workflow.transitions import SHIPPED_STATUSES

# A verdict reads the 28 days after the ship date, against up to a year before it; a working fix's regression
# check reads the last 28 counted days.
POST_DAYS = LONG_WINDOW_DAYS
PRE_DAYS = 364
RECENT_DAYS = LONG_WINDOW_DAYS
# The FixImpact fields an estimate fills (fix_impact_estimate builds them, fix_impact_evaluate stores them).
IMPACT_ESTIMATE_FIELDS = (
    "computed_at",
    "ship_date",
    "theme_ids",
    "verdict",
    "is_provisional",
    "post_days_observed",
    "pre_days_used",
    "relative_effect",
    "ci_low",
    "ci_high",
    "p_value",
    "interval_tail",
    "interval_worse_tail",
    "placebo_runs",
    "placebo_found",
    "verdict_reason",
    "contacts_avoided",
    "contacts_avoided_low",
    "contacts_avoided_high",
    "actual_total",
    "counterfactual_total",
    "dates",
    "actual",
    "counterfactual",
    "low",
    "high",
    "pre_dates",
    "pre_actual",
)


def fix_theme_ids(*, fix: FixTicket) -> list[int]:
    """The themes whose contacts the fix should change: its issue's themes, merged ones followed to their survivor."""
    survivors: set[int] = set()
    for theme in fix.issue.themes.all():
        seen = {theme.pk}
        while theme.merged_into_id is not None and theme.merged_into_id not in seen:
            seen.add(theme.merged_into_id)
            theme = Theme.objects.get(pk=theme.merged_into_id)
        survivors.add(theme.pk)
    return sorted(survivors)


def last_counted_day() -> dt.date | None:
    bounds = volume_date_range()
    if bounds is None:
        return None
    return min(bounds[1], timezone.localdate())


def impact_series(*, theme_ids: list[int], start: dt.date, end: dt.date) -> tuple[list[dt.date], list[int], list[int]]:
    theme = volume_theme_series(theme_ids=theme_ids, start=start, end=end)
    total = volume_total_series(start=start, end=end)
    return [day for day, _ in theme], [count for _, count in theme], [count for _, count in total]


def fix_earlier_ship_dates(*, fix: FixTicket, theme_ids: list[int]) -> list[dt.date]:
    """Ship dates of other shipped fixes on the same themes, at least a week before this fix's (their effects
    stay in its counterfactual)."""
    if fix.shipped_on is None:
        return []
    latest = fix.shipped_on - dt.timedelta(days=MINIMUM_POST_DAYS)
    dates = (
        FixTicket.objects.filter(
            status__in=SHIPPED_STATUSES, shipped_on__lte=latest, issue__themes__in=_themes_merged_into(theme_ids)
        )
        .exclude(pk=fix.pk)
        .values_list("shipped_on", flat=True)
    )
    return sorted({day for day in dates if day is not None})


def _themes_merged_into(theme_ids: list[int]) -> list[int]:
    """The themes and every theme merged (directly or not) into one of them."""
    found = set(theme_ids)
    frontier = set(theme_ids)
    while frontier:
        frontier = set(Theme.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return sorted(found)


def _estimate_for_fix(*, fix: FixTicket) -> tuple[ImpactEstimate, ImpactEstimate, list[int], list[dt.date], list[int]]:
    if fix.status not in SHIPPED_STATUSES or not fix.shipped_on:
        status = fix.get_status_display().lower()
        raise ImpactUnavailable(f"fix {fix.pk} is {status}, not shipped: nothing to measure yet")
    ship_date = fix.shipped_on
    theme_ids = fix_theme_ids(fix=fix)
    if not theme_ids:
        raise ImpactUnavailable(f"the issue of fix {fix.pk} has no themes to measure")
    bounds = volume_date_range()
    last_day = last_counted_day()
    if bounds is None or last_day is None or last_day < ship_date:
        raise ImpactUnavailable(f"no contacts counted on or after the ship date {ship_date.isoformat()} yet")
    start = max(bounds[0], ship_date - dt.timedelta(days=PRE_DAYS))
    if (ship_date - start).days < MINIMUM_PRE_DAYS:
        raise ImpactUnavailable(
            f"only {(ship_date - start).days} days of contacts before the ship date {ship_date.isoformat()}; "
            f"at least {MINIMUM_PRE_DAYS} are needed"
        )
    days, theme_counts, total_counts = impact_series(theme_ids=theme_ids, start=start, end=last_day)
    arguments: dict[str, Any] = {
        "days": days,
        "theme_counts": theme_counts,
        "total_counts": total_counts,
        "ship_date": ship_date,
        "earlier_ship_dates": [day for day in fix_earlier_ship_dates(fix=fix, theme_ids=theme_ids) if day > start],
    }
    try:
        verdict_estimate = estimate_impact(**arguments, post_days=POST_DAYS)
        shown = verdict_estimate
        # No clear effect at day 28: measured on to day 56 under the same error budget (estimator/looks.py).
        if not verdict_estimate.is_provisional and verdict_estimate.verdict in (
            VERDICT_NO_CLEAR_EFFECT,
            VERDICT_INCONCLUSIVE,
        ):
            shown = estimate_impact(**arguments, post_days=EXTENDED_HORIZON_DAYS)
    except ValueError as error:
        raise ImpactUnavailable(str(error)) from error
    pre_end = days.index(ship_date)
    return verdict_estimate, shown, theme_ids, days[:pre_end], theme_counts[:pre_end]


def fix_impact_estimate(*, fix: FixTicket) -> FixImpact:
    """The fix's impact estimated now from the daily counts, as an unsaved FixImpact; ImpactUnavailable if it can't be.

    Up to day 28 it is the 28-day window's; a fix with no clear effect (or an inconclusive one) at day 28 is shown
    on the 56-day window from then on. Reads only: fix_impact_evaluate stores it and records a verdict
    (fix_impact_estimates gives the day-28 one too).
    """
    return fix_impact_estimates(fix=fix)[1]


def fix_impact_estimates(*, fix: FixTicket) -> tuple[FixImpact, FixImpact]:
    """The fix's day-28 estimate and the one shown (the same, or the 56-day window's), both unsaved."""
    verdict_estimate, shown, theme_ids, pre_dates, pre_actual = _estimate_for_fix(fix=fix)
    return (
        _impact_from(
            fix=fix, estimate=verdict_estimate, theme_ids=theme_ids, pre_dates=pre_dates, pre_actual=pre_actual
        ),
        _impact_from(fix=fix, estimate=shown, theme_ids=theme_ids, pre_dates=pre_dates, pre_actual=pre_actual),
    )


def _impact_from(
    *, fix: FixTicket, estimate: ImpactEstimate, theme_ids: list[int], pre_dates: list[dt.date], pre_actual: list[int]
) -> FixImpact:
    return FixImpact(
        fix=fix,
        computed_at=timezone.now(),
        # _estimate_for_fix refused a fix without a ship date.
        ship_date=cast(dt.date, fix.shipped_on),
        theme_ids=theme_ids,
        verdict=estimate.verdict,
        is_provisional=estimate.is_provisional,
        post_days_observed=estimate.post_days_observed,
        pre_days_used=estimate.pre_days_used,
        relative_effect=estimate.relative_effect,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        p_value=estimate.p_value,
        interval_tail=estimate.interval_tail,
        interval_worse_tail=estimate.interval_worse_tail,
        placebo_runs=estimate.placebo_runs,
        placebo_found=estimate.placebo_found,
        verdict_reason=estimate.verdict_reason,
        contacts_avoided=estimate.contacts_avoided,
        contacts_avoided_low=estimate.contacts_avoided_low,
        contacts_avoided_high=estimate.contacts_avoided_high,
        actual_total=estimate.actual_total,
        counterfactual_total=estimate.counterfactual_total,
        dates=[day.isoformat() for day in estimate.post_dates],
        actual=list(estimate.actual),
        counterfactual=[round(value, 3) for value in estimate.counterfactual],
        low=[round(value, 3) for value in estimate.counterfactual_low],
        high=[round(value, 3) for value in estimate.counterfactual_high],
        pre_dates=[day.isoformat() for day in pre_dates],
        pre_actual=pre_actual,
    )


def fix_impact_read(*, fix: FixTicket) -> FixImpact:
    """The fix's stored estimate, or one computed now (and not stored) before the first evaluation."""
    stored = FixImpact.objects.filter(fix=fix).first()
    return stored if stored is not None else fix_impact_estimate(fix=fix)


def theme_alerts_latest() -> QuerySet[ThemeAlert]:
    """The alerts of the most recent day checked that flagged anything (empty before the first alert)."""
    latest = ThemeAlert.objects.aggregate(day=Max("detected_on"))["day"]
    if latest is None:
        return ThemeAlert.objects.none()
    return ThemeAlert.objects.filter(detected_on=latest).select_related("theme")


def theme_alert_badges(*, since: dt.date) -> dict[int, set[str]]:
    """For each theme flagged on or after `since`: the kinds of alert it got (spiking, emerging)."""
    badges: dict[int, set[str]] = {}
    for theme_id, kind in ThemeAlert.objects.filter(detected_on__gte=since).values_list("theme_id", "kind"):
        badges.setdefault(theme_id, set()).add(kind)
    return badges


def issue_combined_impact(*, issue: ImprovementIssue) -> FixImpact | None:
    """All the issue's shipped fixes together, as an unsaved FixImpact: from the first ship date to 28 days after
    the last, against the level before the first. None with fewer than two ship dates or too little history."""
    shipped = list(
        issue.fixes.filter(status__in=SHIPPED_STATUSES, shipped_on__isnull=False).order_by("shipped_on", "id")
    )
    if len({fix.shipped_on for fix in shipped}) < 2:
        return None
    first, last = shipped[0], shipped[-1]
    first_day, last_day_shipped = cast(dt.date, first.shipped_on), cast(dt.date, last.shipped_on)
    theme_ids = fix_theme_ids(fix=first)
    bounds = volume_date_range()
    last_day = last_counted_day()
    if not theme_ids or bounds is None or last_day is None or last_day < first_day:
        return None
    start = max(bounds[0], first_day - dt.timedelta(days=PRE_DAYS))
    days, theme_counts, total_counts = impact_series(theme_ids=theme_ids, start=start, end=last_day)
    try:
        estimate = estimate_impact(
            days=days,
            theme_counts=theme_counts,
            total_counts=total_counts,
            ship_date=first_day,
            post_days=(last_day_shipped - first_day).days + POST_DAYS,
        )
    except ValueError:
        return None
    pre_end = days.index(first_day)
    return _impact_from(
        fix=first, estimate=estimate, theme_ids=theme_ids, pre_dates=days[:pre_end], pre_actual=theme_counts[:pre_end]
    )
