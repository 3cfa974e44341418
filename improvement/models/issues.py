"""Improvement issues raised from themes, the fix tickets departments work on, and their audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models

TITLE_MAX_LENGTH = 200
EXTERNAL_REFERENCE_MAX_LENGTH = 500


class ImprovementIssue(models.Model):
    """A root cause worth fixing, raised by a team lead from one or more themes, with the evidence of the day."""

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        FIX_SHIPPED = "fix_shipped", "Fix shipped"
        VERIFIED = "verified", "Verified"
        REOPENED = "reopened", "Reopened"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    problem_statement = models.TextField()
    root_cause_hypothesis = models.TextField(blank=True)
    # The known-error record: the cause once found, and what agents tell customers while the fix is pending.
    root_cause = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    themes = models.ManyToManyField("improvement.Theme", related_name="issues")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="raised_issues"
    )
    priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.MEDIUM)
    suggested_priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.MEDIUM)
    # Derived from the fixes by improvement.workflow.transitions.issue_status_from_fixes, except `closed`,
    # which is set explicitly.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    # Frozen when raised: volume and share over the last 28 days, trend, sample cases (see selectors.issues).
    evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class FixTicket(models.Model):
    """A change one department makes against an issue; moves only through improvement.workflow.transitions."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        IN_PROGRESS = "in_progress", "In progress"
        SHIPPED = "shipped", "Shipped"
        WORKING = "working", "Working"
        NO_CLEAR_EFFECT = "no_clear_effect", "No clear effect"
        WORSE = "worse", "Worse"
        REGRESSED = "regressed", "Regressed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        CANCELLED = "cancelled", "Cancelled"

    issue = models.ForeignKey(ImprovementIssue, on_delete=models.CASCADE, related_name="fixes")
    department = models.ForeignKey("improvement.Department", on_delete=models.PROTECT, related_name="fixes")
    description = models.TextField()
    due_date = models.DateField(null=True, blank=True)
    external_reference = models.URLField(
        max_length=EXTERNAL_REFERENCE_MAX_LENGTH, blank=True, help_text="e.g. the Jira ticket's URL"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposed_fixes"
    )
    rejection_reason = models.TextField(blank=True)
    # Why a lead withdrew the proposal, or why the fix was cancelled when its issue closed.
    withdrawal_reason = models.TextField(blank=True)
    shipped_on = models.DateField(null=True, blank=True)
    verdict_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "status"], name="fixticket_department_status")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="fixticket_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(withdrawal_reason=""),
                name="fixticket_cancelled_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["proposed", "accepted", "rejected", "in_progress", "withdrawn", "cancelled"]
                )
                | models.Q(shipped_on__isnull=False),
                name="fixticket_shipped_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Fix {self.pk} for issue {self.issue_id} ({self.status})"


class IssueEvent(models.Model):
    """One audit row: who changed what (the issue or one of its fixes), when, from which status to which."""

    class Kind(models.TextChoices):
        ISSUE_RAISED = "issue_raised", "Issue raised"
        ISSUE_STATUS = "issue_status", "Issue status changed"
        ISSUE_EDITED = "issue_edited", "Issue edited"
        FIX_PROPOSED = "fix_proposed", "Fix proposed"
        FIX_STATUS = "fix_status", "Fix status changed"
        FIX_EDITED = "fix_edited", "Fix edited"
        CASES_LINKED = "cases_linked", "Cases linked as evidence"

    issue = models.ForeignKey(ImprovementIssue, on_delete=models.CASCADE, related_name="events")
    fix = models.ForeignKey(FixTicket, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # None when the system acted (the impact evaluation recording a verdict, or a derived issue status).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the notification for this event was claimed for sending, so a task run twice sends once.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["issue", "created_at"], name="issueevent_issue_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}→{self.to_status}"

    def _status_label(self, status: str) -> str:
        is_fix_event = self.kind in (self.Kind.FIX_PROPOSED, self.Kind.FIX_STATUS, self.Kind.FIX_EDITED)
        choices = FixTicket.Status if is_fix_event else ImprovementIssue.Status
        return str(choices(status).label) if status in choices.values else status

    @property
    def from_status_label(self) -> str:
        return self._status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return self._status_label(self.to_status)


class IssueCaseLink(models.Model):
    """A case a team lead linked to an issue as extra evidence (beside the sample cases frozen when it was raised)."""

    issue = models.ForeignKey(ImprovementIssue, on_delete=models.CASCADE, related_name="case_links")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-linked_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["issue", "case"], name="issuecaselink_unique_case_per_issue")]

    def __str__(self) -> str:
        return f"case {self.case_id} → issue {self.issue_id}"


class ChatDelivery(models.Model):
    """One chat-webhook message for one audit event and one target; the unique pair makes a repeat send a no-op.

    `target` names the webhook (`department:<id>` or `leads`); `claimed_at` is set while a task is sending,
    `delivered_at` once the webhook answered 2xx.
    """

    event = models.ForeignKey(IssueEvent, on_delete=models.CASCADE, related_name="chat_deliveries")
    target = models.CharField(max_length=50)
    url = models.URLField(max_length=EXTERNAL_REFERENCE_MAX_LENGTH)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "target"], name="chatdelivery_one_per_event_target")]

    def __str__(self) -> str:
        return f"Chat delivery of event {self.event_id} to {self.target}"
