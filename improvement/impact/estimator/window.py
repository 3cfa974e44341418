"""One post window's estimate: the pre-period fit, its projection as the counterfactual, and the simulated null.

model.py's docstring describes the design; estimate_impact reads the real window, placebo.py fake ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from improvement.impact.estimator.fitting import (
    ROBUST_MINIMUM_DAILY_COUNT,
    TREND_COLUMN,
    _design_matrix,
    _post_level,
    _relative_scale,
    _robust_poisson_fit,
    _trend_weight,
)
from improvement.impact.estimator.noise import _noise_model, _NoiseComponents, _trend_standard_error
from improvement.impact.estimator.null_distribution import _simulate_null_ratio
from improvement.impact.estimator.options import EstimatorOptions, TrendRule

MINIMUM_PRE_DAYS = 28
MINIMUM_POST_DAYS = 7
MINIMUM_POST_VOLUME = 30.0
MAXIMUM_PRE_DAYS = 364
RANDOM_SEED = 20_240_601


@dataclass(frozen=True)
class _WindowEstimate:
    """One post window's numbers: actual and counterfactual, the observed level and its null draws."""

    actual_post: np.ndarray
    fitted_post: np.ndarray
    observed_level: float
    null_ratio: np.ndarray
    counterfactual_draws: np.ndarray
    pre_days_used: int


def _estimate_window(
    *,
    theme: np.ndarray,
    total: np.ndarray,
    weekday: np.ndarray,
    ship_index: int,
    post_end: int,
    earlier_indices: tuple[int, ...],
    options: EstimatorOptions,
    draw_count: int,
    seed: int,
) -> _WindowEstimate:
    """Fit the pre period before ship_index, project it over [ship_index, post_end) and simulate its null."""
    pre_start = max(0, ship_index - MAXIMUM_PRE_DAYS)
    pre = slice(pre_start, ship_index)
    post = slice(ship_index, post_end)
    log_other = np.log(total - theme + 1.0)
    time_index = np.arange(len(theme), dtype=float)
    design = _design_matrix(
        time_index=time_index,
        weekday=weekday,
        trend_origin=float(ship_index),
        trend_scale=float(ship_index - pre_start),
    )
    # An earlier fix on the theme shifts its level from its ship date on (one column each, kept in the
    # projection); one shipped before the pre period is already in the level.
    steps = [(time_index >= index).astype(float) for index in earlier_indices if pre_start < index < ship_index]
    if steps:
        design = np.column_stack([design, *steps])
    pre_length = ship_index - pre_start
    # The prior on the trend coefficient (the log change over the pre period) from the plausible drift a year.
    trend_prior_standard_deviation = options.trend_prior_annual_drift * pre_length / 365.0
    fit = _fit_pre_period(
        counts=theme[pre],
        design=design[pre],
        offset=log_other[pre],
        trend_rule=options.trend_rule,
        trend_prior_standard_deviation=trend_prior_standard_deviation,
    )
    fitted_post = np.exp(design[post] @ fit.coefficients + log_other[post])
    is_robust_post = fit.is_robust and options.down_weights_post_outliers
    observed_level = float(
        _post_level(
            actual=theme[post][None, :],
            expected=fitted_post[None, :],
            relative_scale=fit.relative_scale,
            is_robust=is_robust_post,
        )[0]
    )
    # The null series are drawn around the whole-trend fit (or, in the earlier design, the shrunk one).
    if options.simulates_from_full_trend:
        true_coefficients, true_fitted_pre = fit.full_coefficients, fit.full_fitted_pre
        true_fitted_post = np.exp(design[post] @ fit.full_coefficients + log_other[post])
    else:
        true_coefficients, true_fitted_pre, true_fitted_post = fit.coefficients, fit.fitted_pre, fitted_post
    null_ratio, counterfactual_draws = _simulate_null_ratio(
        design_pre=design[pre],
        design_post=design[post],
        fitted_post=fitted_post,
        true_fitted_pre=true_fitted_pre,
        true_fitted_post=true_fitted_post,
        true_trend_coefficient=float(true_coefficients[TREND_COLUMN]),
        trend_standard_error=fit.trend_standard_error,
        trend_prior_standard_deviation=trend_prior_standard_deviation,
        observed_level=observed_level,
        relative_scale=fit.relative_scale,
        is_robust=is_robust_post,
        noise=fit.noise,
        poisson_variance=fit.poisson_variance,
        generator=np.random.default_rng(seed),
        options=options,
        draw_count=draw_count,
    )
    return _WindowEstimate(
        actual_post=theme[post],
        fitted_post=fitted_post,
        observed_level=observed_level,
        null_ratio=null_ratio,
        counterfactual_draws=counterfactual_draws,
        pre_days_used=ship_index - pre_start,
    )


@dataclass(frozen=True)
class _PrePeriodFit:
    """The pre-period model: the trend-shrunk fit that is projected, the whole-trend fit, and the noise around them."""

    # After trend shrinkage: what the counterfactual is projected from.
    coefficients: np.ndarray
    fitted_pre: np.ndarray
    # With the whole fitted trend: what the null series are drawn around.
    full_coefficients: np.ndarray
    full_fitted_pre: np.ndarray
    # The noise of the shrunk fit (of the whole one when nothing was shrunk).
    relative_scale: float
    noise: _NoiseComponents
    poisson_variance: float
    trend_standard_error: float
    is_robust: bool


def _fit_pre_period(
    *,
    counts: np.ndarray,
    design: np.ndarray,
    offset: np.ndarray,
    trend_rule: TrendRule,
    trend_prior_standard_deviation: float,
) -> _PrePeriodFit:
    """Fit the pre period robustly, then shrink its trend by the trend rule and re-estimate the noise."""
    # Robust weighting needs counts large enough for an outlier to stand out; on a few
    # contacts a day it would mistake ordinary ones and twos for bursts.
    is_robust = float(counts.mean()) >= ROBUST_MINIMUM_DAILY_COUNT
    full_coefficients, full_fitted_pre = _robust_poisson_fit(
        counts=counts, design=design, offset=offset, is_robust=is_robust
    )
    relative_scale, noise, poisson_variance, trend_standard_error = _noise_of_fit(
        counts=counts, design=design, fitted=full_fitted_pre, is_robust=is_robust
    )
    trend_weight = _trend_weight(
        trend=np.array([full_coefficients[TREND_COLUMN]]),
        standard_error=trend_standard_error,
        rule=trend_rule,
        prior_standard_deviation=trend_prior_standard_deviation,
        pre_length=len(counts),
    )[0]
    coefficients, fitted_pre = full_coefficients, full_fitted_pre
    if trend_weight < 1.0:
        reduced_coefficients, _ = _robust_poisson_fit(
            counts=counts,
            design=np.delete(design, TREND_COLUMN, axis=1),
            offset=offset,
            is_robust=is_robust,
        )
        # Shrinking the trend towards zero with the other coefficients refitted is, to first
        # order, the weighted mix of the fits with and without the trend.
        coefficients = trend_weight * full_coefficients + (1.0 - trend_weight) * np.insert(
            reduced_coefficients, TREND_COLUMN, 0.0
        )
        fitted_pre = np.exp(design @ coefficients + offset)
        relative_scale, noise, poisson_variance, trend_standard_error = _noise_of_fit(
            counts=counts, design=design, fitted=fitted_pre, is_robust=is_robust
        )
    return _PrePeriodFit(
        coefficients=coefficients,
        fitted_pre=fitted_pre,
        full_coefficients=full_coefficients,
        full_fitted_pre=full_fitted_pre,
        relative_scale=relative_scale,
        noise=noise,
        poisson_variance=poisson_variance,
        trend_standard_error=trend_standard_error,
        is_robust=is_robust,
    )


def _noise_of_fit(
    *, counts: np.ndarray, design: np.ndarray, fitted: np.ndarray, is_robust: bool
) -> tuple[float, _NoiseComponents, float, float]:
    """A pre fit's robust relative scale, noise model, mean Poisson share and trend standard error."""
    relative_scale = _relative_scale(counts=counts, fitted=fitted)
    noise, poisson_variance = _noise_model(
        counts_pre=counts,
        fitted_pre=fitted,
        relative_scale=relative_scale,
        is_robust=is_robust,
        parameter_count=design.shape[1],
    )
    trend_standard_error = _trend_standard_error(fitted_pre=fitted, design_pre=design, noise=noise)
    return relative_scale, noise, poisson_variance, trend_standard_error
