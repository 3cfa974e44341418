"""Start the notifications of an audit event once the transaction commits: the email and the chat messages."""

from __future__ import annotations

from core.jobs import enqueue_all_on_commit
from improvement.models import IssueEvent

NOTIFY_TASKS = ("improvement.issue_event_notify_task", "improvement.issue_event_chat_task")


def issue_event_notify_on_commit(event: IssueEvent) -> None:
    """Queue the email and the chat tasks of the event, after commit, by name (each sends at most once)."""
    enqueue_all_on_commit([(task_name, [event.pk]) for task_name in NOTIFY_TASKS])
