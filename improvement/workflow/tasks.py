"""Celery tasks of the issue workflow: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from core.jobs import NOTIFY_TASK_OPTIONS
from improvement.workflow.chat import issue_event_chat
from improvement.workflow.notifications import issue_event_notify


@shared_task(name="improvement.issue_event_notify_task", **NOTIFY_TASK_OPTIONS)
def issue_event_notify_task(event_id: int) -> int:
    """Email the people an issue or fix audit event concerns (once per event); returns how many emails."""
    return issue_event_notify(event_id=event_id)


@shared_task(name="improvement.issue_event_chat_task", **NOTIFY_TASK_OPTIONS)
def issue_event_chat_task(event_id: int) -> int:
    """Post an audit event to the chat webhooks it concerns (once per event and target); returns how many posts."""
    return issue_event_chat(event_id=event_id)
