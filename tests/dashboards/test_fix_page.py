"""The fix page: its impact in plain words, its chart and history, and who may read it (tests/dashboards/seed.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards.selectors.fixes import fix_page_data, impact_in_plain_words, placebo_in_plain_words
from improvement.models import Department, FixImpact, FixTicket
from tests.dashboards.seed import dashboard_seed

END = dt.date(2026, 3, 1)


def impact(**fields) -> FixImpact:
    values = {
        "verdict": FixImpact.Verdict.WORKING,
        "is_provisional": False,
        "post_days_observed": 28,
        "pre_days_used": 180,
        "relative_effect": -0.21,
        "ci_low": -0.33,
        "ci_high": -0.09,
        "p_value": 0.004,
        "contacts_avoided": 412.4,
        "contacts_avoided_low": 175.0,
        "contacts_avoided_high": 648.6,
        **fields,
    }
    return FixImpact(**values)


# --- the plain-words sentence ----------------------------------------------------------------------------------


def test_a_working_fix_in_plain_words():
    assert impact_in_plain_words(impact=impact()) == (
        "Contacts fell about 21% (between 9% and 33%) in the 28 days after shipping. "
        "That is about 412 contacts avoided (between 175 and 649)."
    )


def test_a_fix_with_no_clear_effect_in_plain_words():
    sentence = impact_in_plain_words(
        impact=impact(verdict=FixImpact.Verdict.NO_CLEAR_EFFECT, relative_effect=-0.04, ci_low=-0.12, ci_high=0.05)
    )

    assert sentence == (
        "No clear effect: contacts stayed within what was expected without the fix in the 28 days after shipping "
        "(between 12% fewer and 5% more)."
    )


def test_a_fix_that_made_it_worse_in_plain_words():
    sentence = impact_in_plain_words(
        impact=impact(verdict=FixImpact.Verdict.WORSE, relative_effect=0.15, ci_low=0.04, ci_high=0.26)
    )

    assert sentence == (
        "Contacts rose about 15% (between 4% and 26%) in the 28 days after shipping, "
        "more than expected without the fix."
    )


def test_a_fix_that_made_it_worse_shows_the_contacts_added_not_avoided():
    sentence = impact_in_plain_words(
        impact=impact(
            verdict=FixImpact.Verdict.WORSE,
            relative_effect=0.15,
            ci_low=0.04,
            ci_high=0.26,
            contacts_avoided=-120.4,
            contacts_avoided_low=-208.0,
            contacts_avoided_high=-32.2,
        )
    )

    assert sentence == (
        "Contacts rose about 15% (between 4% and 26%) in the 28 days after shipping, "
        "more than expected without the fix. That is about 120 contacts added (between 32 and 208)."
    )


def test_an_inconclusive_fix_in_plain_words_names_the_placebo_result():
    sentence = impact_in_plain_words(
        impact=impact(
            verdict=FixImpact.Verdict.INCONCLUSIVE,
            relative_effect=-0.18,
            ci_low=-0.3,
            ci_high=-0.05,
            placebo_runs=4,
            placebo_found=3,
        )
    )

    assert sentence == (
        "Inconclusive: contacts are about 18% fewer than expected without the fix in the 28 days after shipping "
        "(between 30% fewer and 5% fewer), but this theme's history is too unsteady to tell a fix's effect from "
        "its own ups and downs: measured the same way at earlier dates, when nothing shipped, it found an effect "
        "3 times out of 4."
    )


def test_a_fix_measured_on_after_day_28_counts_towards_56_days():
    sentence = impact_in_plain_words(
        impact=impact(
            verdict=FixImpact.Verdict.NO_CLEAR_EFFECT,
            is_provisional=True,
            post_days_observed=40,
            relative_effect=-0.04,
            ci_low=-0.15,
            ci_high=0.08,
        )
    )

    assert sentence.endswith(" Provisional: 40 of 56 days counted so far.")


def test_the_placebo_check_in_plain_words():
    assert placebo_in_plain_words(impact=impact(placebo_runs=4, placebo_found=0)) == (
        "Measured the same way at 4 earlier dates, when nothing shipped, it found an effect no times."
    )
    assert placebo_in_plain_words(impact=impact(placebo_runs=4, placebo_found=1)) == (
        "Measured the same way at 4 earlier dates, when nothing shipped, it found an effect 1 time out of 4."
    )
    assert placebo_in_plain_words(impact=impact(placebo_runs=0)) == (
        "Not run: the history before shipping is too short to check the measurement against earlier dates."
    )


def test_a_fix_measured_too_early_in_plain_words():
    sentence = impact_in_plain_words(
        impact=impact(
            verdict=FixImpact.Verdict.TOO_EARLY,
            is_provisional=True,
            post_days_observed=9,
            relative_effect=-0.1,
            ci_low=-0.4,
            ci_high=0.2,
        )
    )

    assert sentence == (
        "Too early to tell: only 9 of 28 days after shipping are counted so far. "
        "Up to now contacts are about 10% fewer than expected without the fix (between 40% fewer and 20% more)."
    )


def test_a_provisional_working_verdict_says_how_many_days_are_counted():
    sentence = impact_in_plain_words(impact=impact(is_provisional=True, post_days_observed=1))

    assert sentence == (
        "Contacts fell about 21% (between 9% and 33%) in the 1 day after shipping. "
        "That is about 412 contacts avoided (between 175 and 649). Provisional: 1 of 28 days counted so far."
    )


def test_a_fix_not_measured_yet_in_plain_words():
    assert impact_in_plain_words(impact=None, reason="the fix has not shipped") == (
        "Not measured yet: the fix has not shipped."
    )
    assert impact_in_plain_words(impact=None) == "Not measured yet."


@pytest.mark.django_db
def test_fix_page_data_of_an_unshipped_fix_says_it_has_not_shipped(seed):
    data = fix_page_data(fix=seed.proposed_fix)

    assert data["impact"] is None
    assert data["series"] is None
    assert data["plain_words"] == "Not measured yet: the fix has not shipped."


@pytest.mark.django_db
def test_fix_page_data_of_a_shipped_fix_without_counts_after_shipping_gives_the_reason(seed):
    fix = FixTicket.objects.create(
        issue=seed.issue,
        department=Department.objects.get(slug="logistics"),
        description="Leave parcels with a neighbour.",
        status=FixTicket.Status.SHIPPED,
        shipped_on=END + dt.timedelta(days=5),
    )

    data = fix_page_data(fix=fix)

    assert data["impact"] is None
    assert data["plain_words"] == ("Not measured yet: no contacts counted on or after the ship date 2026-03-06 yet.")


# --- the page --------------------------------------------------------------------------------------------------


@pytest.fixture
def seed(db):
    return dashboard_seed(end=END)


def log_in(client, username: str) -> None:
    assert client.login(username=username, password="demo")


SEEDED_SENTENCE = (
    "Contacts fell about 50% (between 36% and 62%) in the 31 days after shipping. "
    "That is about 620 contacts avoided (between 450 and 760)."
)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["lead", "owner-logistics", "exec"])
def test_the_fix_page_shows_the_impact_in_plain_words_its_chart_and_history(client, seed, username):
    log_in(client, username)

    response = client.get(f"/fixes/{seed.shipped_fix.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert SEEDED_SENTENCE in page
    assert '<dd id="days-counted">31</dd>' in page
    assert page.count('class="plotly-graph-div"') == 1
    assert "p_value" not in page and "0.001" not in page
    assert "proposed → accepted" in page and "in progress → shipped" in page
    assert f'href="/issues/{seed.issue.pk}/"' in page


@pytest.mark.django_db
def test_the_fix_page_of_another_departments_fix_is_404_for_an_owner(client, seed):
    log_in(client, "owner-billing")

    assert client.get(f"/fixes/{seed.shipped_fix.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_fix_page_of_a_missing_fix_is_404(client, seed):
    log_in(client, "lead")

    assert client.get("/fixes/999999/").status_code == 404


@pytest.mark.django_db
def test_the_issue_page_links_each_fix_and_each_theme(client, seed):
    log_in(client, "lead")

    page = client.get(f"/issues/{seed.issue.pk}/").content.decode()

    assert f'<a href="/themes/{seed.themes[0].pk}/">{seed.themes[0].label}</a>' in page
    for fix in seed.issue.fixes.all():
        assert f'<a href="/fixes/{fix.pk}/">{fix.description}</a>' in page
    assert f'<a href="/fixes/{seed.shipped_fix.pk}/#impact">impact</a>' in page


@pytest.mark.django_db
def test_the_owner_queue_links_each_fix_to_its_page(client, seed):
    log_in(client, "owner-logistics")

    page = client.get("/dashboards/queue/").content.decode()

    for fix in FixTicket.objects.filter(department__slug="logistics").exclude(status="rejected"):
        assert f'<a href="/fixes/{fix.pk}/">{fix.description}</a>' in page
