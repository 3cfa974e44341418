"""Writes for improvement issues: raise, edit, close, and keep the status derived from the fixes."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from improvement.errors import Invalid, TransitionNotAllowed
from improvement.models import ImprovementIssue, IssueEvent, Theme
from improvement.permissions import permission_require, user_can_write_issues
from improvement.workflow.selectors import priority_suggest, theme_evidence
from improvement.workflow.transitions import issue_status_from_fixes

EDITABLE_FIELDS = ("title", "problem_statement", "root_cause_hypothesis", "priority")


def _require_lead(user: User, action: str) -> None:
    permission_require(user_can_write_issues(user), f"only team leads and admins may {action}")


def issue_raise(
    *,
    by: User,
    title: str,
    problem_statement: str,
    themes: Sequence[Theme],
    root_cause_hypothesis: str = "",
    priority: str = "",
) -> ImprovementIssue:
    """Raise an issue from one or more themes, freezing their evidence; priority defaults to the suggested one."""
    _require_lead(by, "raise issues")
    if not themes:
        raise Invalid({"themes": "an issue is raised from at least one theme"})
    for theme in themes:
        if theme.status == Theme.Status.MERGED:
            raise Invalid(
                {"themes": f"theme {theme.pk} was merged into theme {theme.merged_into_id}; raise the issue there"}
            )
    evidence = theme_evidence(themes=themes)
    suggested = priority_suggest(evidence=evidence)
    issue = ImprovementIssue(
        title=title.strip(),
        problem_statement=problem_statement.strip(),
        root_cause_hypothesis=root_cause_hypothesis.strip(),
        raised_by=by,
        priority=priority or suggested,
        suggested_priority=suggested,
        status=ImprovementIssue.Status.OPEN,
        evidence=evidence,
    )
    issue.full_clean()
    with transaction.atomic():
        issue.save()
        issue.themes.set(themes)
        IssueEvent.objects.create(
            issue=issue,
            kind=IssueEvent.Kind.ISSUE_RAISED,
            actor=by,
            to_status=issue.status,
            note=f"priority {issue.priority} (suggested {suggested})",
        )
    return issue


def issue_update(*, issue: ImprovementIssue, by: User, **changes: str) -> ImprovementIssue:
    """Edit the title, problem statement, hypothesis or priority; the audit trail records what changed."""
    _require_lead(by, "edit issues")
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise Invalid({field: "this field cannot be edited" for field in unknown})
    with transaction.atomic():
        issue = ImprovementIssue.objects.select_for_update().get(pk=issue.pk)
        changed = []
        for field, value in changes.items():
            value = value.strip()
            if getattr(issue, field) != value:
                changed.append(f"{field}: {getattr(issue, field)!r} → {value!r}" if field == "priority" else field)
                setattr(issue, field, value)
        if not changed:
            return issue
        issue.full_clean()
        issue.save()
        IssueEvent.objects.create(
            issue=issue,
            kind=IssueEvent.Kind.ISSUE_EDITED,
            actor=by,
            from_status=issue.status,
            to_status=issue.status,
            note="; ".join(changed),
        )
    return issue


def issue_close(*, issue: ImprovementIssue, by: User, note: str = "") -> ImprovementIssue:
    """Close the issue (leads and admins): it stays closed whatever its fixes do afterwards."""
    _require_lead(by, "close issues")
    with transaction.atomic():
        issue = ImprovementIssue.objects.select_for_update().get(pk=issue.pk)
        if issue.status == ImprovementIssue.Status.CLOSED:
            raise TransitionNotAllowed("the issue is already closed")
        previous = issue.status
        issue.status = ImprovementIssue.Status.CLOSED
        issue.closed_at = timezone.now()
        issue.save(update_fields=["status", "closed_at", "updated_at"])
        IssueEvent.objects.create(
            issue=issue,
            kind=IssueEvent.Kind.ISSUE_STATUS,
            actor=by,
            from_status=previous,
            to_status=issue.status,
            note=note.strip(),
        )
    return issue


def issue_status_refresh(*, issue: ImprovementIssue) -> ImprovementIssue:
    """Set the status the fixes imply (improvement.workflow.transitions.issue_status_from_fixes), auditing a change.

    Call inside the transaction that changed a fix, with the issue row locked.
    """
    derived = issue_status_from_fixes(current=issue.status, fix_statuses=issue.fixes.values_list("status", flat=True))
    if derived != issue.status:
        previous = issue.status
        issue.status = derived
        issue.save(update_fields=["status", "updated_at"])
        IssueEvent.objects.create(
            issue=issue,
            kind=IssueEvent.Kind.ISSUE_STATUS,
            actor=None,
            from_status=previous,
            to_status=derived,
            note="follows its fixes",
        )
    return issue
