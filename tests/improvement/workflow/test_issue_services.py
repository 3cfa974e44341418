from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from improvement.errors import TransitionNotAllowed
from improvement.models import FixTicket, ImprovementIssue, IssueEvent, Theme
from improvement.workflow.services.fixes import fix_record_verdict
from improvement.workflow.services.issues import issue_close, issue_raise, issue_status_refresh, issue_update
from improvement.workflow.transitions import issue_status_from_fixes
from tests.factories import DepartmentFactory
from tests.improvement.workflow_factories import (
    WINDOW_END,
    FixFactory,
    IssueFactory,
    ThemeFactory,
    cases_for_theme,
    event_rows,
)

pytestmark = pytest.mark.django_db

Issue = ImprovementIssue.Status
Fix = FixTicket.Status


def test_issue_raise_freezes_the_evidence_and_defaults_to_the_suggested_priority(team_lead):
    theme = ThemeFactory(label="Parcel not delivered")
    cases_for_theme(theme=theme, received=[WINDOW_END - timedelta(days=day) for day in (1, 2, 3)])
    cases_for_theme(theme=None, received=[WINDOW_END - timedelta(days=4)])

    issue = issue_raise(
        by=team_lead, title=" Parcels go missing ", problem_statement="Delivered but not received.", themes=[theme]
    )

    assert (issue.title, issue.status, issue.raised_by, list(issue.themes.all())) == (
        "Parcels go missing",
        Issue.OPEN,
        team_lead,
        [theme],
    )
    assert (issue.evidence["volume"], issue.evidence["share"], issue.evidence["total_volume"]) == (3, 0.75, 4)
    assert (issue.suggested_priority, issue.priority) == ("high", "high")
    assert event_rows(issue) == [("issue_raised", None, "lead-user", "", "open", "priority high (suggested high)")]


def test_issue_raise_keeps_a_priority_chosen_by_the_lead(team_lead):
    issue = issue_raise(by=team_lead, title="T", problem_statement="P", themes=[ThemeFactory()], priority="critical")

    assert (issue.priority, issue.suggested_priority) == ("critical", "low")


def test_issue_raise_refuses_an_executive_and_stores_nothing(executive):
    with pytest.raises(PermissionDenied, match="only team leads and admins may raise issues"):
        issue_raise(by=executive, title="T", problem_statement="P", themes=[ThemeFactory()])

    assert ImprovementIssue.objects.count() == 0


def test_issue_raise_refuses_a_merged_theme_naming_the_theme_it_went_into(team_lead):
    survivor = ThemeFactory()
    merged = ThemeFactory(status=Theme.Status.MERGED, merged_into=survivor)

    with pytest.raises(ValidationError, match=f"merged into theme {survivor.pk}"):
        issue_raise(by=team_lead, title="T", problem_statement="P", themes=[merged])


def test_issue_raise_refuses_a_blank_title(team_lead):
    with pytest.raises(ValidationError) as error:
        issue_raise(by=team_lead, title="  ", problem_statement="P", themes=[ThemeFactory()])

    assert list(error.value.message_dict) == ["title"]


def test_issue_update_changes_the_priority_and_audits_it(team_lead):
    issue = IssueFactory(priority="medium")

    issue = issue_update(issue=issue, by=team_lead, priority="high")

    assert issue.priority == "high"
    assert event_rows(issue) == [("issue_edited", None, "lead-user", "open", "open", "priority: 'medium' → 'high'")]


def test_issue_close_stays_closed_when_a_fix_later_works(team_lead):
    issue = IssueFactory()
    fix = FixFactory(issue=issue, department=DepartmentFactory(), status=Fix.SHIPPED)

    issue_close(issue=issue, by=team_lead, note="done")
    fix_record_verdict(fix=fix, verdict=Fix.WORKING, note="volume down 40%")

    issue.refresh_from_db()
    assert issue.status == Issue.CLOSED
    assert issue.closed_at is not None
    assert [row[0:5] for row in event_rows(issue)] == [
        ("issue_status", None, "lead-user", "open", "closed"),
        ("fix_status", fix.pk, None, "shipped", "working"),
    ]


def test_issue_close_twice_is_a_forbidden_transition(team_lead):
    issue = IssueFactory(status=Issue.CLOSED)

    with pytest.raises(TransitionNotAllowed, match="already closed"):
        issue_close(issue=issue, by=team_lead)


def test_issue_close_refuses_a_department_owner(department_owner):
    with pytest.raises(PermissionDenied):
        issue_close(issue=IssueFactory(), by=department_owner)


@pytest.mark.parametrize(
    ("fix_statuses", "expected"),
    [
        ([], Issue.OPEN),
        ([Fix.PROPOSED, Fix.REJECTED], Issue.OPEN),
        ([Fix.PROPOSED, Fix.ACCEPTED], Issue.IN_PROGRESS),
        ([Fix.IN_PROGRESS], Issue.IN_PROGRESS),
        ([Fix.IN_PROGRESS, Fix.SHIPPED], Issue.IN_PROGRESS),
        ([Fix.SHIPPED, Fix.PROPOSED, Fix.PROPOSED], Issue.IN_PROGRESS),
        ([Fix.SHIPPED, Fix.REJECTED, Fix.WITHDRAWN, Fix.CANCELLED], Issue.FIX_SHIPPED),
        ([Fix.NO_CLEAR_EFFECT], Issue.FIX_SHIPPED),
        ([Fix.WORSE, Fix.PROPOSED], Issue.IN_PROGRESS),
        ([Fix.WORSE, Fix.SHIPPED], Issue.FIX_SHIPPED),
        ([Fix.WORKING, Fix.SHIPPED], Issue.VERIFIED),
        ([Fix.WORKING, Fix.ACCEPTED], Issue.IN_PROGRESS),
        ([Fix.WITHDRAWN, Fix.CANCELLED], Issue.OPEN),
        ([Fix.WORKING, Fix.REGRESSED], Issue.REOPENED),
        ([Fix.REGRESSED, Fix.IN_PROGRESS], Issue.REOPENED),
    ],
)
def test_issue_status_follows_its_fixes(fix_statuses, expected):
    assert issue_status_from_fixes(current=Issue.IN_PROGRESS, fix_statuses=fix_statuses) == expected


def test_a_closed_issue_keeps_its_status_whatever_its_fixes():
    assert issue_status_from_fixes(current=Issue.CLOSED, fix_statuses=[Fix.REGRESSED]) == Issue.CLOSED


def test_issue_status_refresh_audits_the_derived_change_as_the_system():
    issue = IssueFactory()
    FixFactory(issue=issue, department=DepartmentFactory(), status=Fix.IN_PROGRESS)

    issue_status_refresh(issue=issue)

    assert issue.status == Issue.IN_PROGRESS
    assert IssueEvent.objects.filter(issue=issue).values_list("actor", "from_status", "to_status").get() == (
        None,
        "open",
        "in_progress",
    )
