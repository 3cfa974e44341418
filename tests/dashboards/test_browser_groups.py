"""Theme groups and suggested labels in a real browser: a lead groups two themes, renames the group, reads the
tree, moves a theme from its page and accepts a suggested name. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os

import pytest

from improvement.models import Theme, ThemeGroup
from tests.dashboards.seed import dashboard_seed
from tests.dashboards.test_browser import (  # noqa: F401  (fixtures: chromium's launch and context arguments)
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
    return dashboard_seed()


def test_lead_groups_two_themes_renames_the_group_and_reads_the_tree(page, live_server, seed):
    parcel, refund = seed.themes[0], seed.themes[1]
    log_in(page, live_server, "lead")

    page.fill("#group-create-form input[name=name]", "Orders")
    page.select_option("#group-create-form select[name=themes]", [str(parcel.pk), str(refund.pk)])
    submit(page, "#group-create-form button")
    group = ThemeGroup.objects.get()
    node = page.locator(f"#group-{group.pk}")
    assert node.locator(".group-name").inner_text() == "Orders"
    screenshot(page, "theme-groups-created")

    node.locator("input[name=name]").fill("Deliveries and refunds")
    submit(page, f"#group-{group.pk} .group-rename button")

    node = page.locator(f"#group-{group.pk}")
    assert node.locator(".group-name").inner_text() == "Deliveries and refunds"
    assert node.locator("details > ul > li a").all_inner_texts() == [parcel.label, refund.label]
    assert page.locator("#group-none details > ul > li a").count() == 4
    page.locator("#theme-groups").scroll_into_view_if_needed()
    screenshot(page, "theme-groups-tree")


def test_lead_moves_a_theme_into_a_group_and_accepts_a_suggested_name(page, live_server, seed):
    theme = seed.themes[2]
    group = ThemeGroup.objects.create(name="App and site")
    Theme.objects.filter(pk=theme.pk).update(suggested_label="App logs customers out after the update")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/themes/{theme.pk}/")

    page.select_option("#group-form select[name=group]", str(group.pk))
    submit(page, "#group-form button")
    assert page.locator("#theme-group").inner_text() == "App and site"
    screenshot(page, "theme-suggested-label")
    submit(page, "#accept-label-form button")

    assert page.locator("h1").inner_text() == "App logs customers out after the update"
    assert page.locator("#label-suggestion").count() == 0
    history = page.locator(".timeline li").all_inner_texts()
    assert [" ".join(item.split()[2:]) for item in history] == [
        f"Renamed “{theme.label}” → “App logs customers out after the update” by lead",
        "Moved into “App and site” by lead",
    ]
    screenshot(page, "theme-accepted-label")
