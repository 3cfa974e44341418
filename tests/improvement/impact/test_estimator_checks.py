"""The estimator's placebo check, its share of the error budget per look, and several fixes on one theme."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
import statsmodels.api as sm

from improvement.impact.estimator import estimate_impact
from improvement.impact.estimator.fitting import _design_matrix, _poisson_fit
from improvement.impact.estimator.looks import (
    ERROR_BUDGET,
    PROVISIONAL_TAIL,
    WORKING_EXTENDED_FINAL_TAIL,
    WORKING_FIXED_HORIZON_TAIL,
    WORSE_BUDGET_SPENT,
    WORSE_EXTENDED_FINAL_TAIL,
    WORSE_FIXED_HORIZON_TAIL,
    LookTails,
    false_call_chance_across_looks,
    level_percent,
    look_schedule,
    look_tails,
    union_bound,
)
from improvement.impact.estimator.placebo import _placebo_windows
from improvement.impact.simulation import simulate_short_history_series

START = datetime.date(2025, 3, 3)


def _days(count: int) -> list[datetime.date]:
    return [START + datetime.timedelta(days=offset) for offset in range(count)]


def _counts(*, theme_mean: np.ndarray, other_mean: np.ndarray, seed: int) -> tuple[list[int], list[int]]:
    generator = np.random.default_rng(seed)
    theme = generator.poisson(theme_mean)
    other = generator.poisson(other_mean)
    return [int(value) for value in theme], [int(value) for value in theme + other]


def test_placebo_windows_on_eight_weeks_of_history_are_cut_at_the_ship_date():
    assert _placebo_windows(ship_index=56, window_length=28, earlier_indices=()) == [
        (28, 56),
        (35, 56),
        (42, 56),
        (49, 56),
    ]


def test_placebo_windows_on_sixteen_weeks_of_history_are_whole_and_skip_an_earlier_fix():
    assert _placebo_windows(ship_index=112, window_length=28, earlier_indices=()) == [
        (84, 112),
        (77, 105),
        (70, 98),
        (63, 91),
    ]
    assert _placebo_windows(ship_index=112, window_length=28, earlier_indices=(80,)) == [
        (84, 112),
        (49, 77),
        (42, 70),
        (35, 63),
    ]


def test_estimate_impact_reports_its_placebo_check_on_a_steady_theme():
    series = simulate_short_history_series(
        generator=np.random.default_rng(2), daily_volume=100.0, effect=-0.3, kind="steady"
    )

    result = estimate_impact(
        days=series.days, theme_counts=series.theme_counts, total_counts=series.total_counts, ship_date=series.ship_date
    )

    assert result.placebo_runs == 4
    assert result.placebo_found == 0
    assert result.verdict == "working"
    assert result.verdict_reason == ""


def test_estimate_impact_is_inconclusive_when_placebos_find_effects_in_an_unsteady_history():
    # The theme's share jumped by 80% sixteen days before the ship date: the placebo dates around the jump
    # "find" effects, so the history cannot tell a fix's effect from its own shifts.
    days = _days(84)
    theme, total = _counts(
        theme_mean=np.where(np.arange(84) >= 40, 108.0, 60.0), other_mean=np.full(84, 1500.0), seed=0
    )

    result = estimate_impact(days=days, theme_counts=theme, total_counts=total, ship_date=days[56])

    assert result.verdict == "inconclusive"
    assert (result.placebo_runs, result.placebo_found) == (4, 4)
    assert result.verdict_reason.startswith("4 of 4 placebo checks (the same estimate at fake ship dates")


def test_estimate_impact_without_placebos_reports_none_run():
    series = simulate_short_history_series(generator=np.random.default_rng(3), daily_volume=100.0, effect=0.0)

    result = estimate_impact(
        days=series.days,
        theme_counts=series.theme_counts,
        total_counts=series.total_counts,
        ship_date=series.ship_date,
        checks_placebos=False,
    )

    assert (result.placebo_runs, result.placebo_found) == (0, 0)


def test_each_look_spends_its_stated_tail_on_each_side():
    provisional = LookTails(working=PROVISIONAL_TAIL, worse=PROVISIONAL_TAIL)
    assert look_tails(post_days_observed=14, post_days=28) == provisional
    assert look_tails(post_days_observed=28, post_days=28) == LookTails(working=0.035, worse=0.025)
    assert look_tails(post_days_observed=40, post_days=56) == provisional
    assert look_tails(post_days_observed=56, post_days=56) == LookTails(working=0.01, worse=0.015)
    assert look_tails(post_days_observed=28, post_days=28).level == pytest.approx(0.94)
    schedule = look_schedule("working")
    assert sorted(schedule) == list(range(7, 57))
    assert (schedule[27], schedule[28], schedule[29], schedule[56]) == (
        PROVISIONAL_TAIL,
        WORKING_FIXED_HORIZON_TAIL,
        PROVISIONAL_TAIL,
        WORKING_EXTENDED_FINAL_TAIL,
    )
    assert look_schedule("worse")[28] == WORSE_FIXED_HORIZON_TAIL
    assert look_schedule("worse")[56] == WORSE_EXTENDED_FINAL_TAIL


def test_the_worse_side_holds_its_budget_by_the_union_bound():
    assert WORSE_BUDGET_SPENT == pytest.approx(48 * 0.0002 + 0.025 + 0.015)
    assert WORSE_BUDGET_SPENT <= ERROR_BUDGET


def test_the_working_side_holds_its_budget_across_correlated_looks_but_not_by_the_union_bound():
    working = look_schedule("working")

    assert union_bound(working) == pytest.approx(48 * 0.0002 + 0.035 + 0.01)
    assert union_bound(working) > ERROR_BUDGET
    assert false_call_chance_across_looks(working) == pytest.approx(0.0401925)
    assert false_call_chance_across_looks(working) <= ERROR_BUDGET


def test_the_cumulative_sum_model_gives_a_lone_look_its_own_tail_and_independent_days_their_union():
    # One look: the chance is its tail. Looks far apart in a long window (corr sqrt(d/e) small) approach the union.
    assert false_call_chance_across_looks({28: 0.04}) == pytest.approx(0.04, abs=0.001)
    looks_far_apart = {1: 0.02, 400: 0.02}
    assert false_call_chance_across_looks(looks_far_apart, paths=100_000) == pytest.approx(0.0396, abs=0.002)
    # The same tail read twice on nearly the same days costs hardly more than once.
    assert false_call_chance_across_looks({27: 0.025, 28: 0.025}) < 0.03


def test_a_provisional_look_has_a_wider_interval_than_the_same_days_read_as_a_fixed_horizon():
    series = simulate_short_history_series(generator=np.random.default_rng(8), daily_volume=50.0, effect=-0.3)
    end = series.days.index(series.ship_date) + 14
    arguments = {
        "days": series.days[:end],
        "theme_counts": series.theme_counts[:end],
        "total_counts": series.total_counts[:end],
        "ship_date": series.ship_date,
        "checks_placebos": False,
    }

    provisional = estimate_impact(**arguments, post_days=28)
    fixed = estimate_impact(**arguments, post_days=14)

    assert provisional.is_provisional is True
    assert (provisional.interval_tail, provisional.interval_worse_tail) == (PROVISIONAL_TAIL, PROVISIONAL_TAIL)
    assert (fixed.interval_tail, fixed.interval_worse_tail) == (0.035, 0.025)
    # The plain 95% interval does not depend on the look.
    assert (provisional.ci95_low, provisional.ci95_high) == (fixed.ci95_low, fixed.ci95_high)
    # At day 28 the worse side spends the 95% interval's 0.025; the working side spends 0.035, a nearer high end.
    assert fixed.ci_low == fixed.ci95_low
    assert fixed.relative_effect < fixed.ci_high < fixed.ci95_high
    assert provisional.relative_effect == fixed.relative_effect
    assert provisional.ci_low < fixed.ci_low
    assert provisional.ci_high > fixed.ci_high


def _staggered_theme(*, seed: int) -> tuple[list[datetime.date], list[int], list[int]]:
    # 84 steady days, a first fix cuts the theme by 30% on day 84, a second by a further 40% on day 112.
    days = _days(140)
    multiplier = np.ones(140)
    multiplier[84:] *= 0.7
    multiplier[112:] *= 0.6
    theme, total = _counts(theme_mean=200.0 * multiplier, other_mean=np.full(140, 3000.0), seed=seed)
    return days, theme, total


def test_a_later_fix_is_measured_against_a_counterfactual_that_keeps_the_earlier_fix():
    days, theme, total = _staggered_theme(seed=21)

    second = estimate_impact(
        days=days, theme_counts=theme, total_counts=total, ship_date=days[112], earlier_ship_dates=[days[84]]
    )
    first = estimate_impact(days=days[:112], theme_counts=theme[:112], total_counts=total[:112], ship_date=days[84])

    assert second.relative_effect == pytest.approx(-0.4, abs=0.05)
    assert second.ci_low <= -0.4 <= second.ci_high
    assert first.relative_effect == pytest.approx(-0.3, abs=0.05)
    assert first.ci_low <= -0.3 <= first.ci_high


def test_a_later_fix_measured_without_the_earlier_one_takes_credit_for_both():
    days, theme, total = _staggered_theme(seed=21)

    second = estimate_impact(days=days, theme_counts=theme, total_counts=total, ship_date=days[112])

    # Against the level before both fixes the drop is 1 - 0.7 * 0.6 = 58% (less what the trend absorbs).
    assert second.relative_effect < -0.45


def test_earlier_ship_dates_must_be_at_least_a_week_before_the_ship_date():
    days, theme, total = _staggered_theme(seed=21)

    with pytest.raises(ValueError, match="earlier_ship_dates: 2025-06-20 must lie within days and at least 7 days"):
        estimate_impact(
            days=days, theme_counts=theme, total_counts=total, ship_date=days[112], earlier_ship_dates=[days[109]]
        )


def test_poisson_fit_matches_statsmodels_glm():
    series = simulate_short_history_series(generator=np.random.default_rng(2), daily_volume=30.0, effect=0.0)
    counts = np.asarray(series.theme_counts[:56], dtype=float)
    offset = np.log(np.asarray(series.total_counts[:56], dtype=float) - counts + 1.0)
    design = _design_matrix(
        time_index=np.arange(56.0),
        weekday=np.array([day.weekday() for day in series.days[:56]]),
        trend_origin=56.0,
        trend_scale=56.0,
    )
    weights = np.random.default_rng(4).uniform(0.2, 1.0, 56)

    coefficients, fitted = _poisson_fit(counts=counts, design=design, offset=offset, weights=weights, start=None)
    reference = sm.GLM(counts, design, family=sm.families.Poisson(), offset=offset, var_weights=weights).fit()

    np.testing.assert_allclose(coefficients, reference.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fitted, reference.fittedvalues, rtol=1e-9)


@pytest.mark.parametrize(
    ("level", "text"),
    [(0.94, "94%"), (0.95, "95%"), (0.935, "93.5%"), (1 - 2 * PROVISIONAL_TAIL, "99.96%"), (0.99999, "99.999%")],
)
def test_level_percent_keeps_as_many_decimals_as_stay_below_one_hundred(level, text):
    assert level_percent(level) == text
