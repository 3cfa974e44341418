from __future__ import annotations

import datetime

import pytest

from improvement.models import FixTicket, IssueEvent
from improvement.workflow.notifications import issue_event_notify
from improvement.workflow.services.fixes import fix_accept, fix_propose, fix_reject, fix_ship, fix_start
from improvement.workflow.tasks import issue_event_notify_task
from tests.factories import DepartmentFactory, DepartmentOwnerFactory
from tests.improvement.workflow_factories import FixFactory, IssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logistics(db):
    owners = [DepartmentOwnerFactory(username="owner-logistics"), DepartmentOwnerFactory(username="owner-logistics-2")]
    return DepartmentFactory(name="Logistics", owners=owners)


def test_a_proposal_emails_every_owner_of_the_department_once_committed(
    team_lead, logistics, mailoutbox, django_capture_on_commit_callbacks
):
    issue = IssueFactory(title="Parcels go missing", raised_by=team_lead)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fix_propose(
            issue=issue,
            department=logistics,
            description="Photo on delivery",
            by=team_lead,
            due_date=datetime.date(2099, 4, 1),
        )
    assert (len(callbacks), len(mailoutbox)) == (1, 0)
    callbacks[0]()

    assert [message.to for message in mailoutbox] == [
        ["owner-logistics-2@example.com"],
        ["owner-logistics@example.com"],
    ]
    assert mailoutbox[0].subject == "[Fixloop] Fix proposed to Logistics: Parcels go missing"
    assert "lead-user proposed a fix to Logistics" in mailoutbox[0].body
    assert "Due: 2099-04-01" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("status", "service", "arguments", "subject", "body"),
    [
        ("proposed", fix_accept, {}, "[Fixloop] Fix accepted by Logistics: Issue A", "as accepted"),
        (
            "proposed",
            fix_reject,
            {"reason": "we do not deliver there"},
            "[Fixloop] Fix rejected by Logistics: Issue A",
            "Reason: we do not deliver there",
        ),
        (
            "in_progress",
            fix_ship,
            {"shipped_on": datetime.date(2026, 2, 3)},
            "[Fixloop] Fix shipped by Logistics: Issue A",
            "Shipped on 2026-02-03",
        ),
    ],
)
def test_the_raising_lead_is_emailed_on_accept_reject_and_ship(
    team_lead, logistics, mailoutbox, django_capture_on_commit_callbacks, status, service, arguments, subject, body
):
    fix = FixFactory(issue=IssueFactory(title="Issue A", raised_by=team_lead), department=logistics, status=status)

    with django_capture_on_commit_callbacks(execute=True):
        service(fix=fix, by=logistics.owners.get(username="owner-logistics"), **arguments)

    assert [(message.to, message.subject) for message in mailoutbox] == [(["lead-user@example.com"], subject)]
    assert body in mailoutbox[0].body


def test_starting_a_fix_emails_nobody(team_lead, logistics, mailoutbox, django_capture_on_commit_callbacks):
    fix = FixFactory(issue=IssueFactory(raised_by=team_lead), department=logistics, status=FixTicket.Status.ACCEPTED)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        fix_start(fix=fix, by=logistics.owners.first())

    assert (len(callbacks), mailoutbox) == (0, [])


def test_the_notify_task_run_twice_sends_once(team_lead, logistics, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fix = fix_propose(issue=IssueFactory(), department=logistics, description="x", by=team_lead)
    event = IssueEvent.objects.get(fix=fix, kind=IssueEvent.Kind.FIX_PROPOSED)

    assert issue_event_notify_task.delay(event.pk).get() == 0
    assert len(mailoutbox) == 2
    assert IssueEvent.objects.get(pk=event.pk).notified_at is not None


def test_a_failed_send_releases_the_claim_so_a_retry_sends(team_lead, logistics, mailoutbox, settings):
    fix = FixFactory(issue=IssueFactory(raised_by=team_lead), department=logistics)
    event = IssueEvent.objects.create(issue=fix.issue, fix=fix, kind=IssueEvent.Kind.FIX_PROPOSED, to_status="proposed")
    settings.EMAIL_BACKEND = "tests.improvement.failing_email_backend.FailingEmailBackend"

    with pytest.raises(ConnectionRefusedError):
        issue_event_notify(event_id=event.pk)
    assert IssueEvent.objects.get(pk=event.pk).notified_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert issue_event_notify_task.delay(event.pk).get() == 2


@pytest.mark.worker
def test_the_notify_task_runs_in_a_real_celery_worker_and_claims_the_event(celery_worker_process):
    from tests.utils import wait_until

    fix = FixFactory(issue=IssueFactory(), department=DepartmentFactory(name="Logistics"))
    event = IssueEvent.objects.create(issue=fix.issue, fix=fix, kind=IssueEvent.Kind.FIX_PROPOSED, to_status="proposed")

    celery_worker_process("improvement.issue_event_notify_task", event.pk)

    assert wait_until(lambda: IssueEvent.objects.get(pk=event.pk).notified_at is not None, timeout=60)


def test_closing_an_issue_emails_the_owners_of_each_cancelled_fix_with_the_reason_and_a_link(
    team_lead, logistics, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from improvement.workflow.services.issues import issue_close

    settings.SITE_URL = "https://fixloop.example.com"
    fix = FixFactory(issue=IssueFactory(title="Issue A", raised_by=team_lead), department=logistics, status="accepted")

    with django_capture_on_commit_callbacks(execute=True):
        issue_close(issue=fix.issue, by=team_lead, note="solved upstream")

    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["owner-logistics-2@example.com"], "[Fixloop] Fix cancelled for Logistics: Issue A"),
        (["owner-logistics@example.com"], "[Fixloop] Fix cancelled for Logistics: Issue A"),
    ]
    assert "Reason: issue closed: solved upstream" in mailoutbox[0].body
    assert f"Issue: https://fixloop.example.com/issues/{fix.issue_id}/" in mailoutbox[0].body


def test_emails_link_to_the_issue_under_the_default_site_url(team_lead, logistics, mailoutbox):
    fix = FixFactory(issue=IssueFactory(raised_by=team_lead), department=logistics, status="proposed")
    event = fix.issue.events.create(
        kind="fix_status", fix=fix, actor=None, from_status="proposed", to_status="accepted"
    )

    issue_event_notify(event_id=event.pk)

    assert f"Issue: http://127.0.0.1:8000/issues/{fix.issue_id}/" in mailoutbox[0].body
