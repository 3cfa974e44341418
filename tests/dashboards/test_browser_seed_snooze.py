"""A lead in the browser seeds three themes from a pasted list, snoozes one, sees it leave the list, unsnoozes it.

Uses the browser fixtures of test_browser.py (Debian's chromium; no Content-Security-Policy violation allowed).
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os

import pytest

from cases.embedding import embedding_model
from improvement.models import Theme, ThemeEvent
from tests.dashboards.test_browser import (  # noqa: F401 - fixtures used by name
    browser_context_args,
    browser_type_launch_args,
    log_in,
    no_content_security_policy_violations,
    screenshot,
    seed,
    submit,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)

PASTED = "Lost parcel,Parcels that never arrived,where is my parcel|parcel missing\nRefund request\nRude driver\n"


def test_lead_seeds_three_themes_snoozes_one_and_brings_it_back(page, live_server, seed):  # noqa: F811
    # The live server runs in this process: the model loaded here is the one the seed request embeds with.
    embedding_model()
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/dashboards/themes/")
    with page.expect_navigation():
        page.click("#seed-themes-link")
    page.fill("#id_taxonomy", PASTED)
    screenshot(page, "seed-themes-form")
    submit(page, "#seed-form button[type=submit]")

    assert page.url == f"{live_server.url}/dashboards/themes/"
    assert "Seeded 3 themes" in page.inner_text("body")
    table = page.inner_text("#theme-table")
    assert all(label in table for label in ("Lost parcel", "Refund request", "Rude driver"))
    assert page.locator("#theme-table .badge", has_text="seeded").count() == 3
    screenshot(page, "seeded-themes-list")

    refund = Theme.objects.get(label="Refund request")
    page.click(f"#theme-{refund.pk} a")
    page.wait_for_load_state("load")
    page.check("#snooze-form input[value=escalation]")
    submit(page, "#snooze-form button[type=submit]")
    assert "Snoozed until it escalates." in page.inner_text("body")
    assert page.locator("#snoozed-badge").count() == 1
    screenshot(page, "theme-snoozed")

    page.goto(f"{live_server.url}/dashboards/themes/")
    assert page.locator(f"#theme-{refund.pk}").count() == 0
    assert page.inner_text("#snoozed-link") == "Snoozed themes (1)"
    submit(page, "#snoozed-link")
    assert page.locator(f"#theme-{refund.pk}").count() == 1
    screenshot(page, "snoozed-themes-list")

    page.click(f"#theme-{refund.pk} a")
    page.wait_for_load_state("load")
    submit(page, "#unsnooze-form button[type=submit]")
    assert "Back on the themes list." in page.inner_text("body")
    page.goto(f"{live_server.url}/dashboards/themes/")
    assert page.locator(f"#theme-{refund.pk}").count() == 1
    assert page.inner_text("#snoozed-link") == "Snoozed themes (0)"
    screenshot(page, "theme-unsnoozed-list")
    assert list(ThemeEvent.objects.filter(theme=refund).order_by("id").values_list("kind", "actor__username")) == [
        ("seeded", "lead"),
        ("snoozed", "lead"),
        ("unsnoozed", "lead"),
    ]
