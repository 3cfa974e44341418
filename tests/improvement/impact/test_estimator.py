from __future__ import annotations

import datetime

import numpy as np
import pytest

from improvement.impact.estimator import estimate_impact
from improvement.impact.simulation import simulate_series

START = datetime.date(2025, 3, 3)


def _days(count: int) -> list[datetime.date]:
    return [START + datetime.timedelta(days=offset) for offset in range(count)]


def _poisson_series(*, theme_mean: np.ndarray, other_mean: np.ndarray, seed: int) -> tuple[list[int], list[int]]:
    generator = np.random.default_rng(seed)
    theme = generator.poisson(theme_mean)
    other = generator.poisson(other_mean)
    return [int(value) for value in theme], [int(value) for value in theme + other]


def _weekday_rhythm(days: list[datetime.date]) -> np.ndarray:
    return np.array([[1.2, 1.1, 1.05, 1.0, 1.0, 0.8, 0.75][day.weekday()] for day in days])


def test_estimate_impact_recovers_a_forty_percent_drop_and_calls_it_working():
    series = simulate_series(
        generator=np.random.default_rng(11),
        daily_volume=100.0,
        effect=-0.4,
        scenario="messy",
        pre_days=120,
    )

    result = estimate_impact(
        days=series.days,
        theme_counts=series.theme_counts,
        total_counts=series.total_counts,
        ship_date=series.ship_date,
    )

    assert result.verdict == "working"
    assert result.ci_low <= -0.4 <= result.ci_high
    assert result.relative_effect == pytest.approx(-0.4, abs=0.1)
    assert result.post_days_observed == 28
    assert result.is_provisional is False
    assert len(result.counterfactual) == 28
    assert len(result.counterfactual_low) == 28
    assert result.post_dates[0] == series.ship_date
    assert result.contacts_avoided_low <= result.contacts_avoided <= result.contacts_avoided_high
    assert result.contacts_avoided > 0
    assert result.p_value < 0.05


def test_estimate_impact_does_not_call_worse_when_all_contacts_double_for_a_week():
    days = _days(148)
    rhythm = _weekday_rhythm(days)
    busy = np.ones(148)
    busy[130:137] = 2.0
    theme, total = _poisson_series(theme_mean=40.0 * rhythm * busy, other_mean=800.0 * rhythm * busy, seed=3)

    result = estimate_impact(days=days, theme_counts=theme, total_counts=total, ship_date=days[120])

    assert result.verdict == "no_clear_effect"
    assert result.relative_effect == pytest.approx(0.0, abs=0.1)


def test_estimate_impact_continues_a_pre_fix_growth_so_a_stopped_growth_is_not_worse():
    days = _days(148)
    rhythm = _weekday_rhythm(days)
    growth = np.exp(0.01 * np.minimum(np.arange(148), 120) - 1.2)
    theme, total = _poisson_series(theme_mean=60.0 * rhythm * growth, other_mean=900.0 * rhythm, seed=5)

    result = estimate_impact(days=days, theme_counts=theme, total_counts=total, ship_date=days[120])

    assert result.verdict in ("working", "no_clear_effect")
    assert result.relative_effect < 0
    assert result.counterfactual[-1] > result.counterfactual[0]


def test_estimate_impact_is_too_early_with_five_post_days():
    series = simulate_series(
        generator=np.random.default_rng(2),
        daily_volume=50.0,
        effect=-0.3,
        scenario="steady",
        pre_days=100,
    )

    result = estimate_impact(
        days=series.days[:105],
        theme_counts=series.theme_counts[:105],
        total_counts=series.total_counts[:105],
        ship_date=series.ship_date,
    )

    assert result.verdict == "too_early"
    assert result.post_days_observed == 5
    assert result.is_provisional is True
    assert len(result.counterfactual) == 5


def test_estimate_impact_marks_fourteen_post_days_provisional_but_estimates():
    series = simulate_series(
        generator=np.random.default_rng(4),
        daily_volume=200.0,
        effect=-0.6,
        scenario="steady",
        pre_days=100,
    )

    result = estimate_impact(
        days=series.days[:114],
        theme_counts=series.theme_counts[:114],
        total_counts=series.total_counts[:114],
        ship_date=series.ship_date,
    )

    assert result.is_provisional is True
    assert result.post_days_observed == 14
    assert result.verdict == "working"


def test_estimate_impact_is_too_early_on_too_little_volume():
    days = _days(130)
    theme, total = _poisson_series(theme_mean=np.full(130, 0.3), other_mean=np.full(130, 300.0), seed=8)

    result = estimate_impact(days=days, theme_counts=theme, total_counts=total, ship_date=days[100])

    assert result.verdict == "too_early"
    assert result.post_days_observed == 28
    assert result.is_provisional is False


def test_estimate_impact_uses_only_post_days_after_the_ship_date():
    series = simulate_series(
        generator=np.random.default_rng(6),
        daily_volume=30.0,
        effect=0.0,
        scenario="steady",
        post_days=40,
    )

    result = estimate_impact(
        days=series.days,
        theme_counts=series.theme_counts,
        total_counts=series.total_counts,
        ship_date=series.ship_date,
        post_days=28,
    )

    assert result.post_days_observed == 28
    assert result.actual_total == sum(series.theme_counts[120:148])


def test_estimate_impact_does_not_call_an_outage_after_the_ship_date_worse():
    days = _days(148)
    rhythm = _weekday_rhythm(days)
    outage = np.ones(148)
    outage[130:133] = 4.0
    theme, total = _poisson_series(theme_mean=50.0 * rhythm * outage, other_mean=900.0 * rhythm, seed=12)

    result = estimate_impact(days=days, theme_counts=theme, total_counts=total, ship_date=days[120])

    assert result.verdict == "no_clear_effect"
    assert result.relative_effect == pytest.approx(0.0, abs=0.1)


def test_estimate_impact_is_too_early_when_a_theme_had_a_single_burst_and_nothing_else():
    days = _days(60)
    theme = [0] * 60
    theme[10] = 5

    result = estimate_impact(days=days, theme_counts=theme, total_counts=[100] * 60, ship_date=days[40])

    assert result.verdict == "too_early"
    assert result.post_days_observed == 20


def _valid_inputs() -> dict:
    days = _days(60)
    return {
        "days": days,
        "theme_counts": [5] * 60,
        "total_counts": [50] * 60,
        "ship_date": days[40],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"theme_counts": [5] * 59}, "same length"),
        ({"days": _days(30) + _days(30)}, "consecutive"),
        ({"theme_counts": [5] * 59 + [-1]}, "negative"),
        ({"theme_counts": [60] + [5] * 59}, "must not exceed total_counts"),
        ({"ship_date": START + datetime.timedelta(days=60)}, "outside days"),
        ({"ship_date": START - datetime.timedelta(days=1)}, "outside days"),
        ({"ship_date": START + datetime.timedelta(days=20)}, "too few pre days"),
        ({"theme_counts": [0] * 60}, "no contacts before ship_date"),
        ({"post_days": 0}, "post_days must be at least 1"),
    ],
)
def test_estimate_impact_refuses_bad_input_naming_the_problem(change, message):
    inputs = {**_valid_inputs(), **change}

    with pytest.raises(ValueError, match=message):
        estimate_impact(**inputs)
