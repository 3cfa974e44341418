"""The lead's themes table: sortable columns from a whitelist, a stated default order, headings naming the window."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards.selectors.common import dashboard_filters_resolve
from dashboards.selectors.lead import lead_theme_overview
from tests.dashboards.seed import dashboard_seed
from tests.improvement.workflow_factories import ThemeFactory

pytestmark = pytest.mark.django_db

END = dt.date(2026, 3, 1)
APP, CARD, COURIER, GIFT, PARCEL, REFUND = (
    "App login fails after update",
    "Card payment declined at checkout",
    "Courier was rude at the door",
    "Gift card balance missing",
    "Parcel marked delivered but never arrived",
    "Refund not received after return",
)


@pytest.fixture
def seed(db):
    return dashboard_seed(end=END)


def labels(overview) -> list[str]:
    return [row["theme"].label for row in overview["themes"]]


def log_in(client, username: str) -> None:
    assert client.login(username=username, password="demo")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-volume", [APP, COURIER, PARCEL, REFUND, CARD, GIFT]),
        ("volume", [CARD, GIFT, PARCEL, REFUND, APP, COURIER]),
        ("-trend", [COURIER, GIFT, PARCEL, REFUND, APP, CARD]),
        ("label", [APP, CARD, COURIER, GIFT, PARCEL, REFUND]),
        ("-label", [REFUND, PARCEL, GIFT, COURIER, CARD, APP]),
        ("-size", [PARCEL, APP, COURIER, REFUND, CARD, GIFT]),
        ("-recent", [COURIER, APP, GIFT, PARCEL, REFUND, CARD]),
    ],
)
def test_the_overview_sorts_by_a_whitelisted_column_ties_by_id(seed, sort, expected):
    assert labels(lead_theme_overview(filters=dashboard_filters_resolve(), sort=sort)) == expected


def test_a_theme_without_a_trend_comes_last_whichever_way_trend_is_sorted(seed):
    ThemeFactory(label="Quiet theme", size=5)
    filters = dashboard_filters_resolve()
    assert labels(lead_theme_overview(filters=filters, sort="-trend"))[-1] == "Quiet theme"
    assert labels(lead_theme_overview(filters=filters, sort="trend"))[-1] == "Quiet theme"


def test_an_unknown_sort_is_refused_by_the_selector(seed):
    with pytest.raises(ValueError, match="unknown sort 'keywords'"):
        lead_theme_overview(filters=dashboard_filters_resolve(), sort="keywords")


def test_a_chosen_start_makes_the_window_the_chosen_dates(seed):
    filters = dashboard_filters_resolve(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 14))
    overview = lead_theme_overview(filters=filters, chosen_start=True)
    assert (overview["window_start"], overview["window_end"]) == (dt.date(2026, 2, 1), dt.date(2026, 2, 14))
    assert [(row["theme"].label, row["volume"], len(row["series"])) for row in overview["themes"]] == [
        (APP, 176, 14),
        (PARCEL, 120, 14),
        (REFUND, 120, 14),
        (COURIER, 120, 14),
        (CARD, 64, 14),
        (GIFT, 0, 14),
    ]
    assert (overview["total_volume"], overview["unassigned_volume"]) == (614, 14)


def test_the_page_states_the_default_order_and_the_last_28_days_to_the_end_date(client, seed):
    log_in(client, "lead")
    response = client.get("/dashboards/themes/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sorted by contacts in the window, largest first." in page
    assert ">Last 28 days to 1 Mar 2026</a></th>" in page
    assert "Trend: the 7 days 23 Feb – 1 Mar 2026 against the 7 before." in page
    assert 'aria-sort="descending"><a href="?sort=volume">Last 28 days to 1 Mar 2026</a>' in page
    assert [row["theme"].label for row in response.context["overview"]["themes"]] == [
        APP,
        COURIER,
        PARCEL,
        REFUND,
        CARD,
        GIFT,
    ]


def test_the_page_names_a_chosen_september_range_and_sort_links_keep_it(client, seed):
    log_in(client, "lead")
    page = client.get("/dashboards/themes/?start=2025-09-01&end=2025-09-30&sort=label").content.decode()
    assert "Last 28 days" not in page
    assert ">1 Sep – 30 Sep 2025</a></th>" in page
    assert "Sorted by theme name, A to Z (" in page
    assert 'href="?start=2025-09-01&amp;end=2025-09-30&amp;sort=-label"' in page
    assert 'href="?start=2025-09-01&amp;end=2025-09-30&amp;sort=-volume"' in page
    assert '<input type="hidden" name="sort" value="label">' in page


@pytest.mark.parametrize("sort", ["keywords", "-", "volume;drop"])
def test_an_unknown_sort_answers_400_naming_it(client, seed, sort):
    log_in(client, "lead")
    response = client.get("/dashboards/themes/", {"sort": sort})
    assert response.status_code == 400
    assert response.context["problems"] == [
        f"sort: {sort!r} is not a column to sort by; choose one of volume, trend, recent, label, size, with - for "
        "descending."
    ]
    assert "overview" not in response.context


def test_the_filter_form_shows_the_window_the_table_shows_so_apply_keeps_the_numbers(client, seed):
    log_in(client, "lead")
    first = client.get("/dashboards/themes/")
    assert '<input type="date" name="start" value="2026-02-02">' in first.content.decode()
    again = client.get("/dashboards/themes/?start=2026-02-02&end=2026-03-01")
    assert ">2 Feb – 1 Mar 2026</a></th>" in again.content.decode()
    assert [(row["theme"].pk, row["volume"]) for row in again.context["overview"]["themes"]] == [
        (row["theme"].pk, row["volume"]) for row in first.context["overview"]["themes"]
    ]


def test_the_table_shows_each_themes_share_of_strongly_negative_cases(client, seed):
    from cases.models import Case
    from improvement.models import Theme

    parcel = Theme.objects.get(label=PARCEL)
    case_ids = sorted(Case.objects.filter(theme_link__theme=parcel).values_list("id", flat=True))
    Case.objects.filter(id__in=case_ids).update(negativity=0.0)
    Case.objects.filter(id__in=case_ids[: len(case_ids) // 2]).update(negativity=0.9)
    log_in(client, "lead")

    response = client.get("/dashboards/themes/")

    rows = {row["theme"].label: row["strongly_negative_share"] for row in response.context["overview"]["themes"]}
    expected = round((len(case_ids) // 2) / len(case_ids), 4)
    assert rows == {APP: None, CARD: None, COURIER: None, GIFT: None, PARCEL: expected, REFUND: None}
    page = response.content.decode()
    assert "Strongly<br>negative</th>" in page
    parcel_row = page[page.index(f'id="theme-{parcel.pk}"') :].split("</tr>")[0]
    assert f'<td class="number">{round(expected * 100)}%</td>' in parcel_row
