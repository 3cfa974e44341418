"""The case browser in a real browser: a lead searches "refund", moves three cases, splits two others out as a new
theme (following the job's page to it) and links a case to an issue. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os

import pytest

from improvement.models import CaseTheme, CurationJob, IssueCaseLink, Theme, ThemeEvent
from improvement.themes import ml
from tests.dashboards.seed import dashboard_seed
from tests.dashboards.test_browser import (  # noqa: F401  (fixtures: chromium's arguments, the CSP watch)
    browser_context_args,
    browser_type_launch_args,
    log_in,
    no_content_security_policy_violations,
    screenshot,
    submit,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seed(transactional_db):
    # The first label of a process imports BERTopic (tens of seconds on a loaded machine); a worker pays it once at
    # its first task, so pay it here rather than inside the split's request and the browser's 30 s timeout.
    ml.label_keywords(texts=["warm up the labeller"])
    return dashboard_seed()


def _ticked_ids(page, count: int, *, skip: int = 0) -> list[int]:
    """Tick `count` case checkboxes of the list (after the first `skip`); returns their case ids."""
    boxes = page.locator("#case-list input[name=case_ids]")
    ids = []
    for index in range(skip, skip + count):
        box = boxes.nth(index)
        box.check()
        ids.append(int(box.get_attribute("value")))
    return ids


def test_lead_searches_moves_splits_out_and_links_cases(page, live_server, seed):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    refunds = Theme.objects.get(label="Refund not received after return")
    courier = Theme.objects.get(label="Courier was rude at the door")
    issue = seed.issue
    log_in(page, live_server, "lead")

    # Search every case for "refund" from the navigation.
    with page.expect_navigation():
        page.click("header nav >> text=Cases")
    page.fill("#case-search", "refund")
    submit(page, "#case-filters button[type=submit]")
    assert "search=refund" in page.url
    texts = page.locator("#case-list .case-text").all_inner_texts()
    assert len(texts) == 25 and all("refund" in text.lower() for text in texts)
    screenshot(page, "cases-search-refund")

    # Move three of them to another theme.
    moved = _ticked_ids(page, 3)
    page.select_option("#selection-form select[name=to]", str(courier.pk))
    submit(page, "#move-selected")
    assert "Moved 3 cases to “Courier was rude at the door”." in page.locator(".messages").inner_text()
    assert set(CaseTheme.objects.filter(case_id__in=moved).values_list("theme_id", "source")) == {
        (courier.pk, "manual")
    }
    screenshot(page, "cases-moved")

    # Split two others out of the refund theme, from its page, as a new theme.
    page.goto(f"{live_server.url}/themes/{refunds.pk}/")
    split = _ticked_ids(page, 2)
    page.fill("#selection-form input[name=label]", "Refund sent to an old card")
    submit(page, "#split-selected")
    job = CurationJob.objects.get()
    assert page.url == f"{live_server.url}/curation-jobs/{job.pk}/"
    assert page.locator("#curation-job-status").inner_text() == "Done"
    screenshot(page, "curation-job-done")
    submit(page, "#curation-job-result a")
    made = Theme.objects.get(label="Refund sent to an old card")
    assert page.url == f"{live_server.url}/themes/{made.pk}/"
    assert sorted(
        int(row.split("-")[1])
        for row in page.locator("#case-list tbody tr").evaluate_all("rows => rows.map(row => row.id)")
    ) == sorted(split)
    assert ThemeEvent.objects.filter(theme=refunds, kind="split", actor__username="lead").count() == 1
    screenshot(page, "theme-split-out")

    # Link one refund case to the issue as evidence; the issue's page lists it.
    page.goto(f"{live_server.url}/cases/?search=refund")
    linked = _ticked_ids(page, 1, skip=5)
    page.select_option("#selection-form select[name=issue]", str(issue.pk))
    submit(page, "#link-selected")
    assert page.url == f"{live_server.url}/issues/{issue.pk}/"
    assert page.locator(f"#linked-case-{linked[0]}").count() == 1
    assert list(IssueCaseLink.objects.values_list("case_id", flat=True)) == linked
    page.locator("#linked-cases").scroll_into_view_if_needed()
    screenshot(page, "issue-linked-cases")
    assert errors == []
