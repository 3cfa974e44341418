"""The dashboard pages, the executive JSON API, theme curation pages and CSV exports, with the Django test client."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from improvement.models import Department, Theme
from tests.dashboards.seed import dashboard_seed
from tests.factories import ExecutiveFactory, UserFactory
from tests.improvement.workflow_factories import FixFactory, IssueFactory

pytestmark = pytest.mark.django_db

END = dt.date(2026, 3, 1)
MAXIMUM_QUERIES_PER_PAGE = 20


@pytest.fixture
def seed(db):
    return dashboard_seed(end=END)


def log_in(client, username: str) -> None:
    assert client.login(username=username, password="demo")


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- executive page and API ------------------------------------------------------------------------------------


def test_executive_page_draws_its_charts_with_the_local_plotly_in_bounded_queries(
    client, seed, django_assert_max_num_queries
):
    log_in(client, "exec")

    with django_assert_max_num_queries(MAXIMUM_QUERIES_PER_PAGE):
        response = client.get("/dashboards/")

    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<script src="/static/dashboards/vendor/plotly\.min\.js" nonce="[\w+/=-]{16,}"></script>', page)
    assert "cdn.plot.ly" not in page
    assert page.count('class="plotly-graph-div"') == 1 + 6 + 5 + 1 + 1 + 1 + 1
    assert "Contact volume per day" in page and "Department scorecard" in page


def test_executive_page_refuses_a_team_lead(client, seed):
    log_in(client, "lead")

    assert client.get("/dashboards/").status_code == 403


def test_executive_page_answers_400_for_a_start_after_the_end(client, seed):
    log_in(client, "exec")

    response = client.get("/dashboards/?start=2026-03-01&end=2026-02-01")

    assert response.status_code == 400
    assert "The start date 2026-03-01 is after the end date 2026-02-01." in response.content.decode()


def test_executive_api_returns_the_dashboard_aggregates_in_bounded_queries(client, seed, django_assert_max_num_queries):
    log_in(client, "exec")

    with django_assert_max_num_queries(MAXIMUM_QUERIES_PER_PAGE):
        response = client.get("/api/dashboard/executive/?start=2026-01-01&end=2026-03-01&brand=acme")

    body = response.json()
    assert response.status_code == 200
    assert body["filters"] == {"start": "2026-01-01", "end": "2026-03-01", "brand": "acme", "channel": ""}
    assert len(body["dates"]) == 60
    # The seeded fix avoided 620 (450 to 760) on all brands; acme has half of its theme's contacts (issue #15).
    assert body["contacts_avoided"]["overall"] == {"estimate": 310.0, "low": 225.0, "high": 380.0}
    assert set(body) >= {
        "total",
        "top_themes_by_volume",
        "top_themes_by_growth",
        "theme_share",
        "theme_lines",
        "fix_impacts",
        "department_scorecard",
    }


def test_executive_api_refuses_a_department_owner(client, seed):
    log_in(client, "owner-logistics")

    assert client.get("/api/dashboard/executive/").status_code == 403


def test_executive_api_answers_400_naming_a_bad_date(client, seed):
    log_in(client, "exec")

    response = client.get("/api/dashboard/executive/?start=yesterday")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "filters: start: Enter a valid date.",
        "code": "invalid",
        "fields": {"filters": ["start: Enter a valid date."]},
    }


@pytest.mark.parametrize("query", ["end=0001-01-01", "start=0001-01-01&end=0001-01-05", "end=9999-12-31"])
def test_executive_api_answers_400_naming_a_date_outside_1970_to_2100(client, seed, query):
    log_in(client, "exec")

    response = client.get(f"/api/dashboard/executive/?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert all(
        "is outside the accepted range 1970-01-01 to 2100-12-31 (UTC)." in problem
        for problem in response.json()["fields"]["filters"]
    )


# --- team lead pages -------------------------------------------------------------------------------------------


def test_lead_themes_page_shows_volumes_badges_and_sparklines_in_bounded_queries(
    client, seed, django_assert_max_num_queries
):
    log_in(client, "lead")

    with django_assert_max_num_queries(MAXIMUM_QUERIES_PER_PAGE):
        response = client.get("/dashboards/themes/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="plotly-graph-div"') == 6
    assert page.count("badge-spiking") == 1 and page.count("badge-new") == 1
    assert f'href="/themes/{seed.themes[0].pk}/raise-issue/"' in page


def test_theme_page_is_readable_by_an_owner_without_curation_forms(client, seed, django_assert_max_num_queries):
    log_in(client, "owner-logistics")

    with django_assert_max_num_queries(MAXIMUM_QUERIES_PER_PAGE):
        response = client.get(f"/themes/{seed.themes[0].pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Parcel marked delivered but never arrived" in page and "Doorstep deliveries go missing" in page
    assert 'id="rename-form"' not in page


@pytest.fixture
def billing_issue(seed):
    """A second issue on the first theme whose only fix, shipped, is Billing's."""
    issue = IssueFactory(title="Refunds promised at the door", themes=[seed.themes[0]])
    fix = FixFactory(
        issue=issue,
        department=Department.objects.get(slug="billing"),
        description="Refund doorstep losses at once.",
        status="shipped",
        shipped_on=END - dt.timedelta(days=10),
    )
    return issue, fix


@pytest.mark.parametrize(
    ("username", "issue_titles", "fix_descriptions"),
    [
        ("owner-logistics", ["Doorstep deliveries go missing"], ["Photograph every doorstep delivery."]),
        # Billing's rejected fix on the seeded issue shows that issue, but not Logistics' shipped fix.
        (
            "owner-billing",
            ["Refunds promised at the door", "Doorstep deliveries go missing"],
            ["Refund doorstep losses at once."],
        ),
        ("owner-stores", [], []),
        (
            "lead",
            ["Refunds promised at the door", "Doorstep deliveries go missing"],
            ["Photograph every doorstep delivery.", "Refund doorstep losses at once."],
        ),
    ],
)
def test_theme_page_shows_only_the_issues_and_shipped_fixes_the_viewer_may_see(
    client, seed, billing_issue, username, issue_titles, fix_descriptions
):
    billing, _ = billing_issue
    all_issues = {"Doorstep deliveries go missing": seed.issue.pk, "Refunds promised at the door": billing.pk}
    log_in(client, username)

    response = client.get(f"/themes/{seed.themes[0].pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert [issue.title for issue in response.context["data"]["issues"]] == issue_titles
    assert [mark["description"] for mark in response.context["data"]["fixes"]] == fix_descriptions
    assert {title for title, pk in all_issues.items() if f'href="/issues/{pk}/"' in page} == set(issue_titles)
    shown = [
        text for text in ("Photograph every doorstep delivery.", "Refund doorstep losses at once.") if text in page
    ]
    assert set(shown) == set(fix_descriptions)


def test_lead_renames_a_theme_from_its_page(client, seed):
    log_in(client, "lead")

    response = client.post(f"/themes/{seed.themes[1].pk}/rename/", {"label": "Refunds stuck after returns"})

    assert response.status_code == 302 and response.url == f"/themes/{seed.themes[1].pk}/"
    assert Theme.objects.get(pk=seed.themes[1].pk).label == "Refunds stuck after returns"


def test_owner_cannot_rename_a_theme(client, seed):
    log_in(client, "owner-logistics")

    response = client.post(f"/themes/{seed.themes[1].pk}/rename/", {"label": "Mine now"})

    assert response.status_code == 403
    assert Theme.objects.get(pk=seed.themes[1].pk).label == "Refund not received after return"


def test_renaming_to_an_empty_label_answers_400_and_keeps_the_label(client, seed):
    log_in(client, "lead")

    response = client.post(f"/themes/{seed.themes[1].pk}/rename/", {"label": ""})

    assert response.status_code == 400
    assert Theme.objects.get(pk=seed.themes[1].pk).label == "Refund not received after return"


def test_lead_merges_a_theme_into_another_and_lands_on_the_survivor(client, seed):
    log_in(client, "lead")
    merged, survivor = seed.themes[3], seed.themes[1]

    response = client.post(f"/themes/{merged.pk}/merge/", {"into": survivor.pk})

    assert response.status_code == 302 and response.url == f"/themes/{survivor.pk}/"
    merged.refresh_from_db()
    assert (merged.status, merged.merged_into_id) == (Theme.Status.MERGED, survivor.pk)


def test_merging_an_already_merged_theme_answers_409(client, seed):
    log_in(client, "lead")
    client.post(f"/themes/{seed.themes[3].pk}/merge/", {"into": seed.themes[1].pk})

    response = client.post(f"/themes/{seed.themes[3].pk}/merge/", {"into": seed.themes[2].pk})

    assert response.status_code == 409
    assert Theme.objects.get(pk=seed.themes[3].pk).merged_into_id == seed.themes[1].pk


def test_splitting_a_theme_without_embedded_cases_answers_400_and_changes_nothing(client, seed):
    log_in(client, "lead")

    response = client.post(f"/themes/{seed.themes[0].pk}/split/", {"parts": 2})

    assert response.status_code == 400
    assert "embedded cases" in response.content.decode()
    assert Theme.objects.count() == 6


# --- owner queue -----------------------------------------------------------------------------------------------


def test_owner_queue_shows_the_measured_impact_of_a_shipped_fix_with_its_chart(client, seed):
    log_in(client, "owner-logistics")

    response = client.get("/dashboards/queue/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "effect -50% (95% range: -62% to -36%)" in page
    assert "620 contacts avoided (450 to 760)" in page
    assert page.count('class="plotly-graph-div"') == 1


# --- CSV exports -----------------------------------------------------------------------------------------------


def test_fixes_csv_lists_an_owners_department_fixes_with_verdicts(client, seed):
    log_in(client, "owner-logistics")

    response = client.get("/dashboards/export/fixes.csv")

    rows = csv_rows(response)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:5] == ["fix_id", "issue_id", "issue_title", "department", "status"]
    assert sorted(row[3] for row in rows[1:]) == ["Logistics"] * 3
    shipped = next(row for row in rows[1:] if row[0] == str(seed.shipped_fix.pk))
    header = rows[0]
    assert {name: shipped[header.index(name)] for name in ("verdict", "relative_effect", "contacts_avoided")} == {
        "verdict": "working",
        "relative_effect": "-0.5",
        "contacts_avoided": "620.0",
    }


def test_issues_and_themes_csv_for_an_executive(client, seed):
    log_in(client, "exec")

    issues = csv_rows(client.get("/dashboards/export/issues.csv"))
    themes = csv_rows(client.get("/dashboards/export/themes.csv"))

    assert [row[1] for row in issues[1:]] == ["Doorstep deliveries go missing"]
    assert issues[1][-1] == "4"
    assert [row[1] for row in themes[1:3]] == [
        "Parcel marked delivered but never arrived",
        "App login fails after update",
    ]
    assert themes[1][themes[0].index("volume_last_28_days")] == "240"


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        # The seeded issue has three Logistics fixes and one Billing fix; the second issue one Billing fix.
        ("owner-logistics", [["Doorstep deliveries go missing", "3"]]),
        ("owner-billing", [["Doorstep deliveries go missing", "1"], ["Refunds promised at the door", "1"]]),
        ("owner-stores", []),
        ("exec", [["Doorstep deliveries go missing", "4"], ["Refunds promised at the door", "1"]]),
    ],
)
def test_issues_csv_counts_only_the_fixes_the_viewer_may_see(client, seed, billing_issue, username, expected):
    log_in(client, username)

    rows = csv_rows(client.get("/dashboards/export/issues.csv"))

    assert rows[0][-1] == "fix_count"
    assert [[row[1], row[-1]] for row in rows[1:]] == expected


def test_exports_refuse_a_user_without_a_role(client, seed):
    UserFactory(username="nobody")
    client.login(username="nobody", password="secret-password")

    assert [client.get(f"/dashboards/export/{name}.csv").status_code for name in ("themes", "issues", "fixes")] == [
        403,
        403,
        403,
    ]


def test_csv_cells_that_look_like_formulas_are_neutralised(client, seed):
    Theme.objects.filter(pk=seed.themes[0].pk).update(label='=HYPERLINK("http://evil")')
    log_in(client, "exec")

    themes = csv_rows(client.get("/dashboards/export/themes.csv"))

    assert themes[1][1] == '\'=HYPERLINK("http://evil")'


def test_executive_page_and_api_work_before_any_case_arrives(client, db):
    ExecutiveFactory(username="first-exec")
    client.login(username="first-exec", password="secret-password")

    page = client.get("/dashboards/")
    api = client.get("/api/dashboard/executive/")

    assert page.status_code == 200 and "No theme volume in this period." in page.content.decode()
    assert api.status_code == 200 and api.json()["total"]["sum"] == 0


def test_owner_queue_runs_in_bounded_queries(client, seed, django_assert_max_num_queries):
    log_in(client, "owner-logistics")

    with django_assert_max_num_queries(MAXIMUM_QUERIES_PER_PAGE):
        assert client.get("/dashboards/queue/").status_code == 200
