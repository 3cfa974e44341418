"""Linking cases to an issue as extra evidence."""

from __future__ import annotations

import pytest

from improvement.errors import Invalid, NotAllowed
from improvement.models import IssueCaseLink, IssueEvent
from improvement.workflow.selectors import issue_linked_cases
from improvement.workflow.services.evidence import ISSUE_LINK_MAXIMUM_CASES, issue_link_cases
from tests.improvement.workflow_factories import CaseFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue():
    return IssueFactory(title="Refunds are slow", themes=[ThemeFactory()])


def test_linking_cases_records_them_with_who_linked_them(issue, team_lead):
    first, second = CaseFactory(text="refund late"), CaseFactory(text="still no refund")

    new = issue_link_cases(issue=issue, case_ids=[second.pk, first.pk], by=team_lead)

    assert new == [first.pk, second.pk]
    assert sorted(case.pk for case in issue_linked_cases(issue=issue)) == [first.pk, second.pk]
    assert {case.linked_by_name for case in issue_linked_cases(issue=issue)} == {"lead-user"}
    event = IssueEvent.objects.get(issue=issue, kind=IssueEvent.Kind.CASES_LINKED)
    assert (event.actor.username, event.note) == ("lead-user", f"Linked cases {first.pk}, {second.pk} as evidence.")


def test_linking_an_already_linked_case_again_changes_nothing(issue, team_lead):
    case = CaseFactory()
    issue_link_cases(issue=issue, case_ids=[case.pk], by=team_lead)

    new = issue_link_cases(issue=issue, case_ids=[case.pk], by=team_lead)

    assert new == []
    assert IssueCaseLink.objects.count() == 1
    assert IssueEvent.objects.filter(kind=IssueEvent.Kind.CASES_LINKED).count() == 1


def test_linking_is_refused_to_an_executive_and_an_owner(issue, executive, department_owner):
    case = CaseFactory()
    for user in (executive, department_owner):
        with pytest.raises(NotAllowed):
            issue_link_cases(issue=issue, case_ids=[case.pk], by=user)
    assert IssueCaseLink.objects.count() == 0


@pytest.mark.parametrize(
    ("case_ids", "message"),
    [
        ([], "Select at least one case."),
        ([424_242], "Unknown case ids: 424242."),
        (list(range(1, ISSUE_LINK_MAXIMUM_CASES + 2)), "Link at most 100 cases at a time (101 selected)."),
    ],
    ids=["empty", "unknown", "over-the-cap"],
)
def test_linking_refuses_a_bad_selection_naming_case_ids(issue, team_lead, case_ids, message):
    with pytest.raises(Invalid) as refused:
        issue_link_cases(issue=issue, case_ids=case_ids, by=team_lead)

    assert refused.value.message_dict == {"case_ids": [message]}
    assert IssueCaseLink.objects.count() == 0
