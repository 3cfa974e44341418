"""The CSV exports: one row per theme, per visible issue and per visible fix, each under its header row."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count

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


def export_issue_rows(*, user: User) -> list[list[str]]:
    """Header and one row per visible issue: id, title, status, priorities, raiser, dates, themes, and the count of
    its fixes the user may see (an owner's count leaves out other departments' fixes)."""
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


def export_fix_rows(*, user: User) -> list[list[str]]:
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
