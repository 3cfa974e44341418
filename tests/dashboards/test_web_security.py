"""What holds against the browser-side attacks: CSRF on every form and on session-authenticated API calls, labels
with markup escaped on every page, CSV cells a spreadsheet would run neutralised, and no redirect off the site."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from improvement.models import Department, FixTicket, ImprovementIssue, Theme
from tests.dashboards.seed import dashboard_seed

pytestmark = pytest.mark.django_db

END = dt.date(2026, 3, 1)
SCRIPT_PAYLOAD = "<script>alert('x')</script>"
ATTRIBUTE_PAYLOAD = '"><img src=x onerror=alert(1)>'
POST_FORM = re.compile(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', re.DOTALL)


@pytest.fixture
def seed(db):
    return dashboard_seed(end=END)


def logged_in(username: str, *, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    assert client.login(username=username, password="demo")
    return client


def csrf_token(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- CSRF ------------------------------------------------------------------------------------------------------


def test_every_post_form_on_every_page_carries_the_csrf_token(seed):
    theme, issue = seed.themes[0].pk, seed.issue.pk
    pages = {
        "lead": [f"/themes/{theme}/", f"/themes/{theme}/raise-issue/", f"/issues/{issue}/", "/dashboards/themes/"],
        "owner-logistics": ["/dashboards/queue/", f"/issues/{issue}/"],
        "exec": ["/dashboards/", "/issues/"],
    }
    forms = 0
    for username, urls in pages.items():
        client = logged_in(username)
        for url in urls:
            for form in POST_FORM.findall(client.get(url).content.decode()):
                assert 'name="csrfmiddlewaretoken"' in form, url
                forms += 1
    # Logout on each of the 8 pages; rename, merge, split, the case browser's selection form, the move to a theme
    # group and snooze on the theme page; raise; close, propose, root cause and workaround, and the proposed fix's
    # withdraw and edit on the lead's issue page; create and propose theme groups on the Themes page; on the
    # owner's queue and the issue page each, accept and reject the proposed fix and start the accepted one.
    assert forms == 8 + 6 + 1 + 5 + 2 + 3 + 3


def test_a_page_form_posted_without_the_csrf_token_is_refused_and_changes_nothing(seed):
    client = logged_in("lead", enforce_csrf=True)

    response = client.post(f"/themes/{seed.themes[0].pk}/rename/", {"label": "Hijacked"})

    assert response.status_code == 403
    assert Theme.objects.get(pk=seed.themes[0].pk).label == "Parcel marked delivered but never arrived"


def test_a_page_form_posted_with_the_csrf_token_is_accepted(seed):
    client = logged_in("lead", enforce_csrf=True)
    token = csrf_token(client, f"/themes/{seed.themes[0].pk}/")

    response = client.post(
        f"/themes/{seed.themes[0].pk}/rename/", {"label": "Parcels lost", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert Theme.objects.get(pk=seed.themes[0].pk).label == "Parcels lost"


def test_the_login_form_posted_without_the_csrf_token_is_refused():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "lead", "password": "demo"})

    assert response.status_code == 403


def test_a_session_authenticated_api_write_without_the_csrf_token_is_refused_and_changes_nothing(seed):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="owner-logistics", password="demo")

    response = client.post(f"/api/fixes/{seed.proposed_fix.pk}/accept/", {}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set.", "code": "permission_denied", "fields": {}}
    assert FixTicket.objects.get(pk=seed.proposed_fix.pk).status == "proposed"


def test_a_session_authenticated_api_write_with_the_csrf_token_is_accepted(seed):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="owner-logistics", password="demo")
    token = csrf_token(client, "/dashboards/queue/")

    response = client.post(f"/api/fixes/{seed.proposed_fix.pk}/accept/", {}, format="json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 200
    assert FixTicket.objects.get(pk=seed.proposed_fix.pk).status == "accepted"


def test_a_token_authenticated_api_write_needs_no_csrf_token(seed):
    client = APIClient(enforce_csrf_checks=True)
    token = Token.objects.create(user=seed.proposed_fix.department.owners.get())
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post(f"/api/fixes/{seed.proposed_fix.pk}/accept/", {}, format="json")

    assert response.status_code == 200


# --- XSS -------------------------------------------------------------------------------------------------------


def test_markup_in_labels_titles_and_descriptions_is_escaped_on_every_page(seed):
    theme = seed.themes[0]
    Theme.objects.filter(pk=theme.pk).update(label=f"Lost {SCRIPT_PAYLOAD}", keywords=[ATTRIBUTE_PAYLOAD])
    ImprovementIssue.objects.filter(pk=seed.issue.pk).update(
        title=f"Doors {SCRIPT_PAYLOAD}", problem_statement=ATTRIBUTE_PAYLOAD
    )
    FixTicket.objects.filter(issue=seed.issue).update(description=f"Photo {SCRIPT_PAYLOAD} {ATTRIBUTE_PAYLOAD}")
    Department.objects.filter(slug="logistics").update(name=f"Logistics {SCRIPT_PAYLOAD}")
    pages = {
        "exec": ["/dashboards/", "/issues/", f"/issues/{seed.issue.pk}/"],
        "lead": ["/dashboards/themes/", f"/themes/{theme.pk}/", f"/themes/{theme.pk}/raise-issue/"],
        "owner-logistics": ["/dashboards/queue/", f"/issues/{seed.issue.pk}/"],
    }
    escaped_pages = 0
    for username, urls in pages.items():
        client = logged_in(username)
        for url in urls:
            page = client.get(url).content.decode()

            assert SCRIPT_PAYLOAD not in page, url
            assert "<img src=x" not in page, url
            assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page or "\\u003Cscript\\u003E" in page, url
            escaped_pages += 1
    assert escaped_pages == 8


# --- CSV formulas ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("formula", ["=1+2", "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_issue_titles_and_fix_descriptions_that_start_like_a_formula_are_neutralised(seed, formula):
    ImprovementIssue.objects.filter(pk=seed.issue.pk).update(title=formula)
    FixTicket.objects.filter(pk=seed.shipped_fix.pk).update(description=formula)
    client = logged_in("exec")

    issues = csv_rows(client.get("/dashboards/export/issues.csv"))
    fixes = csv_rows(client.get("/dashboards/export/fixes.csv"))

    assert issues[1][1] == "'" + formula
    shipped = next(row for row in fixes[1:] if row[0] == str(seed.shipped_fix.pk))
    assert (shipped[2], shipped[5]) == ("'" + formula, "'" + formula)
    # Numbers keep their sign.
    assert shipped[fixes[0].index("relative_effect")] == "-0.5"


# --- open redirects --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:1"])
def test_login_refuses_to_redirect_off_the_site(seed, target):
    response = Client().post("/accounts/login/", {"username": "lead", "password": "demo", "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_follows_a_next_on_the_site(seed):
    response = Client().post("/accounts/login/", {"username": "lead", "password": "demo", "next": "/issues/"})

    assert response["Location"] == "/issues/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_a_fix_button_refuses_to_redirect_off_the_site(seed, target):
    client = logged_in("owner-logistics")

    response = client.post(f"/fixes/{seed.proposed_fix.pk}/accept/", {"next": target})

    assert response.status_code == 302
    assert response["Location"] == f"/issues/{seed.issue.pk}/"


def test_a_fix_button_returns_to_a_next_on_the_site(seed):
    client = logged_in("owner-logistics")

    response = client.post(f"/fixes/{seed.proposed_fix.pk}/accept/", {"next": "/dashboards/queue/"})

    assert response["Location"] == "/dashboards/queue/"
