"""The daily check for themes far above their expected level (spiking) or new and growing (emerging).

Spiking: the theme's contacts over the last 3 counted days against what its share of the other
contacts over the 28 days before predicts for those 3 days (expected = theme share x other contacts
of the 3 days). The day-to-day spread seen in the 28 days (Pearson dispersion, at least Poisson) sets a
negative binomial with that mean; the theme spikes when the observed count is above its 99.9% upper
bound and at least SPIKE_MINIMUM_COUNT.

Emerging: a theme that had fewer than one contact a day on average over the 28 days before the last
7, has at least EMERGING_MINIMUM_COUNT contacts in the last 7 days, and is not shrinking (its last 3
days hold at least as many contacts per day as the 4 days before them).

Each flag is one ThemeAlert per theme, kind and last counted day, so running twice a day adds nothing;
the team leads are emailed once per new alert (theme_alert_notify).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from scipy.stats import nbinom, poisson

from core.jobs import enqueue_on_commit
from improvement.models import DailyThemeVolume, Theme, ThemeAlert
from improvement.permissions import TEAM_LEAD
from improvement.volumes.selectors import volume_date_range, volume_total_series

SPIKE_WINDOW_DAYS = 3
BASELINE_DAYS = 28
SPIKE_UPPER_QUANTILE = 0.999
SPIKE_MINIMUM_COUNT = 10
EMERGING_WINDOW_DAYS = 7
EMERGING_MINIMUM_COUNT = 15
EMERGING_GROWTH_DAYS = 3


@dataclass(frozen=True)
class SpikeTest:
    """The spike test of one theme over one window."""

    observed: int
    expected: float
    upper_bound: float
    is_spiking: bool


def spike_test(*, theme_counts: list[int], total_counts: list[int]) -> SpikeTest:
    """Test the last SPIKE_WINDOW_DAYS of aligned daily series against the BASELINE_DAYS before them."""
    theme = np.asarray(theme_counts[-(SPIKE_WINDOW_DAYS + BASELINE_DAYS) :], dtype=float)
    other = np.asarray(total_counts[-(SPIKE_WINDOW_DAYS + BASELINE_DAYS) :], dtype=float) - theme
    baseline_theme, window_theme = theme[:-SPIKE_WINDOW_DAYS], theme[-SPIKE_WINDOW_DAYS:]
    baseline_other, window_other = other[:-SPIKE_WINDOW_DAYS], other[-SPIKE_WINDOW_DAYS:]
    observed = int(window_theme.sum())
    if baseline_other.sum() <= 0 or baseline_theme.sum() <= 0:
        return SpikeTest(observed=observed, expected=0.0, upper_bound=0.0, is_spiking=False)
    share = baseline_theme.sum() / baseline_other.sum()
    baseline_expected = share * baseline_other
    positive = baseline_expected > 0
    pearson = ((baseline_theme[positive] - baseline_expected[positive]) ** 2 / baseline_expected[positive]).sum()
    dispersion = max(1.0, float(pearson) / max(int(positive.sum()) - 1, 1))
    expected = float(share * window_other.sum())
    if expected <= 0:
        return SpikeTest(observed=observed, expected=0.0, upper_bound=0.0, is_spiking=False)
    if dispersion > 1.0:
        size = expected / (dispersion - 1.0)
        upper_bound = float(nbinom.ppf(SPIKE_UPPER_QUANTILE, size, 1.0 / dispersion))
    else:
        upper_bound = float(poisson.ppf(SPIKE_UPPER_QUANTILE, expected))
    return SpikeTest(
        observed=observed,
        expected=expected,
        upper_bound=upper_bound,
        is_spiking=observed > upper_bound and observed >= SPIKE_MINIMUM_COUNT,
    )


def emerging_test(*, theme_counts: list[int]) -> bool:
    """Whether a theme's daily series (last day last, BASELINE_DAYS + EMERGING_WINDOW_DAYS long) is new and growing."""
    counts = theme_counts[-(BASELINE_DAYS + EMERGING_WINDOW_DAYS) :]
    baseline, recent = counts[:-EMERGING_WINDOW_DAYS], counts[-EMERGING_WINDOW_DAYS:]
    is_new = sum(baseline) < len(baseline)
    latest, before = recent[-EMERGING_GROWTH_DAYS:], recent[:-EMERGING_GROWTH_DAYS]
    is_growing = sum(latest) / len(latest) >= sum(before) / max(len(before), 1)
    return is_new and sum(recent) >= EMERGING_MINIMUM_COUNT and is_growing


@dataclass
class ThemeCheckResult:
    """What one daily check found: the day checked and the alerts it created (not those already there)."""

    day: dt.date | None = None
    checked: int = 0
    created: list[ThemeAlert] = field(default_factory=list)


def theme_spike_check(*, day: dt.date | None = None) -> ThemeCheckResult:
    """Flag spiking and emerging active themes for the window ending on `day` (default: the last counted day).

    Returns the alerts created now; an alert already stored for that theme, kind and day is kept as it was.
    The team leads' emails are enqueued once the alerts are committed.
    """
    bounds = volume_date_range()
    if bounds is None:
        return ThemeCheckResult()
    day = day or bounds[1]
    length = BASELINE_DAYS + max(SPIKE_WINDOW_DAYS, EMERGING_WINDOW_DAYS)
    start = day - dt.timedelta(days=length - 1)
    total = [count for _, count in volume_total_series(start=start, end=day)]
    rows = (
        DailyThemeVolume.objects.filter(day__gte=start, day__lte=day, theme__status=Theme.Status.ACTIVE)
        .values("theme_id", "day")
        .annotate(count=Sum("count"))
        .values_list("theme_id", "day", "count")
    )
    series: dict[int, list[int]] = defaultdict(lambda: [0] * length)
    for theme_id, theme_day, count in rows:
        series[theme_id][(theme_day - start).days] = int(count)
    result = ThemeCheckResult(day=day, checked=len(series))
    with transaction.atomic():
        for theme_id, counts in sorted(series.items()):
            spike = spike_test(theme_counts=counts, total_counts=total)
            if spike.is_spiking:
                _alert_store(
                    result=result,
                    theme_id=theme_id,
                    kind=ThemeAlert.Kind.SPIKING,
                    day=day,
                    window_start=day - dt.timedelta(days=SPIKE_WINDOW_DAYS - 1),
                    observed=spike.observed,
                    expected=spike.expected,
                    upper_bound=spike.upper_bound,
                )
            if emerging_test(theme_counts=counts):
                baseline = counts[-(BASELINE_DAYS + EMERGING_WINDOW_DAYS) : -EMERGING_WINDOW_DAYS]
                _alert_store(
                    result=result,
                    theme_id=theme_id,
                    kind=ThemeAlert.Kind.EMERGING,
                    day=day,
                    window_start=day - dt.timedelta(days=EMERGING_WINDOW_DAYS - 1),
                    observed=sum(counts[-EMERGING_WINDOW_DAYS:]),
                    expected=sum(baseline) * EMERGING_WINDOW_DAYS / BASELINE_DAYS,
                    upper_bound=None,
                )
    return result


def _alert_store(*, result: ThemeCheckResult, theme_id: int, day: dt.date, kind: str, **values: Any) -> None:
    alert, created = ThemeAlert.objects.get_or_create(theme_id=theme_id, kind=kind, detected_on=day, defaults=values)
    if created:
        result.created.append(alert)
        _notify_on_commit(alert)


def _notify_on_commit(alert: ThemeAlert) -> None:
    enqueue_on_commit("improvement.theme_alert_notify_task", alert.pk)


def theme_alert_notify(*, alert_id: int) -> int:
    """Email the team leads about a spiking or emerging theme, at most once per alert; returns how many emails."""
    claimed = ThemeAlert.objects.filter(pk=alert_id, notified_at__isnull=True).update(notified_at=timezone.now())
    if not claimed:
        return 0
    alert = ThemeAlert.objects.select_related("theme").get(pk=alert_id)
    leads = get_user_model().objects.filter(groups__name=TEAM_LEAD, is_active=True).exclude(email="")
    recipients = sorted(set(leads.values_list("email", flat=True)))
    if not recipients:
        return 0
    theme = alert.theme
    if alert.kind == ThemeAlert.Kind.SPIKING:
        subject = f"[Fixloop] Theme spiking: {theme.label}"
        finding = (
            f"{alert.observed} contacts from {alert.window_start.isoformat()} to {alert.detected_on.isoformat()}, "
            f"where about {alert.expected:.0f} were expected (99.9% upper bound {alert.upper_bound:.0f})."
        )
    else:
        subject = f"[Fixloop] New theme growing: {theme.label}"
        finding = (
            f"{alert.observed} contacts from {alert.window_start.isoformat()} to {alert.detected_on.isoformat()}, "
            f"after about {alert.expected:.0f} in a typical week of the month before."
        )
    body = f'Theme #{theme.pk} "{theme.label}": {finding}\n\nLook at the theme and raise an issue if needed.\n'
    messages = [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:
        ThemeAlert.objects.filter(pk=alert_id).update(notified_at=None)
        raise
