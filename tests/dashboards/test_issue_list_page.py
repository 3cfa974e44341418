"""The issues list page: filters, search, sortable columns and pages, each role seeing only its issues."""

from __future__ import annotations

import datetime

import pytest

from improvement.demo.seeding import demo_seed_people
from improvement.models import Department, ImprovementIssue
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 9, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def issues(db):
    """Four issues raised a day apart (oldest first): two with a Logistics fix, one with a Billing fix."""
    demo_seed_people()
    logistics = Department.objects.get(slug="logistics")
    billing = Department.objects.get(slug="billing")
    parcels = ThemeFactory(label="Parcels")
    refunds = ThemeFactory(label="Refunds")
    rows = [
        ("Doorstep photos", "high", "open", [parcels], logistics, "Parcels marked delivered never arrive."),
        ("Refund delays", "critical", "in_progress", [refunds], billing, "Refunds take three weeks."),
        ("Courier app crash", "low", "closed", [parcels], logistics, "The courier app crashes on scan."),
        ("Invoice wording", "medium", "open", [refunds], None, "Customers misread the invoice total."),
    ]
    created = {}
    for day, (title, priority, status, themes, department, problem) in enumerate(rows):
        issue = IssueFactory(title=title, priority=priority, status=status, themes=themes, problem_statement=problem)
        ImprovementIssue.objects.filter(pk=issue.pk).update(created_at=START + datetime.timedelta(days=day))
        if department is not None:
            FixFactory(issue=issue, department=department)
        created[title] = issue
    return created


def titles(response) -> list[str]:
    return [issue.title for issue in response.context["issues"]]


def get_as(client, username: str, query: str = ""):
    assert client.login(username=username, password="demo")
    return client.get(f"/issues/{query}")


def test_the_list_is_newest_first_by_default(client, issues):
    response = get_as(client, "lead")
    assert response.status_code == 200
    assert titles(response) == ["Invoice wording", "Courier app crash", "Refund delays", "Doorstep photos"]
    assert "sorted by newest first" in response.content.decode()


def test_filters_by_status_priority_department_and_theme(client, issues):
    assert titles(get_as(client, "lead", "?status=open")) == ["Invoice wording", "Doorstep photos"]
    assert titles(get_as(client, "lead", "?priority=critical")) == ["Refund delays"]
    assert titles(get_as(client, "lead", "?department=logistics")) == ["Courier app crash", "Doorstep photos"]
    parcels = issues["Doorstep photos"].themes.get()
    assert titles(get_as(client, "lead", f"?theme={parcels.pk}&status=closed")) == ["Courier app crash"]


def test_search_matches_title_or_problem_statement_ignoring_case(client, issues):
    assert titles(get_as(client, "lead", "?q=REFUND")) == ["Refund delays"]
    assert titles(get_as(client, "lead", "?q=scan")) == ["Courier app crash"]
    response = get_as(client, "lead", "?q=nothing+like+this")
    assert titles(response) == []
    assert "No issues match these filters." in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("created", ["Doorstep photos", "Refund delays", "Courier app crash", "Invoice wording"]),
        ("-priority", ["Refund delays", "Doorstep photos", "Invoice wording", "Courier app crash"]),
        ("priority", ["Courier app crash", "Invoice wording", "Doorstep photos", "Refund delays"]),
        ("status", ["Invoice wording", "Doorstep photos", "Refund delays", "Courier app crash"]),
        ("title", ["Courier app crash", "Doorstep photos", "Invoice wording", "Refund delays"]),
        ("-title", ["Refund delays", "Invoice wording", "Doorstep photos", "Courier app crash"]),
    ],
)
def test_sorts_by_a_whitelisted_column(client, issues, sort, expected):
    assert titles(get_as(client, "lead", f"?sort={sort}")) == expected


def test_a_column_heading_links_to_its_sort_keeping_the_filters(client, issues):
    page = get_as(client, "lead", "?status=open&sort=title&page=1").content.decode()
    assert 'href="?status=open&amp;sort=-title"' in page
    assert 'href="?status=open&amp;sort=priority"' in page
    assert 'href="?status=open&amp;sort=-created"' in page
    assert 'aria-sort="ascending"><a href="?status=open&amp;sort=-title"' in page


def test_an_owner_sees_only_issues_with_a_fix_for_their_department_even_when_filtering(client, issues):
    assert titles(get_as(client, "owner-billing")) == ["Refund delays"]
    assert titles(get_as(client, "owner-billing", "?department=logistics")) == []
    assert [theme.label for theme in get_as(client, "owner-billing").context["theme_options"]] == ["Refunds"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?sort=raised_by", "sort"),
        ("?sort=id;drop", "sort"),
        ("?status=lost", "status"),
        ("?priority=urgent", "priority"),
        ("?department=nowhere", "department"),
        ("?theme=abc", "theme"),
        ("?theme=999999", "theme"),
        ("?page=0", "page"),
        ("?page=two", "page"),
        (f"?q={'x' * 201}", "q"),
    ],
)
def test_a_bad_parameter_answers_400_naming_it_and_shows_the_unfiltered_list(client, issues, query, field):
    response = get_as(client, "lead", query)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert f"<li>{field}: " in response.content.decode()
    assert len(titles(response)) == 4


def test_pages_hold_25_issues_and_keep_the_query_string(client, issues):
    for number in range(30):
        IssueFactory(title=f"Bulk {number:02d}", priority="low", status="open")
    first = get_as(client, "lead", "?priority=low&sort=title")
    assert first.status_code == 200
    assert first.context["page"].paginator.count == 31
    assert titles(first) == [f"Bulk {number:02d}" for number in range(25)]
    assert 'href="?priority=low&amp;sort=title&amp;page=2" rel="next"' in first.content.decode()
    second = get_as(client, "lead", "?priority=low&sort=title&page=2")
    assert titles(second) == [*(f"Bulk {number:02d}" for number in range(25, 30)), "Courier app crash"]
    assert 'href="?priority=low&amp;sort=title&amp;page=1" rel="prev"' in second.content.decode()
    beyond = get_as(client, "lead", "?priority=low&sort=title&page=9")
    assert beyond.context["page"].number == 2


def test_a_signed_out_visitor_is_sent_to_log_in(client, issues):
    response = client.get("/issues/?status=open")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
