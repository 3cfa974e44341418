"""Snoozing a theme: it leaves the default theme list until a date, or until its daily volume escalates.

The escalation rule (Sentry's "archive until escalating", made explicit): at snooze time the theme's level is
its mean daily count over the SNOOZE_BASELINE_DAYS counted days up to then. Once a day (theme_snoozes_check,
from the beat after the nightly recount) every day counted since the snooze is compared with the Poisson
upper bound of that level at SNOOZE_UPPER_QUANTILE: a steady theme's daily counts are close to Poisson, so a
steady theme crosses it on about one day in a thousand (one false return in about three years), while a real
rise of a few times its level crosses it at once. A day must also hold at least SNOOZE_MINIMUM_ESCALATION_COUNT
contacts, so a theme snoozed at nearly nothing a day does not come back on two contacts. An escalated theme is
unsnoozed, shows an "escalating" badge and the team leads are emailed once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from scipy.stats import poisson

from core.jobs import enqueue_on_commit
from improvement.errors import Invalid, ThemeStateError
from improvement.models import Theme, ThemeEvent
from improvement.permissions import TEAM_LEAD, permission_require_curator
from improvement.themes.services.links import themes_lock_all
from improvement.volumes.selectors import volume_date_range, volume_theme_series

SNOOZE_UNTIL_ESCALATION = "escalation"
SNOOZE_BASELINE_DAYS = 28
SNOOZE_UPPER_QUANTILE = 0.999
SNOOZE_MINIMUM_ESCALATION_COUNT = 5
# The furthest date a theme may be snoozed to, from today.
SNOOZE_MAXIMUM_DAYS = 2 * 366


def _today() -> dt.date:
    return timezone.localdate()


def snooze_upper_bound(baseline: float) -> int:
    """The most contacts a day may hold before a theme snoozed at `baseline` a day counts as escalating."""
    bound = int(poisson.ppf(SNOOZE_UPPER_QUANTILE, baseline)) if baseline > 0 else 0
    return max(bound, SNOOZE_MINIMUM_ESCALATION_COUNT - 1)


def theme_snooze_baseline(*, theme_id: int, day: dt.date | None = None) -> float:
    """The theme's mean daily count over the SNOOZE_BASELINE_DAYS counted days ending on `day` (default: last)."""
    bounds = volume_date_range()
    if bounds is None:
        return 0.0
    day = day or bounds[1]
    start = day - dt.timedelta(days=SNOOZE_BASELINE_DAYS - 1)
    series = volume_theme_series(theme_ids=[theme_id], start=start, end=day)
    return round(sum(count for _, count in series) / SNOOZE_BASELINE_DAYS, 4)


def _until_parse(until: object) -> dt.date | None:
    """None for "escalation", the date for an ISO date after today; Invalid naming `until` otherwise."""
    if until == SNOOZE_UNTIL_ESCALATION:
        return None
    day: dt.date | None
    if isinstance(until, dt.date):
        day = until
    else:
        try:
            day = parse_date(until) if isinstance(until, str) else None
        except ValueError:
            day = None
    if day is None:
        raise Invalid({"until": f'Give "{SNOOZE_UNTIL_ESCALATION}" or a date such as 2027-01-31.'})
    today = _today()
    if day <= today:
        raise Invalid({"until": f"The date must be after today ({today.isoformat()})."})
    if day > today + dt.timedelta(days=SNOOZE_MAXIMUM_DAYS):
        raise Invalid({"until": f"The date must be at most {SNOOZE_MAXIMUM_DAYS} days ahead."})
    return day


def theme_snooze(*, theme: Theme, until: object, by: User) -> Theme:
    """Snooze an active theme until `until` ("escalation" or a later date); snoozing again replaces the snooze."""
    permission_require_curator(by)
    day = _until_parse(until)
    with transaction.atomic():
        locked = themes_lock_all()
        if theme.pk not in locked:
            raise ThemeStateError(f"Theme {theme.pk} no longer exists.")
        theme = locked[theme.pk]
        if theme.status != Theme.Status.ACTIVE:
            raise ThemeStateError(f"Theme {theme.pk} is {theme.status}; only an active theme can be snoozed.")
        theme.snooze_kind = Theme.SnoozeKind.DATE if day else Theme.SnoozeKind.ESCALATION
        theme.snoozed_until = day
        theme.snoozed_at = timezone.now()
        theme.snooze_baseline = theme_snooze_baseline(theme_id=theme.pk)
        theme.escalated_at = None
        theme.escalation_notified_at = None
        theme.save(
            update_fields=[
                "snooze_kind",
                "snoozed_until",
                "snoozed_at",
                "snooze_baseline",
                "escalated_at",
                "escalation_notified_at",
                "updated_at",
            ]
        )
        ThemeEvent.objects.create(
            theme=theme,
            kind=ThemeEvent.Kind.SNOOZED,
            actor=by,
            data={
                "until": day.isoformat() if day else SNOOZE_UNTIL_ESCALATION,
                "baseline_per_day": theme.snooze_baseline,
                "upper_bound_per_day": snooze_upper_bound(theme.snooze_baseline),
            },
        )
    return theme


def _snooze_end(theme: Theme) -> None:
    theme.snooze_kind = ""
    theme.snoozed_until = None
    theme.snoozed_at = None
    theme.snooze_baseline = None


SNOOZE_FIELDS = ["snooze_kind", "snoozed_until", "snoozed_at", "snooze_baseline", "updated_at"]


def theme_unsnooze(*, theme: Theme, by: User) -> Theme:
    """Bring a snoozed theme back to the default list now."""
    permission_require_curator(by)
    with transaction.atomic():
        locked = themes_lock_all()
        if theme.pk not in locked:
            raise ThemeStateError(f"Theme {theme.pk} no longer exists.")
        theme = locked[theme.pk]
        if not theme.snooze_kind:
            raise ThemeStateError(f"Theme {theme.pk} is not snoozed.")
        _snooze_end(theme)
        theme.save(update_fields=SNOOZE_FIELDS)
        ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.UNSNOOZED, actor=by, data={"reason": "by hand"})
    return theme


@dataclass
class SnoozeCheckResult:
    """What one daily check did: themes back because their date came, and because they escalated."""

    woken_ids: list[int] = field(default_factory=list)
    escalated_ids: list[int] = field(default_factory=list)


def _escalation(theme: Theme, *, last_day: dt.date) -> tuple[dt.date, int] | None:
    """The first day since the snooze whose count is above the upper bound (and that count), or None."""
    first_day = timezone.localtime(theme.snoozed_at).date() + dt.timedelta(days=1)
    if first_day > last_day:
        return None
    bound = snooze_upper_bound(theme.snooze_baseline or 0.0)
    for day, count in volume_theme_series(theme_ids=[theme.pk], start=first_day, end=last_day):
        if count > bound:
            return day, count
    return None


def theme_snoozes_check(*, today: dt.date | None = None) -> SnoozeCheckResult:
    """Unsnooze themes whose date came (by `today`) or whose daily volume escalated; safe to run twice.

    Escalated themes get the badge (escalated_at) and the team leads' email is enqueued after commit.
    """
    today = today or _today()
    bounds = volume_date_range()
    result = SnoozeCheckResult()
    with transaction.atomic():
        themes = [theme for theme in themes_lock_all().values() if theme.snooze_kind]
        for theme in themes:
            if theme.snooze_kind == Theme.SnoozeKind.DATE:
                if theme.snoozed_until is not None and theme.snoozed_until <= today:
                    _snooze_end(theme)
                    theme.save(update_fields=SNOOZE_FIELDS)
                    ThemeEvent.objects.create(
                        theme=theme, kind=ThemeEvent.Kind.UNSNOOZED, data={"reason": "date", "on": today.isoformat()}
                    )
                    result.woken_ids.append(theme.pk)
                continue
            if bounds is None or theme.snoozed_at is None:
                continue
            found = _escalation(theme, last_day=bounds[1])
            if found is None:
                continue
            day, count = found
            baseline = theme.snooze_baseline or 0.0
            _snooze_end(theme)
            theme.escalated_at = timezone.now()
            theme.escalation_notified_at = None
            theme.save(update_fields=[*SNOOZE_FIELDS, "escalated_at", "escalation_notified_at"])
            ThemeEvent.objects.create(
                theme=theme,
                kind=ThemeEvent.Kind.ESCALATED,
                data={
                    "day": day.isoformat(),
                    "count": count,
                    "baseline_per_day": baseline,
                    "upper_bound_per_day": snooze_upper_bound(baseline),
                },
            )
            enqueue_on_commit("improvement.theme_escalation_notify_task", theme.pk)
            result.escalated_ids.append(theme.pk)
    return result


def theme_escalation_notify(*, theme_id: int) -> int:
    """Email the team leads that a snoozed theme escalated, at most once per escalation; returns how many emails."""
    claimed = Theme.objects.filter(pk=theme_id, escalated_at__isnull=False, escalation_notified_at__isnull=True).update(
        escalation_notified_at=timezone.now()
    )
    if not claimed:
        return 0
    theme = Theme.objects.defer("centroid").get(pk=theme_id)
    event = theme.events.filter(kind=ThemeEvent.Kind.ESCALATED).order_by("-created_at", "-id").first()
    leads = get_user_model().objects.filter(groups__name=TEAM_LEAD, is_active=True).exclude(email="")
    recipients = sorted(set(leads.values_list("email", flat=True)))
    if not recipients:
        return 0
    data = event.data if event is not None else {}
    link = settings.SITE_URL.rstrip("/") + reverse("dashboards:theme_detail", kwargs={"theme_id": theme.pk})
    subject = f"[Fixloop] Snoozed theme escalating: {theme.label}"
    body = (
        f'Theme #{theme.pk} "{theme.label}" was snoozed until it escalates. On {data.get("day")} it had '
        f"{data.get('count')} contacts, above the {data.get('upper_bound_per_day')} a day its level at snooze time "
        f"({data.get('baseline_per_day')} a day) allows. It is back on the themes list.\n\n{link}\n"
    )
    messages = [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:
        Theme.objects.filter(pk=theme_id).update(escalation_notified_at=None)
        raise
