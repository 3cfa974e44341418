"""`GET /api/cases/` with search, theme and unassigned filters; split-selection and curation jobs; issue links."""

from __future__ import annotations

import datetime as dt

import pytest

from improvement.models import CaseTheme, CurationJob, IssueCaseLink, Theme
from tests.improvement.workflow_factories import CaseFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db
RECEIVED = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    refunds = ThemeFactory(label="Refunds", size=2)
    bags = ThemeFactory(label="Bags", size=1)
    cases = {
        "refund-late": CaseFactory(text="refund is late", brand="acme", received_at=RECEIVED),
        "refund-email": CaseFactory(
            text="refund by email please", brand="globex", channel="email", received_at=RECEIVED + dt.timedelta(hours=1)
        ),
        "bag": CaseFactory(text="lost bag", brand="acme", received_at=RECEIVED + dt.timedelta(hours=2)),
        "loose": CaseFactory(text="refund where", brand="acme", received_at=RECEIVED + dt.timedelta(hours=3)),
    }
    CaseTheme.objects.create(case=cases["refund-late"], theme=refunds, source="fit", similarity=0.8125)
    CaseTheme.objects.create(case=cases["refund-email"], theme=refunds, source="manual")
    CaseTheme.objects.create(case=cases["bag"], theme=bags, source="fit", similarity=0.5)
    return refunds, bags, cases


def _texts(response) -> list[str]:
    return [row["text"] for row in response.json()["results"]]


def test_search_lists_matching_cases_newest_first_with_theme_and_similarity(api_client, executive, world):
    refunds, _, cases = world
    api_client.force_authenticate(executive)

    response = api_client.get("/api/cases/", {"search": "refund"})

    assert response.status_code == 200
    assert _texts(response) == ["refund where", "refund by email please", "refund is late"]
    rows = {row["text"]: row for row in response.json()["results"]}
    assert (rows["refund is late"]["theme"], rows["refund is late"]["theme_label"]) == (refunds.pk, "Refunds")
    assert rows["refund is late"]["theme_similarity"] == 0.8125
    assert rows["refund by email please"]["theme_similarity"] is None
    assert (rows["refund where"]["theme"], rows["refund where"]["theme_label"]) == (None, None)


def test_theme_brand_channel_and_unassigned_filters(api_client, executive, world):
    refunds, _, _ = world
    api_client.force_authenticate(executive)

    assert _texts(api_client.get("/api/cases/", {"theme": refunds.pk})) == ["refund by email please", "refund is late"]
    assert _texts(api_client.get("/api/cases/", {"theme": refunds.pk, "channel": "email"})) == [
        "refund by email please"
    ]
    assert _texts(api_client.get("/api/cases/", {"search": "refund", "brand": "acme"})) == [
        "refund where",
        "refund is late",
    ]
    assert _texts(api_client.get("/api/cases/", {"unassigned": "true"})) == ["refund where"]
    assert len(_texts(api_client.get("/api/cases/", {"unassigned": "false"}))) == 3
    assert _texts(api_client.get("/api/cases/", {"received_before": "2026-11-20T10:00:00Z"})) == ["refund is late"]


def test_cases_come_in_cursor_pages(api_client, executive, world):
    api_client.force_authenticate(executive)

    first = api_client.get("/api/cases/", {"page_size": 3}).json()
    second = api_client.get(first["next"]).json()

    assert [row["text"] for row in first["results"]] == ["refund where", "lost bag", "refund by email please"]
    assert [row["text"] for row in second["results"]] == ["refund is late"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [({"theme": 999_999}, "theme"), ({"search": "x" * 201}, "search"), ({"unassigned": "maybe"}, "unassigned")],
)
def test_a_bad_filter_answers_400_naming_it(api_client, executive, world, query, field):
    api_client.force_authenticate(executive)

    response = api_client.get("/api/cases/", query)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_split_selection_answers_202_with_a_queued_job_that_then_names_the_new_theme(
    api_client, team_lead, world, django_capture_on_commit_callbacks
):
    refunds, _, cases = world
    api_client.force_authenticate(team_lead)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_client.post(
            f"/api/themes/{refunds.pk}/split-selection/",
            {"case_ids": [cases["refund-email"].pk], "label": "Email refunds"},
            format="json",
        )

    assert response.status_code == 202
    assert len(callbacks) == 1
    assert (response.json()["status"], response.json()["result_theme_ids"]) == ("queued", [])
    body = api_client.get(f"/api/curation-jobs/{response.json()['id']}/").json()
    assert (body["kind"], body["status"], body["steps_done"], body["steps_total"]) == (
        "split_selection",
        "succeeded",
        2,
        2,
    )
    made = Theme.objects.get(pk=body["result_theme_ids"][0])
    assert (made.label, made.size) == ("Email refunds", 1)


def test_split_selection_refuses_an_executive(api_client, executive, world):
    refunds, _, cases = world
    api_client.force_authenticate(executive)

    response = api_client.post(
        f"/api/themes/{refunds.pk}/split-selection/", {"case_ids": [cases["refund-late"].pk]}, format="json"
    )

    assert response.status_code == 403
    assert CurationJob.objects.count() == 0


@pytest.mark.parametrize("which", ["empty", "unknown", "other-theme", "over-the-cap"])
def test_split_selection_answers_400_naming_case_ids(api_client, team_lead, world, which):
    refunds, _, cases = world
    api_client.force_authenticate(team_lead)
    case_ids = {
        "empty": [],
        "unknown": [999_999],
        "other-theme": [cases["bag"].pk],
        "over-the-cap": list(range(1, 1002)),
    }[which]

    response = api_client.post(f"/api/themes/{refunds.pk}/split-selection/", {"case_ids": case_ids}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["case_ids"]
    assert CurationJob.objects.count() == 0


def test_linking_cases_to_an_issue_shows_them_in_its_detail(api_client, team_lead, world):
    refunds, _, cases = world
    issue = IssueFactory(themes=[refunds])
    api_client.force_authenticate(team_lead)

    response = api_client.post(f"/api/issues/{issue.pk}/link-cases/", {"case_ids": [cases["loose"].pk]}, format="json")

    assert response.status_code == 200
    linked = response.json()["linked_cases"]
    assert [(row["id"], row["text"], row["linked_by"]) for row in linked] == [
        (cases["loose"].pk, "refund where", "lead-user")
    ]
    assert api_client.get(f"/api/issues/{issue.pk}/").json()["linked_cases"] == linked


def test_linking_cases_is_refused_to_an_owner_and_unknown_ids_answer_400(
    api_client, team_lead, department_owner, world
):
    refunds, _, cases = world
    issue = IssueFactory(themes=[refunds])
    api_client.force_authenticate(department_owner)
    refused = api_client.post(f"/api/issues/{issue.pk}/link-cases/", {"case_ids": [cases["bag"].pk]}, format="json")
    api_client.force_authenticate(team_lead)
    unknown = api_client.post(f"/api/issues/{issue.pk}/link-cases/", {"case_ids": [999_999]}, format="json")

    assert refused.status_code in (403, 404)
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"case_ids": ["Unknown case ids: 999999."]}
    assert IssueCaseLink.objects.count() == 0
