from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from improvement.models import FixTicket, ImprovementIssue
from improvement.workflow.services.fixes import fix_record_verdict
from tests.factories import (
    DepartmentFactory,
    DepartmentOwnerFactory,
    ExecutiveFactory,
    StaffAdminFactory,
    TeamLeadFactory,
)
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db

Fix = FixTicket.Status

ROLES = ("logistics_owner", "billing_owner", "lead", "executive", "admin")
# action → (status it starts from, valid body, status it ends in)
ACTIONS = {
    "accept": (Fix.PROPOSED, {}, "accepted"),
    "reject": (Fix.PROPOSED, {"reason": "not our process"}, "rejected"),
    "start": (Fix.ACCEPTED, {}, "in_progress"),
    "ship": (Fix.IN_PROGRESS, {"shipped_on": "2026-02-10"}, "shipped"),
}
ALLOWED_ROLES = {"logistics_owner", "admin"}


@pytest.fixture
def people(db):
    logistics_owner = DepartmentOwnerFactory(username="owner-logistics")
    billing_owner = DepartmentOwnerFactory(username="owner-billing")
    DepartmentFactory(name="Logistics", owners=[logistics_owner])
    DepartmentFactory(name="Billing", owners=[billing_owner])
    return {
        "logistics_owner": logistics_owner,
        "billing_owner": billing_owner,
        "lead": TeamLeadFactory(username="lead"),
        "executive": ExecutiveFactory(username="exec"),
        "admin": StaffAdminFactory(username="admin"),
    }


def logistics():
    from improvement.models import Department

    return Department.objects.get(slug="logistics")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_by_action_matrix(api_client, people, role, action):
    start_status, body, end_status = ACTIONS[action]
    fix = FixFactory(department=logistics(), status=start_status)
    api_client.force_authenticate(people[role])

    response = api_client.post(f"/api/fixes/{fix.pk}/{action}/", body, format="json")

    fix.refresh_from_db()
    if role in ALLOWED_ROLES:
        assert (response.status_code, response.json()["status"], fix.status) == (200, end_status, end_status)
    else:
        assert response.status_code == 403
        assert "owners of the fix's department" in response.json()["detail"]
        assert fix.status == start_status


@pytest.mark.parametrize(
    ("action", "status", "body", "message"),
    [
        ("accept", Fix.ACCEPTED, {}, "a fix cannot go from accepted to accepted"),
        ("reject", Fix.IN_PROGRESS, {"reason": "late"}, "a fix cannot go from in progress to rejected"),
        ("start", Fix.PROPOSED, {}, "a fix cannot go from proposed to in progress"),
        ("ship", Fix.ACCEPTED, {"shipped_on": "2026-02-10"}, "a fix cannot go from accepted to shipped"),
        ("accept", Fix.WORKING, {}, "a fix cannot go from working to accepted"),
    ],
)
def test_a_forbidden_transition_answers_409_and_changes_nothing(api_client, people, action, status, body, message):
    fix = FixFactory(department=logistics(), status=status)
    api_client.force_authenticate(people["logistics_owner"])

    response = api_client.post(f"/api/fixes/{fix.pk}/{action}/", body, format="json")

    assert (response.status_code, response.json()) == (409, {"detail": message, "code": "conflict", "fields": {}})
    fix.refresh_from_db()
    assert fix.status == status
    assert fix.events.count() == 0


@pytest.mark.parametrize(
    ("action", "status", "body", "errors"),
    [
        ("reject", Fix.PROPOSED, {}, {"reason": ["This field is required."]}),
        ("reject", Fix.PROPOSED, {"reason": ""}, {"reason": ["This field may not be blank."]}),
        ("ship", Fix.IN_PROGRESS, {}, {"shipped_on": ["This field is required."]}),
        (
            "ship",
            Fix.IN_PROGRESS,
            {"shipped_on": "last tuesday"},
            {"shipped_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ("ship", Fix.IN_PROGRESS, {"shipped_on": "2999-01-01"}, {"shipped_on": ["2999-01-01 is in the future"]}),
    ],
)
def test_missing_or_bad_fields_answer_400_and_change_nothing(api_client, people, action, status, body, errors):
    fix = FixFactory(department=logistics(), status=status)
    api_client.force_authenticate(people["logistics_owner"])

    response = api_client.post(f"/api/fixes/{fix.pk}/{action}/", body, format="json")

    assert (response.status_code, response.json()["code"], response.json()["fields"]) == (400, "invalid", errors)
    fix.refresh_from_db()
    assert fix.status == status


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", 201),
        ("admin", 201),
        ("executive", 403),
        ("logistics_owner", 403),
        ("billing_owner", 403),
    ],
)
def test_only_leads_and_admins_propose_fixes(api_client, people, role, expected):
    issue = IssueFactory()
    api_client.force_authenticate(people[role])

    response = api_client.post(
        "/api/fixes/",
        {"issue": issue.pk, "department": logistics().pk, "description": "Photo on delivery"},
        format="json",
    )

    assert response.status_code == expected
    assert FixTicket.objects.count() == (1 if expected == 201 else 0)


def test_fix_propose_with_missing_fields_or_a_bad_reference_answers_400(api_client, people):
    api_client.force_authenticate(people["lead"])

    response = api_client.post(
        "/api/fixes/", {"issue": 999, "department": logistics().pk, "external_reference": "jira-123"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert response.json()["fields"] == {
        "issue": ['Invalid pk "999" - object does not exist.'],
        "description": ["This field is required."],
        "external_reference": ["Enter a valid URL."],
    }


def test_fix_propose_on_a_closed_issue_answers_409(api_client, people):
    issue = IssueFactory(status=ImprovementIssue.Status.CLOSED)
    api_client.force_authenticate(people["lead"])

    response = api_client.post(
        "/api/fixes/", {"issue": issue.pk, "department": logistics().pk, "description": "x"}, format="json"
    )

    assert (response.status_code, response.json()) == (
        409,
        {"detail": "the issue is closed; no more fixes can be proposed", "code": "conflict", "fields": {}},
    )


def test_owner_lists_only_their_departments_fixes(api_client, people):
    own = FixFactory(department=logistics())
    FixFactory(department=DepartmentFactory(slug="billing"))
    api_client.force_authenticate(people["logistics_owner"])

    response = api_client.get("/api/fixes/")

    assert [row["id"] for row in response.json()["results"]] == [own.pk]
    assert api_client.get(f"/api/fixes/{own.pk + 1}/").status_code == 404


def test_fixes_filter_by_status(api_client, people):
    FixFactory(department=logistics(), status=Fix.PROPOSED)
    shipped = FixFactory(department=logistics(), status=Fix.SHIPPED)
    api_client.force_authenticate(people["executive"])

    response = api_client.get("/api/fixes/?status=shipped")

    assert [row["id"] for row in response.json()["results"]] == [shipped.pk]


def test_anonymous_caller_gets_401(api_client):
    assert api_client.get("/api/fixes/").status_code == 401


def test_lifecycle_end_to_end_through_the_api_with_emails(
    api_client, people, mailoutbox, django_capture_on_commit_callbacks
):
    theme = ThemeFactory(label="Parcel marked delivered, never arrived")
    lead, owner = people["lead"], people["logistics_owner"]

    api_client.force_authenticate(lead)
    with django_capture_on_commit_callbacks(execute=True):
        issue = api_client.post(
            "/api/issues/",
            {
                "title": "Parcels go missing at the door",
                "theme": theme.pk,
                "problem_statement": "Customers see 'delivered' but have no parcel.",
            },
            format="json",
        ).json()
        fix = api_client.post(
            "/api/fixes/",
            {
                "issue": issue["id"],
                "department": logistics().pk,
                "description": "Photo proof on every delivery",
                "due_date": "2099-03-31",
                "external_reference": "https://jira.example.com/browse/LOG-42",
            },
            format="json",
        ).json()
    assert (issue["status"], fix["status"]) == ("open", "proposed")

    api_client.force_authenticate(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post(f"/api/fixes/{fix['id']}/accept/", {"note": "yes"}, format="json").status_code == 200
        assert api_client.post(f"/api/fixes/{fix['id']}/start/", {}, format="json").status_code == 200
        shipped = api_client.post(f"/api/fixes/{fix['id']}/ship/", {"shipped_on": "2026-02-10"}, format="json")
    assert (shipped.status_code, shipped.json()["shipped_on"]) == (200, "2026-02-10")

    fix_record_verdict(fix=FixTicket.objects.get(pk=fix["id"]), verdict=Fix.WORKING, note="contacts down 38%")

    api_client.force_authenticate(people["executive"])
    detail = api_client.get(f"/api/issues/{issue['id']}/").json()
    assert detail["status"] == "verified"
    assert [fix_row["status"] for fix_row in detail["fixes"]] == ["working"]
    assert [(event["actor"], event["from_status"], event["to_status"]) for event in detail["events"]] == [
        ("lead", "", "open"),
        ("lead", "", "proposed"),
        ("owner-logistics", "proposed", "accepted"),
        (None, "open", "in_progress"),
        ("owner-logistics", "accepted", "in_progress"),
        ("owner-logistics", "in_progress", "shipped"),
        (None, "in_progress", "fix_shipped"),
        (None, "shipped", "working"),
        (None, "fix_shipped", "verified"),
    ]
    assert [(message.to, message.subject) for message in mailoutbox] == [
        (["owner-logistics@example.com"], "[Fixloop] Fix proposed to Logistics: Parcels go missing at the door"),
        (["lead@example.com"], "[Fixloop] Fix accepted by Logistics: Parcels go missing at the door"),
        (["lead@example.com"], "[Fixloop] Fix shipped by Logistics: Parcels go missing at the door"),
    ]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_accepts_of_one_fix_answer_one_200_and_nineteen_409(people):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests need PostgreSQL (the SQLite test database is one in-memory connection)")
    fix = FixFactory(department=logistics(), status=Fix.PROPOSED)
    owner = people["logistics_owner"]
    barrier = threading.Barrier(20)
    answers: list[tuple[int, dict]] = []
    errors: list[BaseException] = []

    def accept() -> None:
        try:
            client = APIClient()
            client.force_authenticate(owner)
            barrier.wait()
            response = client.post(f"/api/fixes/{fix.pk}/accept/", {}, format="json")
            answers.append((response.status_code, response.json()))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(status for status, _ in answers) == [200] + [409] * 19
    assert [body for status, body in answers if status == 409] == [
        {"detail": "a fix cannot go from accepted to accepted", "code": "conflict", "fields": {}}
    ] * 19
    fix.refresh_from_db()
    assert fix.status == Fix.ACCEPTED
    assert fix.events.count() == 1
