"""Dashboard aggregates over the seeded counts, issues, fixes and impact (values from tests/dashboards/seed.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from dashboards.selectors.common import dashboard_filters_resolve
from dashboards.selectors.executive import executive_dashboard
from dashboards.selectors.lead import lead_theme_overview
from tests.dashboards.seed import dashboard_seed

pytestmark = pytest.mark.django_db

END = dt.date(2026, 3, 1)


@pytest.fixture
def seed(db):
    return dashboard_seed(end=END)


@pytest.fixture
def executive_user(seed):
    return get_user_model().objects.get(username="exec")


def test_filters_default_to_the_counted_days_up_to_180_ending_on_the_last_counted_day(seed):
    filters = dashboard_filters_resolve()

    # The seed counts 90 days: the window starts on the first of them, not 180 days back.
    assert (filters.start, filters.end) == (END - dt.timedelta(days=89), END)


def test_filters_default_to_180_days_when_more_are_counted(seed):
    filters = dashboard_filters_resolve(end=END + dt.timedelta(days=100))

    assert filters.start == END + dt.timedelta(days=100 - 179)


def test_executive_dashboard_totals_and_top_themes_by_volume(seed, executive_user):
    data = executive_dashboard(filters=dashboard_filters_resolve(), user=executive_user)

    assert data["total"]["sum"] == 4670
    assert len(data["dates"]) == 90 and data["dates"][-1] == "2026-03-01"
    assert [row["volume"] for row in data["top_themes_by_volume"]] == [1252, 1132, 884, 772, 412, 128]
    assert data["top_themes_by_volume"][0]["label"] == "Parcel marked delivered but never arrived"


def test_growth_ranks_rising_themes_first_and_leaves_out_themes_without_history(seed, executive_user):
    data = executive_dashboard(filters=dashboard_filters_resolve(), user=executive_user)

    growth = [(row["label"], row["previous"], row["recent"], row["growth"]) for row in data["top_themes_by_growth"]]
    assert growth[0] == ("Courier was rude at the door", 240, 352, 0.4667)
    assert growth[-1] == ("Parcel marked delivered but never arrived", 448, 240, -0.4643)
    assert "Gift card balance missing" not in [row[0] for row in growth]


def test_brand_and_channel_filters_narrow_the_volumes(seed, executive_user):
    filters = dashboard_filters_resolve(brand="globex", channel="email")

    data = executive_dashboard(filters=filters, user=executive_user)

    assert data["total"]["sum"] == 1145
    assert data["top_themes_by_volume"][0]["volume"] == 313


def test_theme_share_counts_add_up_to_all_contact(seed, executive_user):
    data = executive_dashboard(filters=dashboard_filters_resolve(), user=executive_user)

    share = data["theme_share"]
    assert [item["label"] for item in share["series"]][-2:] == ["Other themes", "Unassigned"]
    assert sum(sum(item["counts"]) for item in share["series"]) == 4670
    assert sum(share["series"][-1]["counts"]) == 90


def test_theme_lines_mark_each_shipped_fix_on_its_theme(seed, executive_user):
    data = executive_dashboard(filters=dashboard_filters_resolve(), user=executive_user)

    (line,) = data["theme_lines"]
    assert line["theme_id"] == seed.themes[0].pk
    assert [(fix["fix_id"], fix["shipped_on"]) for fix in line["fixes"]] == [(seed.shipped_fix.pk, "2026-01-30")]


def test_fix_impacts_and_contacts_avoided_with_intervals(seed, executive_user):
    data = executive_dashboard(filters=dashboard_filters_resolve(), user=executive_user)

    (impact,) = data["fix_impacts"]
    assert (impact["verdict"], impact["relative_effect"], impact["ci_low"], impact["ci_high"]) == (
        "working",
        -0.5,
        -0.62,
        -0.36,
    )
    assert len(impact["dates"]) == len(impact["counterfactual"]) == len(impact["low"]) == len(impact["high"]) == 31
    assert data["contacts_avoided"]["overall"] == {"estimate": 620.0, "low": 450.0, "high": 760.0}
    assert data["contacts_avoided"]["by_department"] == [
        {"department": "Logistics", "fix_count": 1, "estimate": 620.0, "low": 450.0, "high": 760.0}
    ]


def test_department_scorecard_counts_fixes_and_median_days_from_the_audit_trail(seed, executive_user):
    data = executive_dashboard(filters=dashboard_filters_resolve(), user=executive_user)

    rows = {row["department"]: row for row in data["department_scorecard"]}
    assert {key: rows["Logistics"][key] for key in ("proposed", "accepted", "rejected", "shipped", "working")} == {
        "proposed": 3,
        "accepted": 2,
        "rejected": 0,
        "shipped": 1,
        "working": 1,
    }
    assert rows["Logistics"]["median_days_raise_to_accept"] == 4.0
    assert rows["Logistics"]["median_days_accept_to_ship"] == 26.0
    assert rows["Billing"]["rejected"] == 1
    assert rows["Billing"]["median_days_raise_to_accept"] is None


def test_lead_overview_gives_volume_trend_badges_and_unassigned_share(seed):
    overview = lead_theme_overview(filters=dashboard_filters_resolve())

    rows = {row["theme"].label: row for row in overview["themes"]}
    assert (overview["total_volume"], overview["unassigned_volume"], overview["unassigned_share"]) == (1468, 28, 0.0191)
    courier = rows["Courier was rude at the door"]
    assert (courier["volume"], courier["previous"], courier["recent"], courier["trend"]) == (352, 60, 172, 1.8667)
    assert courier["is_spiking"] and not courier["is_new"]
    assert rows["Gift card balance missing"]["is_new"]
    assert len(courier["series"]) == 28
