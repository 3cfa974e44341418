"""The CSV exports: one row per theme, per visible issue and per visible fix, each under its header row."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count

from dashboards.selectors.common import DashboardFilters, theme_daily_counts
from dashboards.selectors.contacts_change import contacts_change
from dashboards.selectors.fixes import fix_impact_filter_shares
from improvement.models import Theme
from improvement.volumes.selectors import theme_volumes
from improvement.workflow.selectors import fix_list_visible, issue_list_visible


def _cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def export_theme_rows(*, filters: DashboardFilters | None = None) -> list[list[str]]:
    """Header and one row per theme: id, label, status, merged into, size, keywords, last 28 days' volume; with
    filters, also its contacts in their period, brand and channel (`contacts_in_filter`)."""
    themes = list(Theme.objects.defer("centroid").order_by("-size", "id"))
    volumes = theme_volumes(theme_ids=[theme.pk for theme in themes])
    header = ["theme_id", "label", "status", "merged_into_id", "size", "keywords", "volume_last_28_days", "created_at"]
    if filters is None:
        in_filter = None
    else:
        in_filter = {theme_id: sum(days.values()) for theme_id, days in theme_daily_counts(filters=filters).items()}
        header.append("contacts_in_filter")
    rows = [header]
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
                    *(() if in_filter is None else (in_filter.get(theme.pk, 0),)),
                )
            ]
        )
    return rows


def export_issue_rows(*, user: User, filters: DashboardFilters | None = None) -> list[list[str]]:
    """Header and one row per visible issue: id, title, status, priorities, raiser, dates, themes, and the count of
    its fixes the user may see (an owner's count leaves out other departments' fixes). With filters, only the
    issues raised in their period (an issue has no brand or channel)."""
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
    fix_counts = dict(
        fix_list_visible(user=user)
        .order_by()
        .values("issue_id")
        .annotate(count=Count("pk"))
        .values_list("issue_id", "count")
    )
    issues = issue_list_visible(user=user).order_by("id")
    if filters is not None:
        issues = issues.filter(created_at__date__gte=filters.start, created_at__date__lte=filters.end)
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
                    fix_counts.get(issue.pk, 0),
                )
            ]
        )
    return rows


def export_fix_rows(*, user: User, filters: DashboardFilters | None = None) -> list[list[str]]:
    """Header and one row per visible fix: its issue, department, status, dates, verdict and measured impact.

    With filters: only the fixes shipped in their period (unshipped ones: proposed in it), plus the brand's and
    channel's share of each measured fix's contacts and its contacts avoided scaled to it, as the dashboard counts.
    """
    header = [
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
        # In words, so a negative "avoided" reads as contacts added ("100 contacts added (20 to 250)").
        "contacts_change",
        "impact_computed_at",
    ]
    fixes = list(fix_list_visible(user=user).select_related("impact").order_by("id"))
    shares: dict[int, float] = {}
    if filters is not None:
        header += [
            "filter_share",
            "contacts_avoided_in_filter",
            "contacts_avoided_in_filter_low",
            "contacts_avoided_in_filter_high",
        ]
        fixes = [fix for fix in fixes if filters.start <= (fix.shipped_on or fix.created_at.date()) <= filters.end]
        shares = fix_impact_filter_shares([fix for fix in fixes if getattr(fix, "impact", None)], filters=filters)
    rows = [header]
    for fix in fixes:
        impact = getattr(fix, "impact", None)
        share = shares.get(fix.pk)
        in_filter = (
            ()
            if filters is None
            else ("", "", "", "")
            if impact is None or share is None
            else (
                round(share, 4),
                round(impact.contacts_avoided * share, 1),
                round(impact.contacts_avoided_low * share, 1),
                round(impact.contacts_avoided_high * share, 1),
            )
        )
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
                contacts_change(
                    estimate=impact.contacts_avoided,
                    low=impact.contacts_avoided_low,
                    high=impact.contacts_avoided_high,
                ).text,
                impact.computed_at.isoformat(),
            )
            if impact
            else ("",) * 12
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
                    *in_filter,
                )
            ]
        )
    return rows
