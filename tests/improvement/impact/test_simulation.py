from __future__ import annotations

import numpy as np
import pytest

from improvement.impact.simulation import simulate_series, simulate_short_history_series


def test_simulate_series_is_deterministic_for_a_seed_and_keeps_the_theme_within_the_total():
    first = simulate_series(generator=np.random.default_rng(1), daily_volume=40.0, effect=-0.3, pre_days=90)
    second = simulate_series(generator=np.random.default_rng(1), daily_volume=40.0, effect=-0.3, pre_days=90)

    assert first == second
    assert len(first.days) == 118
    assert first.ship_date == first.days[90]
    assert all(theme <= total for theme, total in zip(first.theme_counts, first.total_counts, strict=True))


def test_simulate_series_applies_the_effect_from_the_ship_date():
    before, after = [], []
    for seed in range(20):
        series = simulate_series(
            generator=np.random.default_rng(seed),
            daily_volume=200.0,
            effect=-0.5,
            scenario="steady",
            pre_days=84,
        )
        share = np.array(series.theme_counts) / np.array(series.total_counts)
        before.append(share[:84].mean())
        after.append(share[84:].mean())

    assert np.mean(after) / np.mean(before) == pytest.approx(0.5, abs=0.05)


def test_simulate_series_refuses_an_unknown_scenario():
    with pytest.raises(ValueError, match="unknown scenario 'holiday'"):
        simulate_series(
            generator=np.random.default_rng(1),
            daily_volume=10.0,
            effect=0.0,
            scenario="holiday",
        )


def test_simulate_series_records_what_it_drew_for_the_power_bound():
    steady = simulate_series(generator=np.random.default_rng(4), daily_volume=200.0, effect=0.0, scenario="steady")
    messy = simulate_series(generator=np.random.default_rng(4), daily_volume=200.0, effect=0.0, scenario="messy")

    assert steady.truth["has_trend"] is False
    assert steady.truth["slope"] == 0.0
    assert steady.truth["drift_step"] == 0.0
    assert steady.truth["burst_days"] == ()
    assert 0.3 <= steady.truth["theme_persistence"] <= 0.7
    assert 10.0 <= steady.truth["gamma_shape"] <= 50.0
    assert messy.truth["has_trend"] is True
    assert messy.truth["drift_step"] == 0.005
    assert messy.truth["other_noise_scale"] == 0.03
    # Burst days are where the theme or all contacts were multiplied: the theme's days there
    # run above its median day.
    burst_days = list(messy.truth["burst_days"])
    theme = np.asarray(messy.theme_counts, dtype=float)
    assert burst_days
    assert np.median(theme[burst_days]) > np.median(np.delete(theme, burst_days))


def test_simulate_short_history_series_has_fifty_six_days_before_the_ship_date():
    series = simulate_short_history_series(
        generator=np.random.default_rng(1), daily_volume=20.0, effect=-0.3, kind="ar1_bursts"
    )

    assert len(series.days) == 84
    assert series.ship_date == series.days[56]
    assert series.scenario == "ar1_bursts"
    assert all(theme <= total for theme, total in zip(series.theme_counts, series.total_counts, strict=True))


def test_simulate_short_history_series_grows_a_growing_share_by_about_forty_five_percent():
    ratios = []
    for seed in range(20):
        series = simulate_short_history_series(
            generator=np.random.default_rng(seed), daily_volume=200.0, effect=0.0, kind="growing_share"
        )
        share = np.array(series.theme_counts) / np.array(series.total_counts)
        ratios.append(share[-14:].mean() / share[:14].mean())

    # 14-day means sit 70 of the 83 days apart: 1.45 ** (70 / 83) = 1.37.
    assert np.mean(ratios) == pytest.approx(1.45 ** (70 / 83), abs=0.05)


def test_simulate_short_history_series_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown kind 'seasonal'"):
        simulate_short_history_series(
            generator=np.random.default_rng(1), daily_volume=10.0, effect=0.0, kind="seasonal"
        )
