"""Several fixes on one theme: each measured against the ones before it, and all of them together."""

from __future__ import annotations

import datetime
import json
import re

import pytest

from improvement.impact.selectors import fix_impact_estimate, issue_combined_impact
from improvement.models import FixTicket, ImprovementIssue
from tests.factories import DepartmentFactory
from tests.improvement.impact_data import PRE_DAYS, SHIP_DATE, levels, volume_rows_create
from tests.improvement.workflow_factories import FixFactory, IssueFactory, ThemeFactory

pytestmark = pytest.mark.django_db

SECOND_SHIP_DATE = SHIP_DATE + datetime.timedelta(days=35)


@pytest.fixture
def staggered_issue(db) -> tuple[ImprovementIssue, FixTicket, FixTicket]:
    # A first fix cuts the theme by 30% at SHIP_DATE, a second one by a further 40% five weeks later.
    theme = ThemeFactory()
    volume_rows_create(
        theme=theme, theme_levels=levels((PRE_DAYS, 100.0), (35, 70.0), (30, 42.0)), other_level=2000.0, seed=4
    )
    issue = IssueFactory(themes=[theme], status=ImprovementIssue.Status.FIX_SHIPPED)
    department = DepartmentFactory(name="Logistics")
    first = FixFactory(issue=issue, department=department, status=FixTicket.Status.WORKING, shipped_on=SHIP_DATE)
    second = FixFactory(
        issue=issue, department=department, status=FixTicket.Status.SHIPPED, shipped_on=SECOND_SHIP_DATE
    )
    return issue, first, second


def test_a_later_fix_is_measured_against_the_level_the_earlier_fix_left(staggered_issue):
    _, first, second = staggered_issue

    first_impact = fix_impact_estimate(fix=first)
    second_impact = fix_impact_estimate(fix=second)

    assert first_impact.relative_effect == pytest.approx(-0.3, abs=0.05)
    assert second_impact.relative_effect == pytest.approx(-0.4, abs=0.05)
    assert second_impact.ci_low <= -0.4 <= second_impact.ci_high
    assert second_impact.verdict == "working"


def test_the_issue_combines_its_fixes_from_the_first_ship_date(staggered_issue):
    issue, first, _ = staggered_issue

    combined = issue_combined_impact(issue=issue)

    # 35 days at 0.7 and 28 at 0.42 of the level before: 1 - (35 * 0.7 + 28 * 0.42) / 63 = 42% fewer contacts.
    assert combined.post_days_observed == 63
    assert combined.ship_date == first.shipped_on
    # The ridge trend prior keeps the chance slope of 120 pure-Poisson pre days, projected over 63 days: the
    # estimate (-0.364 on this seed) is within 0.06 of the truth and its interval holds it.
    assert combined.relative_effect == pytest.approx(-0.42, abs=0.06)
    assert combined.ci_low <= -0.42 <= combined.ci_high


def test_an_issue_with_one_shipped_fix_has_no_combined_effect(staggered_issue):
    issue, _, second = staggered_issue
    second.status = FixTicket.Status.IN_PROGRESS
    second.shipped_on = None
    second.save()

    assert issue_combined_impact(issue=issue) is None


def test_the_issue_page_shows_the_combined_effect_of_its_fixes(admin_client, staggered_issue):
    issue, first, second = staggered_issue

    page = admin_client.get(f"/issues/{issue.pk}/")

    content = page.content.decode()
    assert page.status_code == 200
    assert (
        '<p class="verdict" id="combined-impact"><strong>All shipped fixes together:</strong> Contacts fell about 36% '
        "(between 31% and 42%) in the 63 days after the first fix shipped. That is about 2166 contacts avoided "
        "(between 1839 and 2498).</p>"
    ) in content
    # 63 days: the extended horizon's final tails, 0.01 on the working side and 0.015 on the worse side.
    assert "<dt>Contacts avoided or added (97.5% range)</dt>" in content
    assert (
        '<dd id="issue-contacts-change"><span class="contacts-avoided">2,166 contacts avoided (1,839 to 2,498)</span>'
    ) in content
    assert "p-value" not in content and "p =" not in content
    (chart,) = chart_blocks(content)
    assert chart["layout"]["title"]["text"] == "Contacts of the issue's themes: actual vs expected without its fixes"
    assert [(shape["x0"], shape["line"]["dash"]) for shape in chart["layout"]["shapes"]] == [
        (SHIP_DATE.isoformat(), "dot"),
        (SECOND_SHIP_DATE.isoformat(), "dot"),
    ]
    assert [note["text"] for note in chart["layout"]["annotations"]] == [
        f"Fix #{first.pk} shipped",
        f"Fix #{second.pk} shipped",
    ]
    # The expected line covers the 63 days from the first ship date.
    assert len(chart["data"][2]["y"]) == 63


def chart_blocks(content: str) -> list[dict]:
    """The JSON chart blocks of a page (drawn by dashboards/static/dashboards/charts.js)."""
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/json" class="fixloop-chart"[^>]*>(.*?)</script>', content)
    ]
