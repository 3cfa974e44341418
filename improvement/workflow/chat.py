"""Chat notifications: the workflow's email events posted to Slack/Teams-compatible incoming webhooks.

A department's webhook (Department.chat_webhook_url) gets the events its owners are emailed about; the leads'
webhook (settings.LEADS_CHAT_WEBHOOK_URL) those the raising lead is emailed about. Each message is JSON
`{"text": ...}`. One ChatDelivery row per event and target, claimed with a conditional update before posting,
keeps a task run twice from posting twice; a failed post releases the claim so the task's retry can post.
"""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from improvement.models import ChatDelivery, IssueEvent
from improvement.workflow.notifications import event_concerns_department, event_concerns_leads, issue_event_message

LEADS_TARGET = "leads"
# A claim older than this belongs to a worker that died mid-post (the task's hard time limit is 90 s).
STALE_CLAIM = datetime.timedelta(minutes=5)
ERROR_TEXT_LENGTH = 500


class ChatDeliveryFailed(ConnectionError):
    """The webhook could not be reached, timed out or answered 5xx/429: worth retrying (a ConnectionError, so the
    notify tasks' autoretry catches it)."""


class ChatDeliveryRefused(Exception):
    """The webhook answered 4xx: retrying will not help (a removed or mistyped webhook)."""


def department_target(department_id: int) -> str:
    return f"department:{department_id}"


def issue_event_chat_targets(*, event: IssueEvent) -> list[tuple[str, str]]:
    """(target, webhook URL) pairs the event is posted to: the fix's department's, the leads', both or none."""
    targets = []
    if event_concerns_department(event) and event.fix is not None and event.fix.department.chat_webhook_url:
        targets.append((department_target(event.fix.department_id), event.fix.department.chat_webhook_url))
    if event_concerns_leads(event) and settings.LEADS_CHAT_WEBHOOK_URL:
        targets.append((LEADS_TARGET, settings.LEADS_CHAT_WEBHOOK_URL))
    return targets


def issue_event_chat_text(*, event: IssueEvent) -> str:
    """The chat message: the email's subject and body in one text."""
    subject, body = issue_event_message(event=event)
    return f"{subject.removeprefix('[Fixloop] ')}\n\n{body}".strip()


def chat_post(*, url: str, text: str, timeout: float) -> None:
    """POST `{"text": text}` as JSON to the webhook; raise ChatDeliveryFailed or ChatDeliveryRefused unless 2xx."""
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # an admin-set https URL
            response.read()
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise ChatDeliveryFailed(f"webhook answered {error.code}") from error
        raise ChatDeliveryRefused(f"webhook answered {error.code}") from error
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, or timed out (TimeoutError)
        raise ChatDeliveryFailed(f"webhook unreachable: {error}") from error


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    unclaimed = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)
    return bool(
        ChatDelivery.objects.filter(unclaimed, pk=delivery_id, delivered_at__isnull=True).update(
            claimed_at=now, attempts=F("attempts") + 1
        )
    )


def _release(delivery_id: int, error: Exception) -> None:
    ChatDelivery.objects.filter(pk=delivery_id).update(claimed_at=None, last_error=str(error)[:ERROR_TEXT_LENGTH])


def issue_event_chat(*, event_id: int) -> int:
    """Post the event to each webhook it concerns, at most once per event and target; returns how many posted.

    A transient failure of one target is raised (ChatDeliveryFailed) after the others were tried, so the
    task retries only what is still undelivered; a 4xx is recorded on the delivery and not retried.
    """
    event = IssueEvent.objects.select_related("issue__raised_by", "fix__department", "actor").get(pk=event_id)
    targets = issue_event_chat_targets(event=event)
    if not targets:
        return 0
    text = issue_event_chat_text(event=event)
    timeout = float(settings.CHAT_WEBHOOK_TIMEOUT_SECONDS)
    posted = 0
    failures: list[ChatDeliveryFailed] = []
    for target, url in targets:
        delivery, _ = ChatDelivery.objects.get_or_create(event=event, target=target, defaults={"url": url})
        if not _claim(delivery.pk):
            continue
        try:
            chat_post(url=delivery.url, text=text, timeout=timeout)
        except ChatDeliveryFailed as error:
            _release(delivery.pk, error)
            failures.append(error)
            continue
        except ChatDeliveryRefused as error:
            _release(delivery.pk, error)
            continue
        ChatDelivery.objects.filter(pk=delivery.pk).update(delivered_at=timezone.now(), claimed_at=None, last_error="")
        posted += 1
    if failures:
        raise failures[0]
    return posted
