"""Writes for improvement issues: raise, edit, close, and keep the status derived from the fixes."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from improvement.errors import Invalid
from improvement.models import FixTicket, ImprovementIssue, IssueEvent, Theme
from improvement.permissions import permission_require, user_can_write_issues
from improvement.workflow.selectors import priority_suggest, theme_evidence
from improvement.workflow.services.notifying import issue_event_notify_on_commit
from improvement.workflow.transitions import (
    OPEN_STATUSES,
    Performer,
    fix_transition_check,
    issue_close_check,
    issue_reopen_check,
    issue_status_from_fixes,
)

EDITABLE_FIELDS = ("title", "problem_statement", "root_cause_hypothesis", "root_cause", "workaround", "priority")


def _require_lead(user: User, action: str) -> None:
    permission_require(user_can_write_issues(user), f"only team leads and admins may {action}")


def issue_raise(
    *,
    by: User,
    title: str,
    problem_statement: str,
    themes: Sequence[Theme],
    root_cause_hypothesis: str = "",
    root_cause: str = "",
    workaround: str = "",
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
        root_cause=root_cause.strip(),
        workaround=workaround.strip(),
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
    """Edit the title, problem statement, hypothesis, root cause, workaround or priority; the audit trail records
    what changed."""
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
    """Close the issue (leads and admins), cancelling its open fixes with the reason recorded on each.

    Proposed, accepted and in-progress fixes are cancelled (their departments are notified) rather than closing
    being refused: a lead cannot reject or ship another department's fix, so refusing would leave the issue
    hostage to every department's queue. Shipped fixes keep their status and are still measured.
    """
    _require_lead(by, "close issues")
    note = note.strip()
    reason = f"issue closed: {note}" if note else "issue closed"
    with transaction.atomic():
        issue = ImprovementIssue.objects.select_for_update().get(pk=issue.pk)
        issue_close_check(status=issue.status)
        open_fixes = FixTicket.objects.select_for_update().filter(issue=issue, status__in=OPEN_STATUSES)
        for fix in open_fixes.order_by("id"):
            fix_transition_check(
                from_status=fix.status,
                to_status=FixTicket.Status.CANCELLED,
                performer=Performer.LEAD,
                issue_status=issue.status,
            )
            previous = fix.status
            fix.status = FixTicket.Status.CANCELLED
            fix.withdrawal_reason = reason
            fix.save(update_fields=["status", "withdrawal_reason", "updated_at"])
            cancelled = IssueEvent.objects.create(
                issue=issue,
                fix=fix,
                kind=IssueEvent.Kind.FIX_STATUS,
                actor=by,
                from_status=previous,
                to_status=fix.status,
                note=reason,
            )
            issue_event_notify_on_commit(cancelled)
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
            note=note,
        )
    return issue


def issue_reopen(*, issue: ImprovementIssue, by: User, note: str = "") -> ImprovementIssue:
    """Reopen a closed issue (leads and admins); it reads "reopened" until its fixes say more.

    Fixes cancelled at closing stay cancelled: propose them again if they are still wanted.
    """
    _require_lead(by, "reopen issues")
    with transaction.atomic():
        issue = ImprovementIssue.objects.select_for_update().get(pk=issue.pk)
        issue_reopen_check(status=issue.status)
        statuses = issue.fixes.values_list("status", flat=True)
        issue.status = issue_status_from_fixes(current=ImprovementIssue.Status.REOPENED, fix_statuses=statuses)
        issue.closed_at = None
        issue.save(update_fields=["status", "closed_at", "updated_at"])
        IssueEvent.objects.create(
            issue=issue,
            kind=IssueEvent.Kind.ISSUE_STATUS,
            actor=by,
            from_status=ImprovementIssue.Status.CLOSED,
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
