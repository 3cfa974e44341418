"""Reads of themes, their volumes and trends, their cases, and the clustering runs that found them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.models import Case
from improvement.models import CaseTheme, ClusteringRun, Theme
from improvement.roles import (
    user_is_admin,
    user_is_department_owner,
    user_is_executive,
    user_is_team_lead,
)

RECENT_DAYS = 7
LONG_DAYS = 28


@dataclass(frozen=True)
class ThemeVolume:
    """Cases of a theme received in the windows ending at `as_of`, and the trend between the last two weeks.

    `trend` is the relative change of the last 7 days against the 7 days before them:
    (last_7_days - previous_7_days) / previous_7_days, so 0.5 means half as many again and -1.0 means none any more.
    It is None when the previous 7 days had no cases (a change from nothing has no ratio).
    """

    last_7_days: int
    previous_7_days: int
    last_28_days: int

    @property
    def trend(self) -> float | None:
        if self.previous_7_days == 0:
            return None
        return round(
            (self.last_7_days - self.previous_7_days) / self.previous_7_days, 4
        )


EMPTY_VOLUME = ThemeVolume(last_7_days=0, previous_7_days=0, last_28_days=0)


def user_can_read_themes(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Every role reads themes: team leads, department owners, executives and staff admins."""
    return (
        user_is_team_lead(user)
        or user_is_executive(user)
        or user_is_department_owner(user)
        or user_is_admin(user)
    )


def user_can_curate_themes(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Only social team leads and staff admins rename, merge, split, move cases or request clustering runs."""
    return user_is_team_lead(user) or user_is_admin(user)


def theme_list(
    *,
    brand: str | None = None,
    channel: str | None = None,
    statuses: Iterable[str] | None = None,
) -> QuerySet[Theme]:
    """Themes, largest first, optionally only those holding cases of a brand and/or a channel, or in given statuses."""
    themes = Theme.objects.defer("centroid")
    if statuses:
        themes = themes.filter(status__in=list(statuses))
    if brand or channel:
        case_filter = Q()
        if brand:
            case_filter &= Q(case__brand=brand)
        if channel:
            case_filter &= Q(case__channel=channel)
        themes = themes.filter(
            Exists(CaseTheme.objects.filter(case_filter, theme_id=OuterRef("pk")))
        )
    return themes.order_by("-size", "id")


def theme_volumes(
    *, theme_ids: Iterable[int], as_of: datetime | None = None
) -> dict[int, ThemeVolume]:
    """Case counts per theme over the last 7 and 28 days and the 7 days before the last 7, ending at `as_of` (now).

    Counts the current assignments joined to the cases' received_at; a daily counts table can replace this
    query without changing the callers.
    """
    ids = list(theme_ids)
    if not ids:
        return {}
    end = as_of or timezone.now()
    recent_start = end - timedelta(days=RECENT_DAYS)
    previous_start = end - timedelta(days=2 * RECENT_DAYS)
    long_start = end - timedelta(days=LONG_DAYS)
    rows = (
        CaseTheme.objects.filter(
            theme_id__in=ids,
            case__received_at__gt=long_start,
            case__received_at__lte=end,
        )
        .values("theme_id")
        .annotate(
            last_7_days=Count("case", filter=Q(case__received_at__gt=recent_start)),
            previous_7_days=Count(
                "case",
                filter=Q(
                    case__received_at__gt=previous_start,
                    case__received_at__lte=recent_start,
                ),
            ),
            last_28_days=Count("case"),
        )
        .order_by()
    )
    volumes = {theme_id: EMPTY_VOLUME for theme_id in ids}
    for row in rows:
        volumes[row["theme_id"]] = ThemeVolume(
            last_7_days=row["last_7_days"],
            previous_7_days=row["previous_7_days"],
            last_28_days=row["last_28_days"],
        )
    return volumes


def theme_representative_cases(*, theme: Theme) -> list[Case]:
    """The theme's representative cases in the order the model ranked them (cases since deleted are skipped)."""
    ids = [int(case_id) for case_id in theme.representative_case_ids]
    cases = Case.objects.defer("embedding", "raw_payload").in_bulk(ids)
    return [cases[case_id] for case_id in ids if case_id in cases]


def theme_cases(*, theme: Theme) -> QuerySet[Case]:
    """The cases currently in the theme, newest first, without their embedding bytes."""
    return (
        Case.objects.defer("embedding", "raw_payload")
        .filter(theme_link__theme=theme)
        .order_by("-received_at", "-id")
    )


def clustering_run_list() -> QuerySet[ClusteringRun]:
    """Clustering runs, newest first."""
    return ClusteringRun.objects.select_related("requested_by").order_by(
        "-created_at", "-id"
    )
