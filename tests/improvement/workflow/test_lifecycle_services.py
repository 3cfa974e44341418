"""Closing and reopening issues, withdrawing and editing proposals, and due dates (issue #15, items 3 and 4)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from improvement.errors import Invalid, TransitionNotAllowed
from improvement.models import FixTicket, ImprovementIssue
from improvement.workflow.services.fixes import (
    fix_accept,
    fix_edit,
    fix_propose,
    fix_record_verdict,
    fix_ship,
    fix_withdraw,
)
from improvement.workflow.services.issues import issue_close, issue_reopen
from tests.factories import DepartmentFactory, DepartmentOwnerFactory
from tests.improvement.workflow_factories import FixFactory, IssueFactory, event_rows

pytestmark = pytest.mark.django_db

Fix = FixTicket.Status
Issue = ImprovementIssue.Status
FUTURE = datetime.date(2099, 1, 31)


@pytest.fixture
def logistics_owner(db):
    return DepartmentOwnerFactory(username="owner-logistics")


@pytest.fixture
def logistics(logistics_owner):
    return DepartmentFactory(name="Logistics", owners=[logistics_owner])


def test_closing_cancels_open_fixes_with_the_reason_and_keeps_shipped_ones(team_lead, logistics):
    issue = IssueFactory(status=Issue.IN_PROGRESS)
    proposed = FixFactory(issue=issue, department=logistics, status=Fix.PROPOSED)
    accepted = FixFactory(issue=issue, department=logistics, status=Fix.ACCEPTED)
    started = FixFactory(issue=issue, department=logistics, status=Fix.IN_PROGRESS)
    shipped = FixFactory(issue=issue, department=logistics, status=Fix.SHIPPED)
    rejected = FixFactory(issue=issue, department=logistics, status=Fix.REJECTED)

    issue_close(issue=issue, by=team_lead, note=" solved upstream ")

    statuses = dict(FixTicket.objects.filter(issue=issue).values_list("pk", "status"))
    reasons = dict(FixTicket.objects.filter(issue=issue).values_list("pk", "withdrawal_reason"))
    assert statuses == {
        proposed.pk: Fix.CANCELLED,
        accepted.pk: Fix.CANCELLED,
        started.pk: Fix.CANCELLED,
        shipped.pk: Fix.SHIPPED,
        rejected.pk: Fix.REJECTED,
    }
    assert [reasons[fix.pk] for fix in (proposed, accepted, started, shipped)] == [
        "issue closed: solved upstream",
        "issue closed: solved upstream",
        "issue closed: solved upstream",
        "",
    ]
    issue.refresh_from_db()
    assert issue.status == Issue.CLOSED
    assert event_rows(issue) == [
        ("fix_status", proposed.pk, "lead-user", "proposed", "cancelled", "issue closed: solved upstream"),
        ("fix_status", accepted.pk, "lead-user", "accepted", "cancelled", "issue closed: solved upstream"),
        ("fix_status", started.pk, "lead-user", "in_progress", "cancelled", "issue closed: solved upstream"),
        ("issue_status", None, "lead-user", "in_progress", "closed", "solved upstream"),
    ]


def test_closing_without_a_note_still_records_a_reason_on_each_cancelled_fix(team_lead, logistics):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED)

    issue_close(issue=fix.issue, by=team_lead)

    fix.refresh_from_db()
    assert (fix.status, fix.withdrawal_reason) == (Fix.CANCELLED, "issue closed")


@pytest.mark.parametrize("start_status", [Fix.PROPOSED, Fix.ACCEPTED, Fix.IN_PROGRESS])
def test_an_owner_cannot_move_a_fix_of_a_closed_issue(team_lead, logistics, logistics_owner, start_status):
    fix = FixFactory(department=logistics, status=start_status)
    issue = fix.issue
    issue.status = Issue.CLOSED
    issue.save()

    with pytest.raises(TransitionNotAllowed, match="the issue is closed; reopen it before changing its fixes"):
        if start_status == Fix.PROPOSED:
            fix_accept(fix=fix, by=logistics_owner)
        else:
            fix_ship(fix=fix, by=logistics_owner, shipped_on=datetime.date(2026, 2, 1))

    fix.refresh_from_db()
    assert fix.status == start_status


def test_a_cancelled_fix_cannot_be_accepted_after_the_issue_closes(team_lead, logistics, logistics_owner):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED)
    issue_close(issue=fix.issue, by=team_lead)

    with pytest.raises(TransitionNotAllowed):
        fix_accept(fix=fix, by=logistics_owner)

    fix.refresh_from_db()
    assert fix.status == Fix.CANCELLED


def test_the_system_still_records_the_verdict_of_a_fix_shipped_before_closing(team_lead, logistics):
    fix = FixFactory(department=logistics, status=Fix.SHIPPED)
    issue_close(issue=fix.issue, by=team_lead)

    fix = fix_record_verdict(fix=fix, verdict=Fix.WORKING, note="-40%")

    fix.issue.refresh_from_db()
    assert (fix.status, fix.issue.status) == (Fix.WORKING, Issue.CLOSED)


def test_a_lead_reopens_a_closed_issue_and_its_status_follows_its_fixes_again(team_lead, logistics):
    issue = IssueFactory()
    FixFactory(issue=issue, department=logistics, status=Fix.SHIPPED)
    FixFactory(issue=issue, department=logistics, status=Fix.PROPOSED)
    issue_close(issue=issue, by=team_lead)

    issue = issue_reopen(issue=issue, by=team_lead, note="customers still call")

    assert (issue.status, issue.closed_at) == (Issue.FIX_SHIPPED, None)
    assert event_rows(issue)[-1] == ("issue_status", None, "lead-user", "closed", "fix_shipped", "customers still call")


def test_a_reopened_issue_without_live_fixes_reads_reopened_until_a_fix_moves(team_lead, logistics, logistics_owner):
    issue = IssueFactory()
    issue_close(issue=issue, by=team_lead)

    issue = issue_reopen(issue=issue, by=team_lead)
    assert issue.status == Issue.REOPENED
    fix = fix_propose(issue=issue, department=logistics, description="Photo proof", by=team_lead)
    issue.refresh_from_db()
    assert issue.status == Issue.REOPENED

    fix_accept(fix=fix, by=logistics_owner)
    issue.refresh_from_db()
    assert issue.status == Issue.IN_PROGRESS


def test_reopen_refuses_an_issue_that_is_not_closed(team_lead):
    issue = IssueFactory(status=Issue.IN_PROGRESS)

    with pytest.raises(TransitionNotAllowed, match="only a closed issue can be reopened; this one is in progress"):
        issue_reopen(issue=issue, by=team_lead)


def test_reopen_refuses_a_department_owner(logistics_owner):
    issue = IssueFactory(status=Issue.CLOSED)

    with pytest.raises(PermissionDenied):
        issue_reopen(issue=issue, by=logistics_owner)

    issue.refresh_from_db()
    assert issue.status == Issue.CLOSED


def test_one_shipped_fix_beside_two_proposals_reads_in_progress_not_fix_shipped(team_lead, logistics, logistics_owner):
    issue = IssueFactory()
    first = FixFactory(issue=issue, department=logistics, status=Fix.IN_PROGRESS)
    FixFactory(issue=issue, department=logistics, status=Fix.PROPOSED)
    FixFactory(issue=issue, department=logistics, status=Fix.PROPOSED)

    fix_ship(fix=first, by=logistics_owner, shipped_on=datetime.date(2026, 2, 1))

    issue.refresh_from_db()
    assert issue.status == Issue.IN_PROGRESS


def test_withdrawing_the_last_proposal_beside_a_shipped_fix_makes_the_issue_fix_shipped(team_lead, logistics):
    issue = IssueFactory(status=Issue.IN_PROGRESS)
    FixFactory(issue=issue, department=logistics, status=Fix.SHIPPED)
    proposal = FixFactory(issue=issue, department=logistics, status=Fix.PROPOSED)

    proposal = fix_withdraw(fix=proposal, by=team_lead, reason=" duplicate ")

    issue.refresh_from_db()
    assert (proposal.status, proposal.withdrawal_reason, issue.status) == (
        Fix.WITHDRAWN,
        "duplicate",
        Issue.FIX_SHIPPED,
    )


def test_withdraw_refuses_an_accepted_fix_and_a_department_owner(team_lead, logistics, logistics_owner):
    accepted = FixFactory(department=logistics, status=Fix.ACCEPTED)
    proposed = FixFactory(department=logistics, status=Fix.PROPOSED)

    with pytest.raises(TransitionNotAllowed, match="a fix cannot go from accepted to withdrawn"):
        fix_withdraw(fix=accepted, by=team_lead)
    with pytest.raises(PermissionDenied):
        fix_withdraw(fix=proposed, by=logistics_owner)

    assert list(FixTicket.objects.order_by("id").values_list("status", flat=True)) == [Fix.ACCEPTED, Fix.PROPOSED]


def test_a_lead_edits_a_proposal_and_the_trail_names_the_fields(team_lead, logistics):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED, description="Photo proof")

    fix = fix_edit(fix=fix, by=team_lead, description=" Photo proof at the door ", due_date=FUTURE)

    assert (fix.description, fix.due_date) == ("Photo proof at the door", FUTURE)
    assert event_rows(fix.issue)[-1] == (
        "fix_edited",
        fix.pk,
        "lead-user",
        "proposed",
        "proposed",
        "description, due_date",
    )


@pytest.mark.parametrize(
    ("status", "issue_status", "message"),
    [
        (Fix.ACCEPTED, Issue.IN_PROGRESS, "only a proposed fix can be edited; this one is accepted"),
        (Fix.PROPOSED, Issue.CLOSED, "the issue is closed; reopen it before changing its fixes"),
    ],
)
def test_edit_refuses_a_fix_that_is_not_a_proposal_or_on_a_closed_issue(
    team_lead, logistics, status, issue_status, message
):
    fix = FixFactory(department=logistics, status=status, description="Photo proof", issue__status=issue_status)

    with pytest.raises(TransitionNotAllowed, match=message):
        fix_edit(fix=fix, by=team_lead, description="Something else")

    fix.refresh_from_db()
    assert fix.description == "Photo proof"


def test_edit_refuses_a_department_owner(logistics, logistics_owner):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED)

    with pytest.raises(PermissionDenied):
        fix_edit(fix=fix, by=logistics_owner, description="Mine now")


def test_propose_refuses_a_due_date_in_the_past_naming_due_date(team_lead, logistics):
    issue = IssueFactory()

    with pytest.raises(Invalid) as refusal:
        fix_propose(
            issue=issue,
            department=logistics,
            description="Photo proof",
            by=team_lead,
            due_date=datetime.date(2020, 1, 1),
        )

    assert refusal.value.message_dict == {"due_date": ["2020-01-01 is in the past; a fix is due today or later"]}
    assert FixTicket.objects.count() == 0


def test_propose_accepts_a_due_date_of_today(team_lead, logistics):
    today = timezone.localdate()

    fix = fix_propose(
        issue=IssueFactory(), department=logistics, description="Photo proof", by=team_lead, due_date=today
    )

    assert fix.due_date == today


def test_edit_refuses_a_due_date_in_the_past(team_lead, logistics):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED, due_date=FUTURE)

    with pytest.raises(ValidationError) as refusal:
        fix_edit(fix=fix, by=team_lead, due_date=datetime.date(2020, 1, 1))

    assert list(refusal.value.message_dict) == ["due_date"]
    fix.refresh_from_db()
    assert fix.due_date == FUTURE


def test_edit_keeps_an_unchanged_due_date_that_has_passed_since(team_lead, logistics):
    passed = datetime.date(2020, 1, 1)
    fix = FixFactory(department=logistics, status=Fix.PROPOSED, due_date=passed, description="Photo proof")

    fix = fix_edit(fix=fix, by=team_lead, description="Photo proof at the door", due_date=passed)

    assert (fix.description, fix.due_date) == ("Photo proof at the door", passed)


def test_withdrawing_emails_the_department_owners_with_the_reason(
    team_lead, logistics, mailoutbox, django_capture_on_commit_callbacks
):
    fix = FixFactory(issue=IssueFactory(title="Issue A"), department=logistics, status=Fix.PROPOSED)

    with django_capture_on_commit_callbacks(execute=True):
        fix_withdraw(fix=fix, by=team_lead, reason="duplicate of #3")

    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["owner-logistics@example.com"], "[Fixloop] Fix withdrawn for Logistics: Issue A")
    ]
    assert "Reason: duplicate of #3" in mailoutbox[0].body
