"""The case browser pages: search and filters, acting on a selection, the curation job page, linked cases."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from improvement.models import CaseTheme, CurationJob, IssueCaseLink, Theme
from tests.improvement.workflow_factories import CaseFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db
RECEIVED = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    refunds = ThemeFactory(label="Refunds", size=3)
    bags = ThemeFactory(label="Bags", size=1)
    cases = [
        CaseFactory(text=f"refund number {i} is late", received_at=RECEIVED + dt.timedelta(hours=i)) for i in range(3)
    ]
    bag = CaseFactory(text="lost bag", received_at=RECEIVED + dt.timedelta(hours=5))
    for case in cases:
        CaseTheme.objects.create(case=case, theme=refunds, source="fit", similarity=0.75)
    CaseTheme.objects.create(case=bag, theme=bags, source="fit", similarity=0.5)
    return refunds, bags, cases, bag


def _row_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="case-(\d+)"', page)]


def test_the_browser_searches_and_shows_theme_and_closeness(client, executive, world):
    refunds, _, cases, _ = world
    client.force_login(executive)

    response = client.get("/cases/", {"search": "refund"})

    page = response.content.decode()
    assert response.status_code == 200
    assert _row_ids(page) == [cases[2].pk, cases[1].pk, cases[0].pk]
    assert page.count(f'href="/themes/{refunds.pk}/">Refunds</a>') == 3
    assert page.count("<td>0.75</td>") == 3
    # An executive reads; the selection actions are for leads.
    assert 'name="case_ids"' not in page


def test_a_bad_filter_answers_400_naming_it(client, executive, world):
    client.force_login(executive)

    response = client.get("/cases/", {"theme": "999999"})

    assert response.status_code == 400
    assert "theme: Select a valid choice." in response.content.decode()


def test_the_theme_page_lists_only_its_cases_with_checkboxes_for_a_lead(client, team_lead, world):
    refunds, _, cases, _ = world
    client.force_login(team_lead)

    page = client.get(f"/themes/{refunds.pk}/").content.decode()

    assert _row_ids(page) == [cases[2].pk, cases[1].pk, cases[0].pk]
    assert page.count('name="case_ids"') == 3


def test_moving_the_selection_from_the_theme_page(client, team_lead, world):
    refunds, bags, cases, _ = world
    client.force_login(team_lead)

    response = client.post(
        "/cases/selection/",
        {
            "action": "move",
            "case_ids": [cases[0].pk, cases[1].pk],
            "to": bags.pk,
            "from_theme": refunds.pk,
            "back": f"/themes/{refunds.pk}/",
        },
    )

    assert (response.status_code, response["Location"]) == (302, f"/themes/{refunds.pk}/")
    assert sorted(CaseTheme.objects.filter(theme=bags).values_list("case_id", flat=True)) == sorted(
        [
            cases[0].pk,
            cases[1].pk,
            *CaseTheme.objects.filter(theme=bags, source="fit").values_list("case_id", flat=True),
        ]
    )
    assert Theme.objects.get(pk=refunds.pk).size == 1


def test_splitting_the_selection_goes_to_the_job_page_which_links_the_new_theme(
    client, team_lead, world, django_capture_on_commit_callbacks
):
    refunds, _, cases, _ = world
    client.force_login(team_lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/cases/selection/",
            {"action": "split", "case_ids": [cases[2].pk], "label": "Late refunds", "from_theme": refunds.pk},
        )
    job = CurationJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    status = client.get(f"/curation-jobs/{job.pk}/status.json").json()

    assert response["Location"] == f"/curation-jobs/{job.pk}/"
    made = Theme.objects.get(label="Late refunds")
    assert f'<a href="/themes/{made.pk}/">Late refunds</a> · 1 cases' in page
    assert (status["status"], status["finished"], status["result_theme_ids"]) == ("succeeded", True, [made.pk])


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"action": "split"}, "case_ids: Select at least one case."),
        ({"action": "move"}, "to: Choose the theme to move the selected cases to."),
        ({"action": "link", "case_ids": ["1"]}, "issue: Choose the issue to link the selected cases to."),
    ],
    ids=["empty-selection", "no-target", "no-issue"],
)
def test_a_bad_selection_answers_400_naming_the_field_and_changes_nothing(client, team_lead, world, posted, message):
    client.force_login(team_lead)

    response = client.post("/cases/selection/", posted)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert CurationJob.objects.count() == 0
    assert CaseTheme.objects.filter(source="manual").count() == 0


def test_splitting_cases_of_another_theme_answers_400(client, team_lead, world):
    refunds, _, _, bag = world
    client.force_login(team_lead)

    response = client.post("/cases/selection/", {"action": "split", "case_ids": [bag.pk], "from_theme": refunds.pk})

    assert response.status_code == 400
    assert f"Not changed: case_ids: Not in theme {refunds.pk}: {bag.pk}." in response.content.decode()


def test_an_executive_may_not_act_on_a_selection(client, executive, world):
    _, bags, cases, _ = world
    client.force_login(executive)

    response = client.post("/cases/selection/", {"action": "move", "case_ids": [cases[0].pk], "to": bags.pk})

    assert response.status_code == 403
    assert CaseTheme.objects.filter(source="manual").count() == 0


def test_linking_the_selection_shows_the_cases_on_the_issue_page(client, team_lead, world):
    refunds, _, cases, _ = world
    issue = IssueFactory(title="Refunds are slow", themes=[refunds])
    client.force_login(team_lead)

    response = client.post("/cases/selection/", {"action": "link", "case_ids": [cases[1].pk], "issue": issue.pk})
    page = client.get(response["Location"]).content.decode()

    assert response["Location"] == f"/issues/{issue.pk}/"
    assert list(IssueCaseLink.objects.values_list("case_id", flat=True)) == [cases[1].pk]
    assert f'<li id="linked-case-{cases[1].pk}">' in page
    assert "refund number 1 is late" in page
