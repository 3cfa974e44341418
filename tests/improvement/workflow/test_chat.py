"""Chat notifications against a real HTTP receiver on 127.0.0.1 (a webhook stand-in in a thread)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from improvement.models import ChatDelivery, FixTicket
from improvement.workflow.chat import ChatDeliveryFailed, issue_event_chat
from improvement.workflow.services.fixes import fix_accept, fix_propose
from improvement.workflow.tasks import issue_event_chat_task
from tests.factories import DepartmentFactory, DepartmentOwnerFactory
from tests.improvement.workflow_factories import FixFactory, IssueFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """Records each POST body; answers with the next planned (status, delay seconds), then 200 at once."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.plan: list[tuple[int, float]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    status, delay = receiver.plan.pop(0) if receiver.plan else (200, 0.0)
                time.sleep(delay)
                with receiver.lock:
                    receiver.bodies.append({"path": self.path, "status": status, **body})
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answered(self, status: int) -> list[str]:
        return [body["path"] for body in self.bodies if body["status"] == status]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join()


@pytest.fixture
def logistics(receiver):
    return DepartmentFactory(
        name="Logistics",
        owners=[DepartmentOwnerFactory(username="owner-logistics")],
        chat_webhook_url=f"{receiver.url}/logistics",
    )


@pytest.fixture
def chat_settings(settings, receiver):
    settings.LEADS_CHAT_WEBHOOK_URL = f"{receiver.url}/leads"
    settings.SITE_URL = "https://fixloop.example.com"
    settings.CHAT_WEBHOOK_TIMEOUT_SECONDS = 0.5
    return settings


def test_a_proposal_posts_once_to_the_department_webhook_after_commit_with_a_link(
    team_lead, logistics, receiver, chat_settings, django_capture_on_commit_callbacks
):
    issue = IssueFactory(title="Parcels go missing", raised_by=team_lead)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fix_propose(issue=issue, department=logistics, description="Photo proof", by=team_lead)
    assert receiver.bodies == []
    callbacks[0]()

    assert [body["path"] for body in receiver.bodies] == ["/logistics"]
    text = receiver.bodies[0]["text"]
    assert text.startswith("Fix proposed to Logistics: Parcels go missing\n\nlead-user proposed a fix to Logistics")
    assert f"Issue: https://fixloop.example.com/issues/{issue.pk}/" in text
    assert "fix queue: https://fixloop.example.com/dashboards/queue/" in text


def test_an_acceptance_posts_to_the_leads_webhook(
    team_lead, logistics, receiver, chat_settings, django_capture_on_commit_callbacks
):
    fix = FixFactory(issue=IssueFactory(raised_by=team_lead), department=logistics, status=FixTicket.Status.PROPOSED)

    with django_capture_on_commit_callbacks(execute=True):
        fix_accept(fix=fix, by=logistics.owners.get())

    assert [body["path"] for body in receiver.bodies] == ["/leads"]
    assert receiver.bodies[0]["text"].startswith("Fix accepted by Logistics:")


def test_the_task_run_twice_posts_exactly_once(team_lead, logistics, receiver, chat_settings):
    with_callbacks_off = FixFactory(department=logistics, status=FixTicket.Status.PROPOSED)
    event = with_callbacks_off.issue.events.create(
        kind="fix_proposed", fix=with_callbacks_off, actor=team_lead, to_status="proposed"
    )

    first = issue_event_chat_task.delay(event.pk).get()
    second = issue_event_chat_task.delay(event.pk).get()

    assert (first, second, len(receiver.bodies)) == (1, 0, 1)
    delivery = ChatDelivery.objects.get()
    assert (delivery.target, delivery.attempts, delivery.delivered_at is not None) == (
        f"department:{logistics.pk}",
        1,
        True,
    )


def test_a_500_is_retried_and_then_delivered_once(team_lead, logistics, receiver, chat_settings):
    fix = FixFactory(department=logistics, status=FixTicket.Status.PROPOSED)
    event = fix.issue.events.create(kind="fix_proposed", fix=fix, actor=team_lead, to_status="proposed")
    receiver.plan = [(500, 0.0)]

    # throw=False: run as a worker would, the autoretry re-running the task (eagerly, at once) instead of raising.
    posted = issue_event_chat_task.apply(args=[event.pk], throw=False).get()

    assert (posted, receiver.answered(500), receiver.answered(200)) == (1, ["/logistics"], ["/logistics"])
    delivery = ChatDelivery.objects.get()
    assert (delivery.attempts, delivery.last_error, delivery.delivered_at is not None) == (2, "", True)


def test_a_webhook_slower_than_the_timeout_fails_releases_the_claim_and_the_retry_delivers(
    team_lead, logistics, receiver, chat_settings
):
    fix = FixFactory(department=logistics, status=FixTicket.Status.PROPOSED)
    event = fix.issue.events.create(kind="fix_proposed", fix=fix, actor=team_lead, to_status="proposed")
    receiver.plan = [(200, 2.0)]

    with pytest.raises(ChatDeliveryFailed, match="webhook unreachable"):
        issue_event_chat(event_id=event.pk)
    delivery = ChatDelivery.objects.get()
    assert (delivery.attempts, delivery.claimed_at, delivery.delivered_at) == (1, None, None)
    assert "timed out" in delivery.last_error

    assert issue_event_chat(event_id=event.pk) == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.delivered_at is not None) == (2, True)


def test_a_4xx_is_recorded_and_not_retried(team_lead, logistics, receiver, chat_settings):
    fix = FixTicket.objects.get(pk=FixFactory(department=logistics, status=FixTicket.Status.PROPOSED).pk)
    event = fix.issue.events.create(kind="fix_proposed", fix=fix, actor=team_lead, to_status="proposed")
    receiver.plan = [(404, 0.0)]

    posted = issue_event_chat_task.delay(event.pk).get()

    delivery = ChatDelivery.objects.get()
    assert (posted, len(receiver.bodies), delivery.delivered_at, delivery.last_error) == (
        0,
        1,
        None,
        "webhook answered 404",
    )


def test_no_webhook_configured_posts_nothing(team_lead, receiver, settings):
    settings.LEADS_CHAT_WEBHOOK_URL = ""
    department = DepartmentFactory(name="Billing")
    fix = FixFactory(department=department, status=FixTicket.Status.PROPOSED)
    event = fix.issue.events.create(kind="fix_proposed", fix=fix, actor=team_lead, to_status="proposed")

    assert issue_event_chat(event_id=event.pk) == 0
    assert (receiver.bodies, ChatDelivery.objects.count()) == ([], 0)


@pytest.mark.worker
def test_a_real_worker_given_the_task_twice_posts_once(team_lead, logistics, receiver, celery_worker_process):
    from tests.utils import wait_until

    fix = FixFactory(department=logistics, status=FixTicket.Status.PROPOSED)
    event = fix.issue.events.create(kind="fix_proposed", fix=fix, actor=team_lead, to_status="proposed")

    celery_worker_process("improvement.issue_event_chat_task", event.pk)
    celery_worker_process("improvement.issue_event_chat_task", event.pk)

    assert wait_until(lambda: ChatDelivery.objects.filter(delivered_at__isnull=False).count() == 1, timeout=60)
    assert wait_until(lambda: len(receiver.bodies) >= 1, timeout=10)
    time.sleep(1)  # give a duplicate post, were there one, the time to arrive before counting
    assert [body["path"] for body in receiver.bodies] == ["/logistics"]
