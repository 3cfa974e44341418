"""The dashboards in a real browser (Debian's chromium, driven by Playwright against the live test server).

Each role logs in, opens its pages, and the plotly charts are checked to hold data; the lead raises an issue and
proposes a fix, the owner accepts and ships it. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from improvement.models import FixImpact, FixTicket, ImprovementIssue
from tests.dashboards.seed import dashboard_seed

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the ORM calls of the test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.django_db(transaction=True)

CHARTS_WITH_DATA = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
    plot => (plot.data || []).some(trace => trace.x && trace.x.length > 0))"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's chromium headless; skipped without it, except in CI (.ci/run installs it), where it fails."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


@pytest.fixture
def seed(transactional_db):
    return dashboard_seed()


@pytest.fixture(autouse=True)
def no_content_security_policy_violations(page):
    """Every browser test fails if the page logged a Content-Security-Policy violation (a blocked script, style,
    eval or handler shows up as a console error naming the policy)."""
    violations: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    yield violations
    assert violations == []


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("load")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def submit(page, selector: str) -> None:
    """Click a button that posts or gets a page and wait until the next page has loaded."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state("load")


def charts_with_data(page) -> list[bool]:
    """For each plotly chart on the page, once all are drawn, whether a trace holds data."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length"
        " === document.querySelectorAll('.plotly-graph-div').length"
    )
    return page.evaluate(CHARTS_WITH_DATA)


def test_executive_sees_every_chart_with_data(page, live_server, seed):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, "exec")

    assert page.url == f"{live_server.url}/dashboards/"
    charts = charts_with_data(page)
    screenshot(page, "executive")

    # Total volume, 6 + 5 sparklines, theme share, one theme line with its fix, one fix impact, contacts avoided.
    assert len(charts) == 1 + 6 + 5 + 1 + 1 + 1 + 1
    assert all(charts)
    assert page.locator("#scorecard").inner_text().count("Logistics") == 1
    assert errors == []
    # Every chart names its text alternative, and that text is on the page.
    described = page.eval_on_selector_all(
        ".plotly-graph-div",
        "divs => divs.map(div => document.getElementById(div.getAttribute('aria-describedby')).textContent.length)",
    )
    assert len(described) == len(charts) and all(length > 0 for length in described)


def test_executive_filters_by_brand_and_channel(page, live_server, seed):
    log_in(page, live_server, "exec")

    page.select_option("select[name=brand]", "globex")
    page.select_option("select[name=channel]", "email")
    submit(page, ".filters button[type=submit]")

    assert "brand=globex" in page.url and "channel=email" in page.url
    assert all(charts_with_data(page))
    screenshot(page, "executive-filtered")


def test_lead_sees_themes_with_badges_and_a_theme_page(page, live_server, seed):
    log_in(page, live_server, "lead")

    assert page.url == f"{live_server.url}/dashboards/themes/"
    charts = charts_with_data(page)
    assert len(charts) == 6 and all(charts)
    assert page.locator(f"#theme-{seed.themes[4].pk} .badge-spiking").count() == 1
    assert page.locator(f"#theme-{seed.themes[5].pk} .badge-new").count() == 1
    screenshot(page, "lead-themes")

    submit(page, f"text={seed.themes[0].label}")
    assert all(charts_with_data(page))
    page.fill("#rename-form input[name=label]", "Parcels delivered to the wrong door")
    submit(page, "#rename-form button")
    assert page.locator("h1").inner_text() == "Parcels delivered to the wrong door"
    screenshot(page, "theme-detail")


def test_lead_walks_from_the_issue_to_the_fix_page_and_reads_its_impact(page, live_server, seed):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/issues/{seed.issue.pk}/")

    submit(page, f"#fix-{seed.shipped_fix.pk} a[href='/fixes/{seed.shipped_fix.pk}/']")

    assert page.url == f"{live_server.url}/fixes/{seed.shipped_fix.pk}/"
    assert charts_with_data(page) == [True]
    assert page.locator("#plain-words").inner_text().startswith("Contacts fell about 50% (between 36% and 62%)")
    assert "in progress → shipped" in page.locator("#history").inner_text()
    screenshot(page, "fix-page-lead")
    submit(page, f".crumbs a[href='/issues/{seed.issue.pk}/']")
    submit(page, f"a[href='/themes/{seed.themes[0].pk}/']")
    assert page.url == f"{live_server.url}/themes/{seed.themes[0].pk}/"
    assert errors == []


def test_executive_opens_a_measured_fix_from_the_dashboard_list(page, live_server, seed):
    log_in(page, live_server, "exec")

    submit(page, f"#measured-fix-{seed.shipped_fix.pk} a[href='/fixes/{seed.shipped_fix.pk}/']")

    assert page.url == f"{live_server.url}/fixes/{seed.shipped_fix.pk}/"
    assert charts_with_data(page) == [True]
    screenshot(page, "fix-page-executive")


def test_lead_sorts_the_themes_by_name_and_searches_the_issues_list(page, live_server, seed):
    log_in(page, live_server, "lead")

    submit(page, "#theme-table thead a:text-is('Theme')")
    assert "sort=label" in page.url
    first_labels = page.locator("#theme-table tbody tr td:first-child a").all_inner_texts()
    assert first_labels == sorted(first_labels, key=str.casefold)
    assert page.locator("#theme-order").inner_text().startswith("Sorted by theme name, A to Z")
    assert all(charts_with_data(page))
    screenshot(page, "lead-themes-by-name")

    page.goto(f"{live_server.url}/issues/")
    page.fill("input[name=q]", "doorstep")
    page.select_option("select[name=status]", "fix_shipped")
    submit(page, ".filters button[type=submit]")
    assert "q=doorstep" in page.url and "status=fix_shipped" in page.url
    assert page.locator("table tbody tr td:nth-child(2)").all_inner_texts() == ["Doorstep deliveries go missing"]
    screenshot(page, "issue-list-searched")


def test_lead_raises_an_issue_and_the_owner_accepts_and_ships_its_fix(page, live_server, seed):
    theme = seed.themes[2]
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/themes/{theme.pk}/")
    submit(page, "text=Raise issue")
    page.fill("textarea[name=problem_statement]", "The app logs users out after every update.")
    screenshot(page, "raise-issue")
    submit(page, "form.card button[type=submit]")
    issue = ImprovementIssue.objects.get(themes=theme)
    assert page.url == f"{live_server.url}/issues/{issue.pk}/"

    page.select_option("select[name=department]", label="Logistics")
    page.fill("textarea[name=description]", "Keep the session token across updates.")
    submit(page, "text=Propose fix")
    fix = FixTicket.objects.get(issue=issue)
    submit(page, "button:has-text('Log out')")

    log_in(page, live_server, "owner-logistics")
    assert page.url == f"{live_server.url}/dashboards/queue/"
    submit(page, f"#fix-{fix.pk} button:has-text('Accept')")
    submit(page, f"#fix-{fix.pk} button:has-text('Start work')")
    submit(page, f"#fix-{fix.pk} button:has-text('Mark shipped')")
    fix.refresh_from_db()
    assert fix.status == FixTicket.Status.SHIPPED
    assert all(charts_with_data(page))
    screenshot(page, "owner-queue")


def test_lead_closes_an_issue_its_open_fix_is_cancelled_and_a_lead_reopens_it(page, live_server, transactional_db):
    from improvement.demo.seeding import demo_seed_people
    from improvement.models import Department
    from tests.improvement.workflow_factories import FixFactory, IssueFactory

    demo_seed_people()
    issue = IssueFactory(title="Parcels go missing")
    fix = FixFactory(issue=issue, department=Department.objects.get(slug="logistics"), status="proposed")
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/issues/{issue.pk}/")

    page.fill("#close-form input[name=note]", "solved upstream")
    submit(page, "#close-form button[type=submit]")
    assert page.inner_text(f"#fix-{fix.pk} .badge") == "Cancelled"
    assert page.locator(f"#fix-{fix.pk} .fix-actions form").count() == 0
    screenshot(page, "issue-closed")
    submit(page, "#reopen-form button[type=submit]")

    issue.refresh_from_db()
    assert (issue.status, page.inner_text(".lede .badge >> nth=0")) == ("reopened", "Reopened")


def test_the_admin_works_under_the_content_security_policy(
    page, live_server, seed, no_content_security_policy_violations
):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo")
    submit(page, "input[type=submit]")
    assert page.url == f"{live_server.url}/admin/"

    # The department form runs the admin's own scripts: the slug is prepopulated from the name, and the owners
    # field becomes the two-box chooser.
    page.goto(f"{live_server.url}/admin/improvement/department/add/")
    page.wait_for_load_state("load")
    page.locator("#id_name").press_sequentially("Returns Desk")
    assert page.input_value("#id_slug") == "returns-desk"
    assert page.locator("#id_owners_from").count() == 1
    submit(page, "input[name=_save]")

    assert page.url == f"{live_server.url}/admin/improvement/department/"
    assert "Returns Desk" in page.locator("#result_list").inner_text()
    assert no_content_security_policy_violations == []
    screenshot(page, "admin-department-added")


def test_on_a_phone_the_owner_reaches_accept_and_reject_in_the_fix_queue(page, live_server, seed):
    phone = {"width": 390, "height": 844}
    page.set_viewport_size(phone)
    log_in(page, live_server, "owner-logistics")
    assert page.url == f"{live_server.url}/dashboards/queue/"
    fix_row = f"#fix-{seed.proposed_fix.pk}"

    # Not scrolled into view: scrolling sideways would bring an off-screen button into the viewport. Vertically
    # the phone scrolls as usual, so only the horizontal extent must lie inside the 390 px.
    boxes = {
        label: page.locator(f"{fix_row} button:has-text('{label}')").bounding_box() for label in ("Accept", "Reject")
    }
    screenshot(page, "owner-queue-phone")

    assert page.evaluate("() => window.scrollX") == 0
    for label, box in boxes.items():
        assert box["x"] >= 0 and box["x"] + box["width"] <= phone["width"], (label, box)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= phone["width"]


def test_the_api_docs_draw_the_schema_under_the_content_security_policy(
    page, live_server, seed, no_content_security_policy_violations
):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, "lead")
    submit(page, "nav >> text=API docs")
    assert page.url == f"{live_server.url}/api/docs/"
    page.wait_for_selector(".swagger-ui .info .title")
    assert page.locator(".swagger-ui .info .title").first.inner_text().startswith("Fixloop API")
    # One block per documented operation: the schema's 49 (tests/config/test_authorization_sweep.py counts them).
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() == 49
    screenshot(page, "api-docs-swagger")

    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("redoc h1")
    assert page.locator("redoc h1").first.inner_text().startswith("Fixloop API")
    # The viewport only: ReDoc's whole page is some 33,000 px tall.
    page.screenshot(path=str(SCREENSHOTS / "api-docs-redoc.png"))
    assert errors == []
    # ReDoc asks Redocly's CDN for its logo and the policy refuses it: the one violation allowed, and only here.
    assert [text for text in no_content_security_policy_violations if "https://cdn.redoc.ly/" not in text] == []
    no_content_security_policy_violations.clear()


def test_a_refused_page_says_why_and_leads_home(page, live_server, seed):
    log_in(page, live_server, "owner-logistics")

    response = page.goto(f"{live_server.url}/dashboards/")

    assert response.status == 403
    assert page.locator("p.reason").inner_text() == "The executive dashboard is for executives."
    screenshot(page, "error-403")
    submit(page, "text=Go to the home page")
    assert page.url == f"{live_server.url}/dashboards/queue/"


def test_lead_reads_the_issue_impact_with_every_fix_marked(page, live_server, seed):
    # A second fix on the same theme, shipped a week after the first: the issue's chart marks both.
    second = FixTicket.objects.create(
        issue=seed.issue,
        department=seed.shipped_fix.department,
        description="Leave parcels with a neighbour only when asked.",
        status=FixTicket.Status.SHIPPED,
        shipped_on=seed.shipped_fix.shipped_on + dt.timedelta(days=7),
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/issues/{seed.issue.pk}/")

    assert charts_with_data(page) == [True]
    words = page.locator("#combined-impact").inner_text()
    assert words.startswith("All shipped fixes together: Contacts ")
    assert "after the first fix shipped" in words and "p-value" not in page.content()
    marks = page.evaluate(
        "() => document.querySelector('#issue-impact .js-plotly-plot').layout.annotations.map(note => note.text)"
    )
    assert marks == [
        f"Fix #{seed.shipped_fix.pk} shipped",
        f"Fix #{second.pk} shipped",
    ]
    page.locator("#issue-impact").screenshot(path=str(SCREENSHOTS / "issue-impact.png"))
    screenshot(page, "issue-page")
    assert errors == []


def test_executive_sees_contacts_added_in_red_not_green(page, live_server, seed):
    FixImpact.objects.filter(fix=seed.shipped_fix).update(
        verdict=FixImpact.Verdict.WORSE,
        relative_effect=0.12,
        ci_low=0.02,
        ci_high=0.3,
        contacts_avoided=-100.0,
        contacts_avoided_low=-250.0,
        contacts_avoided_high=-20.0,
    )
    log_in(page, live_server, "exec")

    charts_with_data(page)
    overall = page.locator("#avoided-overall .contacts-added")
    assert overall.inner_text() == "100 contacts added (20 to 250)"
    assert overall.evaluate("node => getComputedStyle(node).color") == "rgb(153, 27, 27)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#contacts-avoided").screenshot(path=str(SCREENSHOTS / "executive-contacts-added.png"))
