"""The API of closing, reopening, withdrawing and editing, due dates, and the known-error fields (issue #15)."""

from __future__ import annotations

import pytest

from improvement.models import FixTicket, ImprovementIssue
from tests.factories import DepartmentFactory, DepartmentOwnerFactory
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db

Fix = FixTicket.Status
Issue = ImprovementIssue.Status


@pytest.fixture
def logistics(db):
    return DepartmentFactory(name="Logistics", owners=[DepartmentOwnerFactory(username="owner-logistics")])


def test_proposing_with_a_past_due_date_answers_400_naming_due_date(api_client, team_lead, logistics):
    issue = IssueFactory()
    api_client.force_authenticate(team_lead)

    response = api_client.post(
        "/api/fixes/",
        {"issue": issue.pk, "department": logistics.pk, "description": "Photo proof", "due_date": "2020-01-01"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "due_date: 2020-01-01 is in the past; a fix is due today or later",
        "code": "invalid",
        "fields": {"due_date": ["2020-01-01 is in the past; a fix is due today or later"]},
    }
    assert FixTicket.objects.count() == 0


def test_closing_through_the_api_cancels_open_fixes_and_accept_then_answers_409(api_client, team_lead, logistics):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED)
    api_client.force_authenticate(team_lead)

    closed = api_client.post(f"/api/issues/{fix.issue_id}/close/", {"note": "gone"}, format="json")
    api_client.force_authenticate(logistics.owners.get())
    accepted = api_client.post(f"/api/fixes/{fix.pk}/accept/", {}, format="json")

    assert closed.status_code == 200
    assert [(row["status"], row["withdrawal_reason"]) for row in closed.json()["fixes"]] == [
        ("cancelled", "issue closed: gone")
    ]
    assert accepted.status_code == 409
    fix.refresh_from_db()
    assert fix.status == Fix.CANCELLED


@pytest.mark.parametrize(("user_fixture", "expected"), [("team_lead", 200), ("executive", 403)])
def test_reopen_is_for_leads(api_client, request, user_fixture, expected):
    issue = IssueFactory(status=Issue.CLOSED)
    api_client.force_authenticate(request.getfixturevalue(user_fixture))

    response = api_client.post(f"/api/issues/{issue.pk}/reopen/", {}, format="json")

    issue.refresh_from_db()
    assert (response.status_code, issue.status) == (expected, Issue.REOPENED if expected == 200 else Issue.CLOSED)


def test_reopening_an_open_issue_answers_409(api_client, team_lead):
    issue = IssueFactory()
    api_client.force_authenticate(team_lead)

    response = api_client.post(f"/api/issues/{issue.pk}/reopen/", {}, format="json")

    assert response.status_code == 409


@pytest.mark.parametrize(("user_fixture", "expected"), [("team_lead", 200), ("staff_admin", 200), ("executive", 403)])
def test_withdraw_is_for_leads_and_admins(api_client, request, logistics, user_fixture, expected):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED)
    api_client.force_authenticate(request.getfixturevalue(user_fixture))

    response = api_client.post(f"/api/fixes/{fix.pk}/withdraw/", {"reason": "duplicate"}, format="json")

    fix.refresh_from_db()
    assert (response.status_code, fix.status) == (expected, Fix.WITHDRAWN if expected == 200 else Fix.PROPOSED)


def test_the_owner_of_the_fix_cannot_withdraw_it(api_client, logistics):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED)
    api_client.force_authenticate(logistics.owners.get())

    response = api_client.post(f"/api/fixes/{fix.pk}/withdraw/", {}, format="json")

    assert response.status_code == 403


def test_a_lead_edits_a_proposal_with_patch(api_client, team_lead, logistics):
    fix = FixFactory(department=logistics, status=Fix.PROPOSED, description="Photo proof")
    api_client.force_authenticate(team_lead)

    response = api_client.patch(
        f"/api/fixes/{fix.pk}/", {"description": "Photo proof at the door", "due_date": "2099-05-01"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["description"], response.json()["due_date"]) == ("Photo proof at the door", "2099-05-01")


def test_editing_an_accepted_fix_answers_409_and_a_past_due_date_400(api_client, team_lead, logistics):
    accepted = FixFactory(department=logistics, status=Fix.ACCEPTED, description="Photo proof")
    proposed = FixFactory(department=logistics, status=Fix.PROPOSED, description="Photo proof")
    api_client.force_authenticate(team_lead)

    conflict = api_client.patch(f"/api/fixes/{accepted.pk}/", {"description": "Other"}, format="json")
    invalid = api_client.patch(f"/api/fixes/{proposed.pk}/", {"due_date": "2020-01-01"}, format="json")

    assert (conflict.status_code, invalid.status_code) == (409, 400)
    assert list(invalid.json()["fields"]) == ["due_date"]
    assert list(FixTicket.objects.order_by("id").values_list("description", "due_date")) == [
        ("Photo proof", None),
        ("Photo proof", None),
    ]


def test_an_issue_records_root_cause_and_workaround_through_the_api(api_client, team_lead):
    api_client.force_authenticate(team_lead)
    raised = api_client.post(
        "/api/issues/",
        {
            "title": "Parcels go missing",
            "theme": ThemeFactory().pk,
            "problem_statement": "Delivered, never received.",
            "workaround": "Offer a re-delivery",
        },
        format="json",
    ).json()

    edited = api_client.patch(
        f"/api/issues/{raised['id']}/", {"root_cause": "Drivers scan before the door"}, format="json"
    )

    assert (raised["root_cause"], raised["workaround"]) == ("", "Offer a re-delivery")
    assert (edited.json()["root_cause"], edited.json()["workaround"]) == (
        "Drivers scan before the door",
        "Offer a re-delivery",
    )


def test_the_theme_api_lists_the_workarounds_of_its_open_issues(api_client, team_lead):
    theme = ThemeFactory()
    issue = IssueFactory(title="Parcels go missing", themes=[theme], workaround="Offer a re-delivery")
    IssueFactory(themes=[theme], workaround="Stale advice", status=Issue.CLOSED)
    api_client.force_authenticate(team_lead)

    response = api_client.get(f"/api/themes/{theme.pk}/")

    assert response.json()["workarounds"] == [
        {"issue": issue.pk, "title": "Parcels go missing", "status": "open", "workaround": "Offer a re-delivery"}
    ]
