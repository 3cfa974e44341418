"""The issue workflow as a new user meets it: through the pages, with the Django test client."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from improvement.demo.seeding import demo_seed_people
from improvement.models import Department, FixTicket, ImprovementIssue
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory, cases_for_theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    demo_seed_people()
    theme = ThemeFactory(label="Parcel marked delivered but never arrived", size=3)
    now = timezone.now()
    cases_for_theme(theme=theme, received=[now - datetime.timedelta(days=day) for day in (1, 2, 3)])
    cases_for_theme(theme=None, received=[now - datetime.timedelta(days=4)])
    return theme


def log_in(client, username: str) -> None:
    assert client.login(username=username, password="demo")


def test_lead_raises_an_issue_and_owner_accepts_and_ships_it_while_exec_only_reads(
    client, demo, mailoutbox, django_capture_on_commit_callbacks
):
    theme = demo
    logistics = Department.objects.get(slug="logistics")

    # The lead finds the theme on the themes page and raises an issue from it.
    log_in(client, "lead")
    themes_page = client.get("/dashboards/themes/")
    assert f'href="/themes/{theme.pk}/raise-issue/"' in themes_page.content.decode()
    form_page = client.get(f"/themes/{theme.pk}/raise-issue/")
    assert form_page.status_code == 200
    assert form_page.context["evidence"]["volume"] == 3
    assert form_page.context["form"].initial == {"title": theme.label, "priority": "high"}
    raised = client.post(
        f"/themes/{theme.pk}/raise-issue/",
        {
            "title": "Parcels go missing at the door",
            "priority": "high",
            "problem_statement": "Customers are told the parcel was delivered; it was not.",
            "root_cause_hypothesis": "Drivers mark parcels delivered before the door.",
        },
        follow=True,
    )
    issue = ImprovementIssue.objects.get()
    assert raised.redirect_chain == [(f"/issues/{issue.pk}/", 302)]
    assert f"Issue #{issue.pk} raised." in raised.content.decode()

    # ...and proposes a fix to Logistics from the issue page.
    with django_capture_on_commit_callbacks(execute=True):
        proposed = client.post(
            f"/issues/{issue.pk}/propose-fix/",
            {
                "department": logistics.pk,
                "description": "Photo proof on every doorstep delivery",
                "due_date": "2099-12-31",
                "external_reference": "https://jira.example.com/browse/LOG-42",
            },
            follow=True,
        )
    fix = FixTicket.objects.get()
    assert "Fix proposed to Logistics" in proposed.content.decode()
    assert [message.to for message in mailoutbox] == [["owner-logistics@example.com"]]

    # The Logistics owner finds it waiting in the queue, accepts, starts and ships it.
    client.logout()
    log_in(client, "owner-logistics")
    queue = client.get("/dashboards/queue/")
    assert [waiting.pk for waiting in queue.context["queue"]["waiting"]] == [fix.pk]
    assert queue.context["queue"]["waiting"][0].actions == ["accept", "reject"]
    assert f'action="/fixes/{fix.pk}/accept/"' in queue.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(f"/fixes/{fix.pk}/accept/", {"next": "/dashboards/queue/"})
        client.post(f"/fixes/{fix.pk}/start/", {"next": "/dashboards/queue/"})
        shipped = client.post(
            f"/fixes/{fix.pk}/ship/", {"shipped_on": "2026-02-10", "next": "/dashboards/queue/"}, follow=True
        )
    assert (accepted.status_code, accepted.url) == (302, "/dashboards/queue/")
    assert [row.pk for row in shipped.context["queue"]["shipped"]] == [fix.pk]
    assert "is now shipped" in shipped.content.decode()
    fix.refresh_from_db()
    issue.refresh_from_db()
    assert (fix.status, fix.shipped_on, issue.status) == ("shipped", datetime.date(2026, 2, 10), "fix_shipped")
    assert [message.to for message in mailoutbox[1:]] == [["lead@example.com"], ["lead@example.com"]]

    # The executive sees all of it and can change nothing.
    client.logout()
    log_in(client, "exec")
    assert [row.pk for row in client.get("/issues/").context["issues"]] == [issue.pk]
    detail = client.get(f"/issues/{issue.pk}/")
    assert detail.status_code == 200
    assert [(event.from_status, event.to_status) for event in detail.context["events"]] == [
        ("", "open"),
        ("", "proposed"),
        ("proposed", "accepted"),
        ("open", "in_progress"),
        ("accepted", "in_progress"),
        ("in_progress", "shipped"),
        ("in_progress", "fix_shipped"),
    ]
    assert "proposed → accepted" in detail.content.decode()
    assert "in progress → fix shipped" in detail.content.decode()
    assert detail.context["propose_form"] is None
    assert detail.context["fixes"][0].actions == []
    refused = [
        client.post(f"/themes/{theme.pk}/raise-issue/", {"title": "x", "problem_statement": "y", "priority": "low"}),
        client.post(f"/issues/{issue.pk}/propose-fix/", {"department": logistics.pk, "description": "z"}),
        client.post(f"/issues/{issue.pk}/close/", {}),
        client.post(f"/fixes/{fix.pk}/accept/", {}),
        client.post(f"/fixes/{fix.pk}/reject/", {"reason": "no"}),
    ]
    assert [response.status_code for response in refused] == [403, 403, 403, 403, 403]
    assert (ImprovementIssue.objects.count(), FixTicket.objects.count(), issue.events.count()) == (1, 1, 7)


def test_owner_of_another_department_cannot_act_on_the_fix(client, demo):
    fix = FixFactory(department=Department.objects.get(slug="logistics"))
    log_in(client, "owner-billing")

    response = client.post(f"/fixes/{fix.pk}/accept/", {})

    assert response.status_code == 403
    fix.refresh_from_db()
    assert fix.status == "proposed"


def test_a_forbidden_transition_on_a_page_answers_409_with_the_reason(client, demo):
    fix = FixFactory(department=Department.objects.get(slug="logistics"), status="shipped")
    log_in(client, "owner-logistics")

    response = client.post(f"/fixes/{fix.pk}/accept/", {})

    assert response.status_code == 409
    assert "a fix cannot go from shipped to accepted" in response.content.decode()


def test_rejecting_without_a_reason_on_a_page_answers_400_and_changes_nothing(client, demo):
    fix = FixFactory(department=Department.objects.get(slug="logistics"))
    log_in(client, "owner-logistics")

    response = client.post(f"/fixes/{fix.pk}/reject/", {"reason": ""})

    assert response.status_code == 400
    assert "reason: This field is required." in response.content.decode()
    fix.refresh_from_db()
    assert fix.status == "proposed"


def test_raise_issue_form_with_missing_fields_answers_400(client, demo):
    log_in(client, "lead")

    response = client.post(f"/themes/{demo.pk}/raise-issue/", {"title": "", "priority": "high"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"title", "problem_statement"}
    assert ImprovementIssue.objects.count() == 0


def test_owner_cannot_open_an_issue_without_a_fix_for_their_department(client, demo):
    issue = IssueFactory()
    log_in(client, "owner-stores")

    assert client.get(f"/issues/{issue.pk}/").status_code == 404
    assert client.get(f"/themes/{demo.pk}/raise-issue/").status_code == 403


def test_lead_closes_an_issue_from_its_page(client, demo):
    issue = IssueFactory()
    log_in(client, "lead")

    response = client.post(f"/issues/{issue.pk}/close/", {"note": "not worth it"}, follow=True)

    assert "Issue closed; its open fixes were cancelled." in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "closed"


def test_proposing_a_fix_due_in_the_past_from_the_page_is_refused_naming_the_due_date(client, demo):
    issue = IssueFactory()
    log_in(client, "lead")

    response = client.post(
        f"/issues/{issue.pk}/propose-fix/",
        {
            "department": Department.objects.get(slug="logistics").pk,
            "description": "Photo proof",
            "due_date": "2020-01-01",
        },
    )

    assert response.status_code == 400
    assert "2020-01-01 is in the past; a fix is due today or later" in response.content.decode()
    assert FixTicket.objects.count() == 0


def test_closing_from_the_page_cancels_open_fixes_and_leaves_no_buttons_then_a_lead_reopens(client, demo):
    issue = IssueFactory()
    fix = FixFactory(issue=issue, department=Department.objects.get(slug="logistics"), status="proposed")
    log_in(client, "lead")

    client.post(f"/issues/{issue.pk}/close/", {"note": "solved upstream"})
    client.logout()
    log_in(client, "owner-logistics")
    owner_page = client.get(f"/issues/{issue.pk}/")
    refused = client.post(f"/fixes/{fix.pk}/accept/")
    client.logout()
    log_in(client, "lead")
    reopened = client.post(f"/issues/{issue.pk}/reopen/", {"note": "calls again"}, follow=True)

    assert owner_page.context["fixes"][0].actions == []
    assert "Cancelled: issue closed: solved upstream" in owner_page.content.decode()
    assert refused.status_code == 409
    assert "Issue reopened." in reopened.content.decode()
    issue.refresh_from_db()
    fix.refresh_from_db()
    assert (issue.status, fix.status) == ("reopened", "cancelled")


def test_a_lead_withdraws_and_edits_proposals_from_the_issue_page(client, demo):
    issue = IssueFactory()
    logistics = Department.objects.get(slug="logistics")
    to_edit = FixFactory(issue=issue, department=logistics, status="proposed", description="Photo proof")
    to_withdraw = FixFactory(issue=issue, department=logistics, status="proposed")
    log_in(client, "lead")

    page = client.get(f"/issues/{issue.pk}/")
    edited = client.post(
        f"/fixes/{to_edit.pk}/edit/",
        {"description": "Photo proof at the door", "due_date": "2099-06-30", "external_reference": ""},
    )
    withdrawn = client.post(f"/fixes/{to_withdraw.pk}/withdraw/", {"reason": "duplicate"}, follow=True)

    assert [fix.actions for fix in page.context["fixes"]] == [["withdraw", "edit"], ["withdraw", "edit"]]
    assert edited.status_code == 302
    assert f"Fix #{to_withdraw.pk} is now withdrawn." in withdrawn.content.decode()
    to_edit.refresh_from_db()
    to_withdraw.refresh_from_db()
    assert (to_edit.description, to_edit.due_date, to_withdraw.status) == (
        "Photo proof at the door",
        datetime.date(2099, 6, 30),
        "withdrawn",
    )


def test_an_owner_cannot_withdraw_a_fix_from_the_page(client, demo):
    fix = FixFactory(department=Department.objects.get(slug="logistics"), status="proposed")
    log_in(client, "owner-logistics")

    response = client.post(f"/fixes/{fix.pk}/withdraw/", {})

    fix.refresh_from_db()
    assert (response.status_code, fix.status) == (403, "proposed")


def test_a_lead_records_root_cause_and_workaround_on_the_issue_page_and_the_theme_page_shows_it(client, demo):
    theme = demo
    issue = IssueFactory(themes=[theme])
    log_in(client, "lead")

    saved = client.post(
        f"/issues/{issue.pk}/known-error/",
        {"root_cause": "Drivers scan before the door", "workaround": "Offer a re-delivery within 24h"},
        follow=True,
    )
    theme_page = client.get(f"/themes/{theme.pk}/")

    assert "Root cause and workaround saved." in saved.content.decode()
    assert "Drivers scan before the door" in saved.content.decode()
    assert "Workaround: Offer a re-delivery within 24h" in theme_page.content.decode()
    issue.refresh_from_db()
    assert (issue.root_cause, issue.workaround) == ("Drivers scan before the door", "Offer a re-delivery within 24h")


def test_the_raise_page_names_the_trend_window(client, demo):
    log_in(client, "lead")

    response = client.get(f"/themes/{demo.pk}/raise-issue/")

    assert "Trend, last 7 days vs the 7 before" in response.content.decode()
