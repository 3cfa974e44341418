"""Fixes' outcomes: their marks on a theme's timeline, their measured impact and the per-department scorecard."""

from __future__ import annotations

import datetime as dt
import statistics

from django.db.models import QuerySet, Sum

from dashboards.selectors.common import DashboardFilters
from improvement.errors import ImpactUnavailable
from improvement.impact.estimator.looks import EXTENDED_HORIZON_DAYS
from improvement.impact.selectors import POST_DAYS, fix_impact_read
from improvement.models import DailyThemeVolume, Department, FixImpact, FixTicket, IssueEvent

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


def shipped_fix_mark(fix: FixTicket) -> dict:
    """A shipped fix as a mark on a theme's timeline: id, ship day, department, start of its description, status."""
    return {
        "fix_id": fix.pk,
        "shipped_on": fix.shipped_on.isoformat(),
        "department": fix.department.name,
        "description": fix.description[:120],
        "status": fix.status,
    }


def impact_summary(impact: FixImpact) -> dict:
    """The impact's verdict and measured numbers, JSON-ready (the chart series are in `fix_impact_series`)."""
    return {
        "verdict": impact.verdict,
        "verdict_label": impact.get_verdict_display(),
        "is_provisional": impact.is_provisional,
        "post_days_observed": impact.post_days_observed,
        "relative_effect": impact.relative_effect,
        "ci_low": impact.ci_low,
        "ci_high": impact.ci_high,
        "interval_level": impact.interval_level,
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


def owner_impacts(*, fix_ids: list[int]) -> dict[int, FixImpact]:
    """The impact rows of these fixes, by fix id (one query)."""
    return {impact.fix_id: impact for impact in FixImpact.objects.filter(fix_id__in=fix_ids)}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def department_scorecard(*, fixes: list[FixTicket]) -> list[dict]:
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


def _percent(share: float) -> int:
    return round(abs(share) * 100)


def _fewer_or_more(share: float) -> str:
    return f"{_percent(share)}% {'fewer' if share < 0 else 'more'}"


def impact_in_plain_words(*, impact: FixImpact | None, reason: str = "") -> str:
    """The impact as one or two sentences a team lead reads without statistics: the change in contacts, the
    verdict's range as "between", and the days it covers (no p-values). `reason` says why there is no impact yet."""
    if impact is None:
        return f"Not measured yet: {reason}." if reason else "Not measured yet."
    days = impact.post_days_observed
    # A fix with no clear effect at day 28 is read on to day 56 (improvement/impact/estimator/looks.py).
    horizon = POST_DAYS if days <= POST_DAYS else EXTENDED_HORIZON_DAYS
    window = f"in the {days} day{'' if days == 1 else 's'} after shipping"
    effect, low, high = impact.relative_effect, impact.ci_low, impact.ci_high
    if impact.verdict == FixImpact.Verdict.TOO_EARLY:
        return (
            f"Too early to tell: only {days} of {POST_DAYS} days after shipping are counted so far. "
            f"Up to now contacts are about {_fewer_or_more(effect)} than expected without the fix "
            f"(between {_fewer_or_more(low)} and {_fewer_or_more(high)})."
        )
    if impact.verdict == FixImpact.Verdict.WORKING and high <= 0:
        sentence = (
            f"Contacts fell about {_percent(effect)}% (between {_percent(high)}% and {_percent(low)}%) {window}. "
            f"That is about {impact.contacts_avoided:.0f} contacts avoided "
            f"(between {impact.contacts_avoided_low:.0f} and {impact.contacts_avoided_high:.0f})."
        )
    elif impact.verdict == FixImpact.Verdict.WORSE and low >= 0:
        sentence = (
            f"Contacts rose about {_percent(effect)}% (between {_percent(low)}% and {_percent(high)}%) {window}, "
            "more than expected without the fix."
        )
        if impact.contacts_avoided < 0:
            sentence += (
                f" That is about {-impact.contacts_avoided:.0f} contacts added "
                f"(between {-impact.contacts_avoided_high:.0f} and {-impact.contacts_avoided_low:.0f})."
            )
    elif impact.verdict == FixImpact.Verdict.INCONCLUSIVE:
        sentence = (
            f"Inconclusive: contacts are about {_fewer_or_more(effect)} than expected without the fix {window} "
            f"(between {_fewer_or_more(low)} and {_fewer_or_more(high)}), but this theme's history is too unsteady "
            "to tell a fix's effect from its own ups and downs: measured the same way at earlier dates, when "
            f"nothing shipped, it found an effect {impact.placebo_found} times out of {impact.placebo_runs}."
        )
    else:
        sentence = (
            f"No clear effect: contacts stayed within what was expected without the fix {window} "
            f"(between {_fewer_or_more(low)} and {_fewer_or_more(high)})."
        )
    if impact.is_provisional:
        sentence += f" Provisional: {days} of {horizon} days counted so far."
    return sentence


def placebo_in_plain_words(*, impact: FixImpact | None) -> str:
    """The placebo check in words: the same measurement at earlier dates when nothing shipped, and what it found."""
    if impact is None or not impact.placebo_runs:
        return "Not run: the history before shipping is too short to check the measurement against earlier dates."
    runs, found = impact.placebo_runs, impact.placebo_found
    return (
        f"Measured the same way at {runs} earlier date{'' if runs == 1 else 's'}, when nothing shipped, "
        f"it found an effect {'no' if found == 0 else found} time{'' if found == 1 else 's'}"
        f"{'' if found == 0 else ' out of ' + str(runs)}."
    )


def fix_events(*, fix: FixTicket) -> QuerySet[IssueEvent]:
    """The fix's own history, oldest first (the issue's events are on the issue page)."""
    return IssueEvent.objects.filter(fix=fix).select_related("actor").order_by("created_at", "id")


def fix_page_data(*, fix: FixTicket) -> dict:
    """What the fix page shows: its impact (stored, or estimated now before the first evaluation), the impact in
    plain words, the chart series and the fix's history."""
    impact: FixImpact | None = None
    if fix.shipped_on is None:
        reason = "the fix has not shipped"
    else:
        try:
            impact, reason = fix_impact_read(fix=fix), ""
        except ImpactUnavailable as error:
            reason = str(error)
    return {
        "impact": impact,
        "plain_words": impact_in_plain_words(impact=impact, reason=reason),
        "placebo_words": placebo_in_plain_words(impact=impact),
        "post_days": POST_DAYS,
        "series": (
            {**fix_impact_series(impact), "shipped_on": impact.ship_date.isoformat()}
            if impact is not None and impact.dates
            else None
        ),
        "events": list(fix_events(fix=fix)),
    }


def _window_total(counts: dict[tuple[int, dt.date], int], *, themes: set[int], start: dt.date, end: dt.date) -> int:
    return sum(total for (theme_id, day), total in counts.items() if theme_id in themes and start <= day <= end)


def fix_impact_filter_shares(measured: list[FixTicket], *, filters: DashboardFilters) -> dict[int, float]:
    """Per fix: the brand's and channel's share of its themes' contacts over the days its impact covers.

    An impact is estimated on all brands and channels together; scaling its contacts avoided by this share assumes
    the fix changed every brand and channel alike, which is the most the daily counts can say. 1.0 unfiltered.
    """
    if not (filters.brand or filters.channel) or not measured:
        return {fix.pk: 1.0 for fix in measured}
    windows = {
        fix.pk: (
            set(fix.impact.theme_ids),
            dt.date.fromisoformat(fix.impact.dates[0]),
            dt.date.fromisoformat(fix.impact.dates[-1]),
        )
        for fix in measured
        if fix.impact.dates
    }
    if not windows:
        return {fix.pk: 0.0 for fix in measured}
    rows = DailyThemeVolume.objects.filter(
        theme_id__in=set().union(*(themes for themes, _, _ in windows.values())),
        day__gte=min(start for _, start, _ in windows.values()),
        day__lte=max(end for _, _, end in windows.values()),
    )
    selected = rows
    if filters.brand:
        selected = selected.filter(brand=filters.brand)
    if filters.channel:
        selected = selected.filter(channel=filters.channel)

    def grouped(queryset) -> dict[tuple[int, dt.date], int]:
        return {
            (theme_id, day): int(total)
            for theme_id, day, total in queryset.values("theme_id", "day")
            .annotate(total=Sum("count"))
            .values_list("theme_id", "day", "total")
            .order_by()
        }

    everything, chosen = grouped(rows), grouped(selected)
    shares = {}
    for fix in measured:
        if fix.pk not in windows:
            shares[fix.pk] = 0.0
            continue
        themes, start, end = windows[fix.pk]

        all_contacts = _window_total(everything, themes=themes, start=start, end=end)
        chosen_contacts = _window_total(chosen, themes=themes, start=start, end=end)
        shares[fix.pk] = chosen_contacts / all_contacts if all_contacts else 0.0
    return shares
