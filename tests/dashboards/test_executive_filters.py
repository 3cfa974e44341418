"""The executive page's measured fixes (all of them, paginated) and its filters reaching contacts avoided, the
department bars and the CSV exports, each figure captioned (values from tests/dashboards/seed.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model

from dashboards.selectors.common import dashboard_filters_resolve
from dashboards.selectors.executive import executive_dashboard, executive_filter_captions
from improvement.models import Department, FixImpact, FixTicket
from tests.dashboards.seed import SHIPPED_DAYS_AGO, dashboard_seed

pytestmark = pytest.mark.django_db

END = dt.date(2026, 3, 1)
SHIPPED_ON = END - dt.timedelta(days=SHIPPED_DAYS_AGO)


@pytest.fixture
def seed(db):
    return dashboard_seed(end=END)


@pytest.fixture
def executive_user(seed):
    return get_user_model().objects.get(username="exec")


def log_in(client, username: str) -> None:
    assert client.login(username=username, password="demo")


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def measured_copies(seed, count: int) -> list[FixTicket]:
    """`count` more working fixes of Logistics, shipped on the seeded fix's day, each with its impact copied."""
    source = FixImpact.objects.get(fix=seed.shipped_fix)
    fixes = []
    for number in range(count):
        fix = FixTicket.objects.create(
            issue=seed.issue,
            department=Department.objects.get(slug="logistics"),
            description=f"Copy {number}",
            status=FixTicket.Status.WORKING,
            shipped_on=SHIPPED_ON,
        )
        source.pk, source.id, source.fix = None, None, fix
        source.save()
        fixes.append(fix)
    return fixes


def test_every_measured_fix_is_listed_20_a_page_newest_first(seed, executive_user):
    copies = measured_copies(seed, 24)
    filters = dashboard_filters_resolve()

    first = executive_dashboard(filters=filters, user=executive_user)
    second = executive_dashboard(filters=filters, user=executive_user, fixes_page=2)
    beyond = executive_dashboard(filters=filters, user=executive_user, fixes_page=9)

    assert first["fix_impact_pages"] == {"page": 1, "pages": 2, "per_page": 20, "count": 25}
    # Same ship day for all: newest first means the highest id first.
    assert [row["fix_id"] for row in first["fix_impacts"]] == [fix.pk for fix in reversed(copies)][:20]
    assert [row["fix_id"] for row in second["fix_impacts"]] == [
        *[fix.pk for fix in reversed(copies)][20:],
        seed.shipped_fix.pk,
    ]
    assert beyond["fix_impact_pages"]["page"] == 2
    assert first["contacts_avoided"]["fix_count"] == 25
    assert first["contacts_avoided"]["overall"]["estimate"] == 620.0 * 25


def test_the_period_decides_which_fixes_count_towards_contacts_avoided(seed, executive_user):
    after_the_ship_day = dashboard_filters_resolve(start=SHIPPED_ON + dt.timedelta(days=1), end=END)
    including_it = dashboard_filters_resolve(start=SHIPPED_ON, end=END)

    excluded = executive_dashboard(filters=after_the_ship_day, user=executive_user)
    included = executive_dashboard(filters=including_it, user=executive_user)

    assert excluded["fix_impacts"] == []
    assert excluded["contacts_avoided"] == {
        "overall": {"estimate": 0, "low": 0.0, "high": 0.0},
        "fix_count": 0,
        "by_department": [],
    }
    assert [row["fix_id"] for row in included["fix_impacts"]] == [seed.shipped_fix.pk]
    assert included["contacts_avoided"]["overall"] == {"estimate": 620.0, "low": 450.0, "high": 760.0}


def test_brand_and_channel_scale_contacts_avoided_and_the_department_bars_to_their_share(seed, executive_user):
    # The seeded theme's contacts are split evenly over 2 brands x 2 channels: acme by email holds a quarter.
    filters = dashboard_filters_resolve(brand="acme", channel="email")

    data = executive_dashboard(filters=filters, user=executive_user)

    assert data["contacts_avoided"]["overall"] == {"estimate": 155.0, "low": 112.5, "high": 190.0}
    assert data["contacts_avoided"]["by_department"] == [
        {"department": "Logistics", "fix_count": 1, "estimate": 155.0, "low": 112.5, "high": 190.0}
    ]
    (row,) = data["fix_impacts"]
    assert row["filter_share"] == 0.25
    assert row["contacts_avoided"] == 620.0


def test_captions_name_the_filters_each_figure_honours():
    filters = dashboard_filters_resolve(start=dt.date(2025, 9, 3), end=END, brand="acme", channel="email")

    assert executive_filter_captions(filters=filters) == {
        "volumes": "Contacts received 3 Sep 2025 – 1 Mar 2026; brand acme, channel email.",
        "fixes": "Fixes shipped 3 Sep 2025 – 1 Mar 2026; brand acme, channel email: each fix's contacts avoided is "
        "scaled to that share of its themes' contacts after shipping (impact is measured on all brands and channels "
        "together).",
        "all_time": "All time; the page's filters do not apply.",
    }
    assert executive_filter_captions(filters=dashboard_filters_resolve(start=dt.date(2026, 1, 1), end=END))[
        "fixes"
    ] == ("Fixes shipped 1 Jan 2026 – 1 Mar 2026; all brands and channels.")


def test_the_page_lists_measured_fixes_with_links_captions_and_filtered_export_links(client, seed):
    log_in(client, "exec")

    response = client.get("/dashboards/?start=2026-01-01&end=2026-03-01&brand=acme")

    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="/fixes/{seed.shipped_fix.pk}/">Fix #{seed.shipped_fix.pk}</a>' in page
    assert "Measured fixes (1)" in page
    query = "start=2026-01-01&amp;end=2026-03-01&amp;brand=acme"
    for name in ("themes", "issues", "fixes"):
        assert f'href="/dashboards/export/{name}.csv?{query}"' in page
    assert page.count("Contacts received 1 Jan 2026 – 1 Mar 2026; brand acme.") == 5
    assert page.count("Fixes shipped 1 Jan 2026 – 1 Mar 2026; brand acme: each fix") == 4
    assert '<p class="muted small caption" id="caption-scorecard">All time; the page' in page
    # 310 = 620 avoided by the fix, times acme's half of its theme's contacts.
    assert '<dd><span class="contacts-avoided">310 contacts avoided (225 to 380)</span></dd>' in page


def test_the_page_paginates_measured_fixes_keeping_the_filters(client, seed):
    measured_copies(seed, 20)
    log_in(client, "exec")

    first = client.get("/dashboards/?brand=acme").content.decode()
    second = client.get("/dashboards/?brand=acme&fixes_page=2").content.decode()

    assert first.count('<tr id="measured-fix-') == 20
    assert "Page 1 of 2" in first
    assert 'fixes_page=2#fix-impacts">older →</a>' in first
    assert second.count('<tr id="measured-fix-') == 1
    assert f'<tr id="measured-fix-{seed.shipped_fix.pk}">' in second


@pytest.mark.parametrize("value", ["abc", "0", "-1"])
def test_a_bad_fixes_page_answers_400_naming_it(client, seed, value):
    log_in(client, "exec")

    page = client.get(f"/dashboards/?fixes_page={value}")
    api = client.get(f"/api/dashboard/executive/?fixes_page={value}")

    assert page.status_code == 400
    assert f"fixes_page: &#x27;{value}&#x27; is not a page number (1 or more)." in page.content.decode()
    assert api.status_code == 400
    assert f"fixes_page: '{value}' is not a page number (1 or more)." in api.content.decode()


def test_fixes_csv_honours_the_period_brand_and_channel(client, seed):
    log_in(client, "exec")

    everything = csv_rows(client.get("/dashboards/export/fixes.csv"))
    filtered = csv_rows(
        client.get(f"/dashboards/export/fixes.csv?start={SHIPPED_ON}&end={END}&brand=acme&channel=email")
    )
    later = csv_rows(client.get(f"/dashboards/export/fixes.csv?start={SHIPPED_ON + dt.timedelta(days=1)}&end={END}"))

    assert len(everything) == 1 + 4 and "filter_share" not in everything[0]
    header = filtered[0]
    assert header[-4:] == [
        "filter_share",
        "contacts_avoided_in_filter",
        "contacts_avoided_in_filter_low",
        "contacts_avoided_in_filter_high",
    ]
    # The seeded fixes were created today (2026 onwards, after END): only the shipped one is in the period.
    (shipped,) = filtered[1:]
    assert shipped[header.index("fix_id")] == str(seed.shipped_fix.pk)
    assert shipped[-4:] == ["0.25", "155.0", "112.5", "190.0"]
    assert later[1:] == []


def test_themes_and_issues_csv_honour_the_filters(client, seed):
    log_in(client, "exec")

    themes = csv_rows(client.get(f"/dashboards/export/themes.csv?start={END}&end={END}&brand=acme&channel=email"))
    issues_in = csv_rows(client.get(f"/dashboards/export/issues.csv?start={END - dt.timedelta(days=60)}&end={END}"))
    issues_out = csv_rows(client.get(f"/dashboards/export/issues.csv?start={END - dt.timedelta(days=59)}&end={END}"))

    assert themes[0][-1] == "contacts_in_filter"
    by_label = {row[1]: int(row[-1]) for row in themes[1:]}
    # On the end day each theme has 1 + (index % 3) cases per brand and channel, +1 on every 7th day back (day 0).
    assert by_label == {
        "Parcel marked delivered but never arrived": 1 + 0 + 1 + 1,
        "Refund not received after return": 1 + 1 + 1,
        "App login fails after update": 1 + 2 + 1,
        "Card payment declined at checkout": 1 + 0 + 1,
        "Courier was rude at the door": 1 + 1 + 1 + 4,
        "Gift card balance missing": 1 + 2 + 1,
    }
    assert [row[0] for row in issues_in[1:]] == [str(seed.issue.pk)]
    assert issues_out[1:] == []


def test_an_export_with_a_bad_filter_answers_400_naming_it(client, seed):
    log_in(client, "exec")

    response = client.get("/dashboards/export/fixes.csv?start=2026-03-02&end=2026-03-01")

    assert response.status_code == 400
    assert response.content.decode() == "Not exported: The start date 2026-03-02 is after the end date 2026-03-01."


def test_contacts_avoided_sums_joint_draws_shared_on_a_theme_and_independent_across_themes(seed, executive_user):
    # Two fixes on the seeded theme (620, 450 to 760 each) and one of Billing on another theme that added contacts.
    (same_theme,) = measured_copies(seed, 1)
    (other_theme,) = measured_copies(seed, 1)
    other_theme.department = Department.objects.exclude(slug="logistics").order_by("name").first()
    other_theme.save(update_fields=["department"])
    FixImpact.objects.filter(fix=other_theme).update(
        theme_ids=[seed.themes[1].pk],
        relative_effect=0.2,
        contacts_avoided=-100.0,
        contacts_avoided_low=-250.0,
        contacts_avoided_high=50.0,
    )

    data = executive_dashboard(filters=dashboard_filters_resolve(), user=executive_user)

    avoided = data["contacts_avoided"]
    by_department = {row["department"]: row for row in avoided["by_department"]}
    # One theme's fixes err together: their interval ends add up.
    assert by_department["Logistics"] == {
        "department": "Logistics",
        "fix_count": 2,
        "estimate": 1240.0,
        "low": 900.0,
        "high": 1520.0,
    }
    assert {key: by_department[other_theme.department.name][key] for key in ("estimate", "low", "high")} == {
        "estimate": -100.0,
        "low": -250.0,
        "high": 50.0,
    }
    # Across independent themes the ends do not add up (that would be 650 to 1570).
    assert avoided["fix_count"] == 3
    assert avoided["overall"] == {"estimate": 1133.4, "low": 771.0, "high": 1464.1}
