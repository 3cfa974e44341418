"""A fix that added contacts (negative "avoided") reads as contacts added, never in the avoided green, on every
page and export that shows it (tests/dashboards/seed.py, its one measured fix turned worse)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest

from dashboards.charts import ADDED_COLOUR
from improvement.models import FixImpact, FixTicket
from tests.dashboards.seed import dashboard_seed

pytestmark = pytest.mark.django_db

END = dt.date(2026, 3, 1)
ADDED = '<span class="contacts-added">100 contacts added (20 to 250)</span>'


@pytest.fixture
def seed(db):
    seed = dashboard_seed(end=END)
    FixImpact.objects.filter(fix=seed.shipped_fix).update(
        verdict=FixImpact.Verdict.WORSE,
        relative_effect=0.12,
        ci_low=0.02,
        ci_high=0.3,
        contacts_avoided=-100.0,
        contacts_avoided_low=-250.0,
        contacts_avoided_high=-20.0,
    )
    FixTicket.objects.filter(pk=seed.shipped_fix.pk).update(status=FixTicket.Status.WORSE)
    return seed


def page(client, username: str, url: str) -> str:
    assert client.login(username=username, password="demo")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def chart_blocks(content: str) -> list[dict]:
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/json" class="fixloop-chart"[^>]*>(.*?)</script>', content)
    ]


def test_the_executive_page_says_added_in_the_facts_table_and_department_bars(client, seed):
    content = page(client, "exec", f"/dashboards/?start={END - dt.timedelta(days=89)}&end={END}")

    assert (
        f'<div id="avoided-overall"><dt>Contacts avoided by fixes shipped in the period (95% interval)</dt><dd>{ADDED}'
        in content
    )
    # The measured fix's row and its department's row.
    assert content.count(ADDED) == 3
    assert 'class="contacts-avoided"' not in content
    bars = next(chart for chart in chart_blocks(content) if chart["data"][0]["type"] == "bar")
    assert bars["data"][0]["marker"]["color"] == [ADDED_COLOUR, ADDED_COLOUR]
    assert bars["data"][0]["customdata"] == [["100 contacts added (20 to 250)"]] * 2


def test_the_fix_page_the_issue_page_and_the_owner_queue_say_added(client, seed):
    fix_page = page(client, "exec", f"/fixes/{seed.shipped_fix.pk}/")
    issue_page = client.get(f"/issues/{seed.issue.pk}/").content.decode()
    client.logout()
    queue = page(client, "owner-logistics", "/dashboards/queue/")

    assert f'<dd id="contacts-change">{ADDED}</dd>' in fix_page
    assert "That is about 100 contacts added (between 20 and 250)." in fix_page
    assert f'<dd id="issue-contacts-change">{ADDED}</dd>' in issue_page
    assert f"· {ADDED}</li>" in issue_page
    assert ADDED in queue
    for content in (fix_page, issue_page, queue):
        assert 'class="contacts-avoided"' not in content


def test_the_fixes_export_says_added_in_words(client, seed):
    assert client.login(username="exec", password="demo")

    rows = list(csv.reader(io.StringIO(client.get("/dashboards/export/fixes.csv").content.decode())))

    header = rows[0]
    shipped = next(row for row in rows[1:] if row[0] == str(seed.shipped_fix.pk))
    assert {name: shipped[header.index(name)] for name in ("contacts_avoided", "contacts_change")} == {
        "contacts_avoided": "-100.0",
        "contacts_change": "100 contacts added (20 to 250)",
    }
