"""Email notifications for the issue workflow, sent once per audit event, and the words every channel uses.

Owners of the department hear of a new proposal, and of one withdrawn or cancelled; the lead who raised the
issue hears when a fix is accepted, rejected or shipped; both hear when a working fix regresses. Sent through
Django's email backend (the console in the demo); improvement.workflow.chat posts the same events to webhooks.
Messages link to the issue (and owners to their fix queue) under settings.SITE_URL.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone

from improvement.models import FixTicket, IssueEvent

Status = FixTicket.Status
# Events about a fix that concern its department's owners, and those that concern the lead who raised the issue.
FOR_DEPARTMENT = (Status.WITHDRAWN, Status.CANCELLED, Status.REGRESSED)
FOR_RAISING_LEAD = (Status.ACCEPTED, Status.REJECTED, Status.SHIPPED, Status.REGRESSED)


def event_concerns_department(event: IssueEvent) -> bool:
    """Whether the event is for the fix's department owners (a proposal, withdrawal, cancellation, regression)."""
    if event.fix is None:
        return False
    if event.kind == IssueEvent.Kind.FIX_PROPOSED:
        return True
    return event.kind == IssueEvent.Kind.FIX_STATUS and event.to_status in FOR_DEPARTMENT


def event_concerns_leads(event: IssueEvent) -> bool:
    """Whether the event is for the team lead who raised the issue (a decision, a shipment, a regression)."""
    return event.fix is not None and event.kind == IssueEvent.Kind.FIX_STATUS and event.to_status in FOR_RAISING_LEAD


def site_link(path: str) -> str:
    """The absolute address of a path of the site (settings.SITE_URL, no trailing slash)."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def issue_link(issue_id: int) -> str:
    return site_link(reverse("dashboards:issue_detail", kwargs={"issue_id": issue_id}))


def fix_queue_link() -> str:
    return site_link(reverse("dashboards:owner"))


def issue_event_recipients(*, event: IssueEvent) -> list[str]:
    """Email addresses the event concerns (empty for events that notify nobody)."""
    if event.fix is None:
        return []
    people: list[User | None] = []
    if event_concerns_department(event):
        people += list(event.fix.department.owners.all())
    if event_concerns_leads(event):
        people.append(event.issue.raised_by)
    return sorted({person.email for person in people if person is not None and person.is_active and person.email})


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
        lines += ["", f"Accept or reject it in your fix queue: {fix_queue_link()}"]
    else:
        label = FixTicket.Status(event.to_status).label.lower()
        # A lead withdraws or cancels a fix; the department decides, ships, or the system measures it.
        by_lead = event.to_status in (FixTicket.Status.WITHDRAWN, FixTicket.Status.CANCELLED)
        subject = f"[Fixloop] Fix {label} {'for' if by_lead else 'by'} {fix.department.name}: {issue.title}"
        lines = [f'{who} marked the fix for issue #{issue.pk} "{issue.title}" as {label}.']
        if event.to_status == FixTicket.Status.REJECTED:
            lines += ["", f"Reason: {fix.rejection_reason}"]
        if event.to_status == FixTicket.Status.SHIPPED and fix.shipped_on:
            lines += ["", f"Shipped on {fix.shipped_on.isoformat()}; its impact on contact volume will be measured."]
        if event.to_status == FixTicket.Status.REGRESSED:
            lines += ["", event.note, "", f"Issue #{issue.pk} is reopened."]
        if event.to_status in (FixTicket.Status.WITHDRAWN, FixTicket.Status.CANCELLED) and fix.withdrawal_reason:
            lines += ["", f"Reason: {fix.withdrawal_reason}"]
        lines += ["", f"Fix: {fix.description}"]
    lines += ["", f"Issue: {issue_link(issue.pk)}"]
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
