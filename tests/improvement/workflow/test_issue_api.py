from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from improvement.models import ImprovementIssue, Theme
from tests.factories import DepartmentFactory, DepartmentOwnerFactory, UserFactory
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def raise_body(theme: Theme) -> dict:
    return {"title": "Parcels go missing", "theme": theme.pk, "problem_statement": "Delivered, never received."}


@pytest.mark.parametrize(
    ("user_fixture", "expected"),
    [
        ("team_lead", 201),
        ("staff_admin", 201),
        ("executive", 403),
        ("department_owner", 403),
    ],
)
def test_only_leads_and_admins_raise_issues(api_client, request, user_fixture, expected):
    api_client.force_authenticate(request.getfixturevalue(user_fixture))

    response = api_client.post("/api/issues/", raise_body(ThemeFactory()), format="json")

    assert response.status_code == expected
    assert ImprovementIssue.objects.count() == (1 if expected == 201 else 0)


def test_raising_an_issue_answers_with_its_evidence_and_first_event(api_client, team_lead):
    theme = ThemeFactory()
    api_client.force_authenticate(team_lead)

    response = api_client.post("/api/issues/", {**raise_body(theme), "priority": "high"}, format="json")

    body = response.json()
    assert (body["status"], body["priority"], body["suggested_priority"], body["themes"], body["raised_by"]) == (
        "open",
        "high",
        "low",
        [theme.pk],
        "lead-user",
    )
    assert body["evidence"]["volume"] == 0
    assert [(event["kind"], event["to_status"]) for event in body["events"]] == [("issue_raised", "open")]


def test_raising_an_issue_with_missing_fields_answers_400(api_client, team_lead):
    api_client.force_authenticate(team_lead)

    response = api_client.post("/api/issues/", {"theme": 999, "priority": "urgent"}, format="json")

    assert (response.status_code, response.json()["code"], response.json()["fields"]) == (
        400,
        "invalid",
        {
            "title": ["This field is required."],
            "theme": ['Invalid pk "999" - object does not exist.'],
            "problem_statement": ["This field is required."],
            "priority": ['"urgent" is not a valid choice.'],
        },
    )


def test_raising_from_a_merged_theme_answers_400_naming_the_survivor(api_client, team_lead):
    survivor = ThemeFactory()
    merged = ThemeFactory(status=Theme.Status.MERGED, merged_into=survivor)
    api_client.force_authenticate(team_lead)

    response = api_client.post("/api/issues/", raise_body(merged), format="json")

    message = f"theme {merged.pk} was merged into theme {survivor.pk}; raise the issue there"
    assert (response.status_code, response.json()) == (
        400,
        {"detail": f"themes: {message}", "code": "invalid", "fields": {"themes": [message]}},
    )


def test_lead_edits_the_priority_and_executive_cannot(api_client, team_lead, executive):
    issue = IssueFactory(priority="medium")
    api_client.force_authenticate(executive)
    assert api_client.patch(f"/api/issues/{issue.pk}/", {"priority": "low"}, format="json").status_code == 403

    api_client.force_authenticate(team_lead)
    response = api_client.patch(f"/api/issues/{issue.pk}/", {"priority": "critical"}, format="json")

    assert (response.status_code, response.json()["priority"]) == (200, "critical")
    assert response.json()["events"][-1]["note"] == "priority: 'medium' → 'critical'"


def test_lead_closes_an_issue_once(api_client, team_lead):
    issue = IssueFactory()
    api_client.force_authenticate(team_lead)

    first = api_client.post(f"/api/issues/{issue.pk}/close/", {"note": "fixed"}, format="json")
    second = api_client.post(f"/api/issues/{issue.pk}/close/", {}, format="json")

    assert (first.status_code, first.json()["status"]) == (200, "closed")
    assert (second.status_code, second.json()) == (
        409,
        {"detail": "the issue is already closed", "code": "conflict", "fields": {}},
    )


def test_owner_lists_only_issues_with_a_fix_for_their_department(api_client):
    owner = DepartmentOwnerFactory(username="owner-logistics")
    logistics = DepartmentFactory(name="Logistics", owners=[owner])
    mine, other = IssueFactory(), IssueFactory()
    FixFactory(issue=mine, department=logistics)
    FixFactory(issue=other, department=DepartmentFactory(name="Billing"))
    api_client.force_authenticate(owner)

    response = api_client.get("/api/issues/")

    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert api_client.get(f"/api/issues/{other.pk}/").status_code == 404


def test_issues_filter_by_status_and_theme(api_client, executive):
    theme = ThemeFactory()
    wanted = IssueFactory(status="in_progress", themes=[theme])
    IssueFactory(status="in_progress")
    IssueFactory(status="open", themes=[theme])
    api_client.force_authenticate(executive)

    response = api_client.get(f"/api/issues/?status=in_progress&theme={theme.pk}")

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_departments_list_names_slugs_and_owner_usernames(api_client, executive):
    owner = DepartmentOwnerFactory(username="owner-logistics")
    logistics = DepartmentFactory(name="Logistics", owners=[owner])
    api_client.force_authenticate(executive)

    response = api_client.get("/api/departments/")

    assert response.json()["results"] == [
        {"id": logistics.pk, "name": "Logistics", "slug": "logistics", "owners": ["owner-logistics"]}
    ]


def test_departments_list_refuses_a_signed_in_user_without_a_role(api_client):
    DepartmentFactory(name="Logistics")
    api_client.force_authenticate(UserFactory(username="no-role"))

    response = api_client.get("/api/departments/")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "This needs a Fixloop role (team lead, department owner, executive) or staff admin."
    )


def test_the_generated_openapi_schema_is_valid():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    validate_schema(schema)
    assert {"/api/issues/", "/api/fixes/{id}/reject/", "/api/fixes/{id}/ship/", "/api/departments/"} <= set(
        schema["paths"]
    )
    assert schema["components"]["schemas"]["FixRejectInput"]["required"] == ["reason"]


def test_the_schema_endpoint_serves_json_to_a_signed_in_user(api_client, executive):
    api_client.force_authenticate(executive)

    response = api_client.get("/api/schema/?format=json")

    assert response.status_code == 200
    assert "/api/fixes/{id}/accept/" in response.json()["paths"]
