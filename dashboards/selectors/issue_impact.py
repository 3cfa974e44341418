"""The issue page's impact: its themes' actual contacts against the expected without its fixes, every shipped
fix's ship date marked, the combined effect in plain words and each fix's contacts avoided or added."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from dashboards.selectors.fixes import fix_impact_series, impact_in_plain_words
from improvement.errors import ImpactUnavailable
from improvement.impact.selectors import fix_impact_read, issue_combined_impact
from improvement.models import FixImpact, FixTicket, ImprovementIssue
from improvement.workflow.selectors import issue_fixes_visible
from improvement.workflow.transitions import SHIPPED_STATUSES


def issue_impact_data(*, issue: ImprovementIssue, user: User | AnonymousUser) -> dict | None:
    """The combined impact of the issue's shipped fixes, or None before one can be measured.

    With one ship date it is that fix's impact; with several, all of them together from the first ship date
    (improvement.impact.selectors.issue_combined_impact). Marks and per-fix rows cover the fixes the user may see.
    """
    shipped = list(
        issue.fixes.filter(status__in=SHIPPED_STATUSES, shipped_on__isnull=False).order_by("shipped_on", "id")
    )
    if not shipped:
        return None
    several = len({fix.shipped_on for fix in shipped}) > 1
    combined: FixImpact | None
    if several:
        combined = issue_combined_impact(issue=issue)
    else:
        try:
            combined = fix_impact_read(fix=shipped[0])
        except ImpactUnavailable:
            combined = None
    if combined is None or not combined.dates:
        return None
    words = impact_in_plain_words(impact=combined)
    if several:
        words = words.replace("after shipping", "after the first fix shipped")
    visible = set(
        issue_fixes_visible(issue=issue, user=user)
        .filter(pk__in=[fix.pk for fix in shipped])
        .values_list("pk", flat=True)
    )
    shown = [fix for fix in shipped if fix.pk in visible]
    return {
        "impact": combined,
        "fix_count": len(shipped),
        "plain_words": words,
        "series": {**fix_impact_series(combined), "shipped_on": combined.ship_date.isoformat()},
        "marks": [_ship_mark(fix) for fix in shown],
        "fixes": [{"fix": fix, "impact": _stored_impact(fix)} for fix in shown],
    }


def _ship_mark(fix: FixTicket) -> dict:
    shipped_on = fix.shipped_on.isoformat()
    return {
        "shipped_on": shipped_on,
        "label": f"Fix #{fix.pk} shipped",
        "hover": f"Fix #{fix.pk} ({fix.department.name}) shipped {shipped_on}",
    }


def _stored_impact(fix: FixTicket) -> FixImpact | None:
    return FixImpact.objects.filter(fix=fix).first()
