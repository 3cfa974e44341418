from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case
from improvement.models import CaseTheme, DailyThemeVolume, DailyTotalVolume, Theme
from improvement.volumes.selectors import volume_date_range, volume_theme_series, volume_total_series
from improvement.volumes.services import daily_volumes_refresh, daily_volumes_refresh_for_cases

pytestmark = pytest.mark.django_db


def _case(external_id: str, received_at: str, *, brand: str = "Skyway", channel: str = "twitter") -> Case:
    return Case.objects.create(
        channel=channel,
        external_id=external_id,
        brand=brand,
        text="my bag never arrived",
        received_at=dt.datetime.fromisoformat(received_at),
    )


@pytest.fixture
def luggage_theme() -> Theme:
    return Theme.objects.create(label="lost bag luggage")


def test_refresh_counts_cases_per_local_day_brand_and_channel(settings, luggage_theme):
    settings.TIME_ZONE = "America/New_York"
    # 03:00 UTC on the 2nd is still the 1st in New York.
    first = _case("1", "2026-03-02T03:00:00+00:00")
    _case("2", "2026-03-02T15:00:00+00:00")
    _case("3", "2026-03-02T16:00:00+00:00", channel="chat")
    CaseTheme.objects.create(case=first, theme=luggage_theme, source=CaseTheme.Source.FIT)

    written = daily_volumes_refresh()

    assert written == 4
    assert list(DailyTotalVolume.objects.values_list("day", "channel", "count")) == [
        (dt.date(2026, 3, 1), "twitter", 1),
        (dt.date(2026, 3, 2), "chat", 1),
        (dt.date(2026, 3, 2), "twitter", 1),
    ]
    assert list(DailyThemeVolume.objects.values_list("day", "theme_id", "count")) == [
        (dt.date(2026, 3, 1), luggage_theme.id, 1),
    ]


def test_refresh_for_cases_recounts_only_their_days_and_is_safe_to_repeat(luggage_theme):
    _case("1", "2026-03-01T10:00:00+00:00")
    daily_volumes_refresh()
    later = _case("2", "2026-03-03T10:00:00+00:00")
    CaseTheme.objects.create(case=later, theme=luggage_theme, source=CaseTheme.Source.INCREMENTAL)

    daily_volumes_refresh_for_cases(case_ids=[later.id])
    daily_volumes_refresh_for_cases(case_ids=[later.id])

    assert list(DailyTotalVolume.objects.values_list("day", "count")) == [
        (dt.date(2026, 3, 1), 1),
        (dt.date(2026, 3, 3), 1),
    ]
    assert list(DailyThemeVolume.objects.values_list("day", "count")) == [(dt.date(2026, 3, 3), 1)]


def test_series_fill_empty_days_with_zero_and_filter_by_brand(luggage_theme):
    for number, (day, brand) in enumerate([("01", "Skyway"), ("01", "Parcelly"), ("03", "Skyway")]):
        case = _case(str(number), f"2026-03-{day}T10:00:00+00:00", brand=brand)
        CaseTheme.objects.create(case=case, theme=luggage_theme, source=CaseTheme.Source.FIT)
    daily_volumes_refresh()

    total = volume_total_series(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 4))
    skyway = volume_theme_series(
        theme_ids=[luggage_theme.id], start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 3), brand="Skyway"
    )

    assert total == [
        (dt.date(2026, 3, 1), 2),
        (dt.date(2026, 3, 2), 0),
        (dt.date(2026, 3, 3), 1),
        (dt.date(2026, 3, 4), 0),
    ]
    assert skyway == [(dt.date(2026, 3, 1), 1), (dt.date(2026, 3, 2), 0), (dt.date(2026, 3, 3), 1)]
    assert volume_date_range() == (dt.date(2026, 3, 1), dt.date(2026, 3, 3))


def test_refresh_without_cases_writes_nothing():
    assert daily_volumes_refresh() == 0
    assert volume_date_range() is None
