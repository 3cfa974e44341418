"""The Content-Security-Policy: its header on pages and the admin, and pages that run no script the policy blocks
(every <script> is a static file carrying the response's nonce, or a JSON data block; no inline event handlers)."""

from __future__ import annotations

import json
import re

import pytest

from dashboards import charts
from tests.dashboards.seed import dashboard_seed

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
NONCE_IN_HEADER = re.compile(r"'nonce-([^']+)'")
POLICY_WITHOUT_NONCE = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy header as {directive: sources} (django-csp orders them freely)."""
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in directives}


def response_nonce(response) -> str | None:
    found = NONCE_IN_HEADER.search(response["Content-Security-Policy"])
    return found.group(1) if found else None


@pytest.fixture
def seed(db):
    return dashboard_seed()


def log_in(client, username: str) -> None:
    assert client.login(username=username, password="demo")


def page_urls(seed) -> dict[str, list[str]]:
    theme, issue = seed.themes[0].pk, seed.issue.pk
    return {
        "exec": ["/dashboards/", f"/issues/{issue}/", "/issues/"],
        "lead": ["/dashboards/themes/", f"/themes/{theme}/", f"/themes/{theme}/raise-issue/", f"/issues/{issue}/"],
        "owner-logistics": ["/dashboards/queue/", f"/themes/{theme}/", f"/issues/{issue}/"],
    }


def test_a_chart_page_sends_the_policy_with_its_nonce_and_no_unsafe_inline_script(client, seed):
    log_in(client, "exec")

    response = client.get("/dashboards/")

    nonce = response_nonce(response)
    assert policy(response) == {**POLICY_WITHOUT_NONCE, "script-src": ["'self'", f"'nonce-{nonce}'"]}
    assert len(nonce) >= 16
    assert f'nonce="{nonce}"' in response.content.decode()


def test_a_page_without_scripts_sends_the_policy_without_a_nonce(client, seed):
    response = client.get("/accounts/login/")

    assert policy(response) == POLICY_WITHOUT_NONCE


@pytest.mark.parametrize("username", ["exec", "lead", "owner-logistics"])
def test_every_script_on_every_page_is_a_static_file_with_the_nonce_or_a_json_data_block(client, seed, username):
    log_in(client, username)
    executable_scripts = 0

    for url in page_urls(seed)[username]:
        response = client.get(url)
        page = response.content.decode()
        nonce = response_nonce(response)
        scripts = SCRIPT_TAG.findall(page)

        assert response.status_code == 200, url
        for attributes, body in scripts:
            if 'type="application/json"' in attributes:
                json.loads(body)
                assert "</" not in body
            else:
                assert nonce is not None, url
                assert re.fullmatch(rf' src="/static/[\w/.-]+\.js" nonce="{re.escape(nonce)}"( defer)?', attributes)
                assert body == ""
                executable_scripts += 1
        assert INLINE_HANDLER.search(page) is None, url
        assert "javascript:" not in page, url
    # plotly.js and charts.js on each chart page; the issue page is one (its measured fix's chart) for every role.
    assert executable_scripts == 2 * {"exec": 2, "lead": 3, "owner-logistics": 3}[username]


def test_the_admin_is_served_under_the_same_policy(client, seed):
    log_in(client, "admin")

    response = client.get("/admin/improvement/department/add/")

    assert response.status_code == 200
    assert policy(response)["script-src"] in (["'self'"], ["'self'", f"'nonce-{response_nonce(response)}'"])
    assert policy(response)["frame-ancestors"] == ["'none'"]


def test_a_chart_label_cannot_close_its_data_block_or_inject_markup():
    label = '</script><script>alert("x")</script>&'

    html = charts.chart_html(charts.sparkline_figure(dates=["2026-01-01"], counts=[3], label=label), static=True)

    assert html.count("<script") == 1 and html.count("</script>") == 1
    body = SCRIPT_TAG.search(html).group(2)
    assert json.loads(body)["data"][0]["name"] == label
    assert json.loads(body)["config"]["staticPlot"] is True
