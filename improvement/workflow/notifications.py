"""Email notifications for the issue workflow, sent once per audit event.

Owners of the department hear of a new proposal; the lead who raised the issue hears when a fix is
accepted, rejected or shipped; both hear when a working fix regresses. Sent through Django's email backend
(the console in the demo).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from improvement.models import FixTicket, IssueEvent


def issue_event_recipients(*, event: IssueEvent) -> list[str]:
    """Email addresses the event concerns (empty for events that notify nobody)."""
    if event.fix is None:
        return []
    if event.kind == IssueEvent.Kind.FIX_PROPOSED:
        owners = event.fix.department.owners.filter(is_active=True)
        return sorted({email for email in owners.values_list("email", flat=True) if email})
    if event.kind == IssueEvent.Kind.FIX_STATUS and event.to_status == FixTicket.Status.REGRESSED:
        people = [event.issue.raised_by, *event.fix.department.owners.all()]
        return sorted({person.email for person in people if person is not None and person.is_active and person.email})
    notified = (FixTicket.Status.ACCEPTED, FixTicket.Status.REJECTED, FixTicket.Status.SHIPPED)
    if event.kind == IssueEvent.Kind.FIX_STATUS and event.to_status in notified:
        raised_by = event.issue.raised_by
        if raised_by is not None and raised_by.is_active and raised_by.email:
            return [raised_by.email]
    return []


def issue_event_message(*, event: IssueEvent) -> tuple[str, str]:
    """Subject and body of the email for an event."""
    fix, issue = event.fix, event.issue
    if fix is None:
        raise ValueError(f"event {event.pk} is not about a fix; it notifies nobody")
    who = event.actor.get_username() if event.actor else "Fixloop"
    if event.kind == IssueEvent.Kind.FIX_PROPOSED:
        subject = f"[Fixloop] Fix proposed to {fix.department.name}: {issue.title}"
        lines = [
            f'{who} proposed a fix to {fix.department.name} for issue #{issue.pk} "{issue.title}".',
            "",
            fix.description,
        ]
        if fix.due_date:
            lines += ["", f"Due: {fix.due_date.isoformat()}"]
        lines += ["", "Accept or reject it in your fix queue."]
    else:
        label = FixTicket.Status(event.to_status).label.lower()
        subject = f"[Fixloop] Fix {label} by {fix.department.name}: {issue.title}"
        lines = [f'{who} marked the fix for issue #{issue.pk} "{issue.title}" as {label}.']
        if event.to_status == FixTicket.Status.REJECTED:
            lines += ["", f"Reason: {fix.rejection_reason}"]
        if event.to_status == FixTicket.Status.SHIPPED and fix.shipped_on:
            lines += ["", f"Shipped on {fix.shipped_on.isoformat()}; its impact on contact volume will be measured."]
        if event.to_status == FixTicket.Status.REGRESSED:
            lines += ["", event.note, "", f"Issue #{issue.pk} is reopened."]
        lines += ["", f"Fix: {fix.description}"]
    return subject, "\n".join(lines) + "\n"


def issue_event_notify(*, event_id: int) -> int:
    """Email the people an audit event concerns, at most once per event; returns how many emails went out.

    The event is claimed with a conditional update before sending, so a task delivered twice sends once;
    if sending fails the claim is released so a retry can send.
    """
    claimed = IssueEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(notified_at=timezone.now())
    if not claimed:
        return 0
    event = IssueEvent.objects.select_related("issue__raised_by", "fix__department", "actor").get(pk=event_id)
    recipients = issue_event_recipients(event=event)
    if not recipients:
        return 0
    subject, body = issue_event_message(event=event)
    messages = [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:
        IssueEvent.objects.filter(pk=event_id).update(notified_at=None)
        raise
