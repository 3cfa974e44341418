"""Reads for issues and fixes: the evidence behind a theme, and what each role may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When

from cases.models import Case
from cases.sentiment import STRONGLY_NEGATIVE
from improvement.models import CaseTheme, Department, FixTicket, ImprovementIssue, IssueEvent, Theme
from improvement.permissions import user_is_admin, user_is_department_owner, user_sees_all_issues
from improvement.volumes.selectors import (
    LONG_WINDOW_DAYS,
    RECENT_WINDOW_DAYS,
    ThemeVolume,
    theme_volumes,
    volume_total_series,
    volume_window_end,
)
from improvement.workflow.transitions import ACTIVE_STATUSES, SHIPPED_STATUSES

EVIDENCE_WINDOW_DAYS = LONG_WINDOW_DAYS
EVIDENCE_SAMPLE_SIZE = 5
EVIDENCE_TEXT_LENGTH = 500
# The window of the one trend (improvement.volumes.selectors.ThemeVolume.trend), as pages show it.
TREND_WINDOW_LABEL = f"last {RECENT_WINDOW_DAYS} days vs the {RECENT_WINDOW_DAYS} before"
# A theme down by at least this much (percent, week on week) is falling: never suggested above medium.
FALLING_TREND_PERCENT = -10.0
# Themes whose cases are at least this often strongly negative are suggested one step higher (never to critical):
# 25% is well above the 18% of human-tagged negative airline tweets that VADER scores strongly negative (2.5% of
# neutral ones), so only themes angrier than a typical complaint get the lift.
SEVERE_NEGATIVE_SHARE = 0.25

Priority = ImprovementIssue.Priority


def _percent(change: float | None) -> float | None:
    return None if change is None else round(100 * change, 1)


def theme_evidence(*, themes: Iterable[Theme], window_end: date | None = None) -> dict:
    """Volume and share of the themes over the 28 days ending on window_end, their trend, and a few sample cases.

    Read from the daily count tables (never the cases table); samples are the themes' representative cases.
    `trend_percent` is the one trend (ThemeVolume.trend: the last 7 days against the 7 before, of the themes'
    summed counts) in percent, None when the earlier week is empty; `trend_window` says so in words.
    """
    themes = list(themes)
    theme_ids = sorted({theme.pk for theme in themes})
    end = volume_window_end(as_of=window_end)
    volumes = list(theme_volumes(theme_ids=theme_ids, as_of=end).values())
    summed = ThemeVolume(
        last_7_days=sum(theme_volume.last_7_days for theme_volume in volumes),
        previous_7_days=sum(theme_volume.previous_7_days for theme_volume in volumes),
        last_28_days=sum(theme_volume.last_28_days for theme_volume in volumes),
        previous_28_days=sum(theme_volume.previous_28_days for theme_volume in volumes),
    )
    volume = summed.last_28_days
    start = end - timedelta(days=EVIDENCE_WINDOW_DAYS - 1)
    total = sum(count for _day, count in volume_total_series(start=start, end=end))
    negativity = CaseTheme.objects.filter(theme_id__in=theme_ids, case__negativity__isnull=False).aggregate(
        scored=Count("case_id"), strong=Count("case_id", filter=Q(case__negativity__gte=STRONGLY_NEGATIVE))
    )
    sample_ids = [case_id for theme in themes for case_id in theme.representative_case_ids][:EVIDENCE_SAMPLE_SIZE]
    samples = Case.objects.in_bulk(sample_ids)
    return {
        "theme_ids": theme_ids,
        "window_days": EVIDENCE_WINDOW_DAYS,
        "window_end": end.isoformat(),
        "volume": volume,
        "previous_volume": summed.previous_28_days,
        "total_volume": total,
        "share": round(volume / total, 4) if total else 0.0,
        "last_7_days": summed.last_7_days,
        "previous_7_days": summed.previous_7_days,
        "trend_percent": _percent(summed.trend),
        "trend_window": TREND_WINDOW_LABEL,
        "strongly_negative_share": (
            round(negativity["strong"] / negativity["scored"], 4) if negativity["scored"] else None
        ),
        "sample_cases": [
            {
                "id": case.pk,
                "channel": case.channel,
                "received_at": case.received_at.isoformat(),
                "text": case.text[:EVIDENCE_TEXT_LENGTH],
            }
            for case in (samples[case_id] for case_id in sample_ids if case_id in samples)
        ],
    }


def priority_suggest(*, evidence: dict) -> str:
    """A priority from the evidence's volume (share of all contact over 28 days), its trend (7 vs 7 days) and how
    angry its cases read (share strongly negative).

    share ≥ 10% and rising ≥ 25% → critical; falling (down 10% or more) → at most medium, whatever the share;
    share ≥ 5%, or rising ≥ 50% on at least 20 cases → high; share ≥ 1% → medium; else low.
    A new theme (no cases the week before) counts as neither rising nor falling. Then severity: at least
    SEVERE_NEGATIVE_SHARE of the cases strongly negative lifts low to medium and medium to high (a falling theme
    stays at most medium; critical comes from volume and trend only).
    """
    share = evidence.get("share") or 0.0
    trend = evidence.get("trend_percent")
    change = trend if trend is not None else 0.0
    if share >= 0.10 and change >= 25:
        return Priority.CRITICAL
    falling = change <= FALLING_TREND_PERCENT
    if not falling and (share >= 0.05 or (change >= 50 and evidence.get("volume", 0) >= 20)):
        return Priority.HIGH
    suggested = Priority.MEDIUM if share >= 0.01 else Priority.LOW
    severe = (evidence.get("strongly_negative_share") or 0.0) >= SEVERE_NEGATIVE_SHARE
    if severe and suggested == Priority.LOW:
        return Priority.MEDIUM
    if severe and not falling:
        return Priority.HIGH
    return suggested


def theme_open_issue_workarounds(*, theme_id: int, user: User | AnonymousUser) -> list[dict]:
    """The workarounds agents can use now: those recorded on the theme's issues that are not closed and that the
    user may see (issue_list_visible), newest first."""
    issues = (
        issue_list_visible(user=user)
        .filter(themes=theme_id)
        .exclude(status=ImprovementIssue.Status.CLOSED)
        .exclude(workaround="")
        .order_by("-created_at", "-id")
    )
    return [
        {"issue": issue.pk, "title": issue.title, "status": issue.status, "workaround": issue.workaround}
        for issue in issues
    ]


def fix_list_visible(*, user: User | AnonymousUser) -> QuerySet[FixTicket]:
    """Fixes the user may see: all for leads, executives and admins; a department owner's own departments' fixes."""
    fixes = FixTicket.objects.select_related("issue", "department", "proposed_by")
    if user_sees_all_issues(user):
        return fixes.all()
    if user_is_department_owner(user):
        return fixes.filter(department__owners=user.pk)
    return fixes.none()


def issue_list_visible(*, user: User | AnonymousUser) -> QuerySet[ImprovementIssue]:
    """Issues the user may see: all for leads, executives and admins; for a department owner, issues with a fix
    for one of their departments."""
    issues = ImprovementIssue.objects.select_related("raised_by").prefetch_related("themes")
    if user_sees_all_issues(user):
        return issues.all()
    if user_is_department_owner(user):
        return issues.filter(pk__in=FixTicket.objects.filter(department__owners=user.pk).values("issue_id"))
    return issues.none()


# The sort keys the issues list accepts (a leading "-" reverses); priority and status sort by rank, not spelling.
ISSUE_SORT_KEYS = ("created", "priority", "status", "title")
ISSUE_DEFAULT_SORT = "-created"


def _rank(field: str, values: list[str]) -> SqlCase:
    return SqlCase(
        *(When(**{field: value}, then=Value(rank)) for rank, value in enumerate(values)),
        default=Value(len(values)),
        output_field=IntegerField(),
    )


def issue_list_filtered(
    *,
    user: User | AnonymousUser,
    status: str = "",
    priority: str = "",
    department: Department | None = None,
    theme: Theme | None = None,
    search: str = "",
    sort: str = ISSUE_DEFAULT_SORT,
) -> QuerySet[ImprovementIssue]:
    """The issues the user may see (issue_list_visible) narrowed by status, priority, the department of one of
    their fixes, a theme, and a case-insensitive search of title and problem statement; ordered by `sort`
    (one of ISSUE_SORT_KEYS, "-" first for descending), ties broken newest id first.

    Empty filters do not narrow. Raises ValueError on a sort key outside ISSUE_SORT_KEYS.
    """
    key = sort.removeprefix("-")
    if key not in ISSUE_SORT_KEYS:
        raise ValueError(f"unknown sort {sort!r}")
    issues = issue_list_visible(user=user)
    if status:
        issues = issues.filter(status=status)
    if priority:
        issues = issues.filter(priority=priority)
    if department is not None:
        issues = issues.filter(pk__in=FixTicket.objects.filter(department=department).values("issue_id"))
    if theme is not None:
        issues = issues.filter(themes=theme)
    if search:
        issues = issues.filter(Q(title__icontains=search) | Q(problem_statement__icontains=search))
    descending = sort.startswith("-")
    if key == "priority":
        issues = issues.annotate(sort_rank=_rank("priority", ImprovementIssue.Priority.values))
        field = "sort_rank"
    elif key == "status":
        issues = issues.annotate(sort_rank=_rank("status", ImprovementIssue.Status.values))
        field = "sort_rank"
    else:
        field = {"created": "created_at", "title": "title"}[key]
    return issues.order_by(f"-{field}" if descending else field, "-id")


def issue_list_themes(*, user: User | AnonymousUser) -> QuerySet[Theme]:
    """The themes of the issues the user may see, by label: the choices of the issues list's theme filter."""
    return Theme.objects.filter(issues__in=issue_list_visible(user=user)).distinct().order_by("label", "id")


def issue_fixes_visible(*, issue: ImprovementIssue, user: User | AnonymousUser) -> QuerySet[FixTicket]:
    """The issue's fixes the user may see, oldest first."""
    return fix_list_visible(user=user).filter(issue=issue).order_by("created_at", "id")


def issue_events_visible(*, issue: ImprovementIssue, user: User | AnonymousUser) -> QuerySet[IssueEvent]:
    """The issue's audit trail, oldest first: its own events and those of the fixes the user may see."""
    visible_fixes = fix_list_visible(user=user).filter(issue=issue).values("pk")
    return (
        IssueEvent.objects.filter(issue=issue)
        .filter(Q(fix__isnull=True) | Q(fix__in=visible_fixes))
        .select_related("actor", "fix__department")
        .order_by("created_at", "id")
    )


def fix_queue_for_owner(*, user: User) -> dict[str, QuerySet[FixTicket]]:
    """The owner's fix queue: waiting for a decision, in progress (accepted or started), shipped with verdicts."""
    departments = Department.objects.all() if user_is_admin(user) else Department.objects.filter(owners=user)
    fixes = (
        FixTicket.objects.filter(department__in=departments)
        .select_related("issue", "department", "proposed_by")
        .order_by("due_date", "created_at", "id")
    )
    return {
        "waiting": fixes.filter(status=FixTicket.Status.PROPOSED),
        "in_progress": fixes.filter(status__in=ACTIVE_STATUSES),
        "shipped": fixes.filter(status__in=SHIPPED_STATUSES).order_by("-shipped_on", "-id"),
    }


def issue_linked_cases(*, issue: ImprovementIssue) -> list[Case]:
    """The cases linked to the issue as evidence, most recently linked first, with `linked_at` and `linked_by_name`."""
    links = issue.case_links.select_related("linked_by").order_by("-linked_at", "-id")
    by_case = {link.case_id: link for link in links}
    cases = Case.objects.defer("embedding", "raw_payload").in_bulk(list(by_case))
    result = []
    for case_id, link in by_case.items():
        case = cases[case_id]
        # Shown beside the case on the issue page; not model fields.
        setattr(case, "linked_at", link.linked_at)  # noqa: B010
        setattr(case, "linked_by_name", link.linked_by.username if link.linked_by else "")  # noqa: B010
        result.append(case)
    return result
