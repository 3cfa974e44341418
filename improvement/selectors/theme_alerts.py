"""Reads of theme alerts, for badges on theme pages and lists."""
from __future__ import annotations

import datetime as dt

from django.db.models import Max, QuerySet

from improvement.models import ThemeAlert


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
