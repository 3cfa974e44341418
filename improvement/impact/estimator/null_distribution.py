"""The null distribution of actual over counterfactual: the spread the estimate would have with no effect.

The effect's interval and p-value invert it; model.py's docstring describes how it fits in the design.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter
from scipy.stats import norm as normal
from scipy.stats import t as student_t

from improvement.impact.estimator.fitting import TREND_COLUMN, _post_level, _trend_weight
from improvement.impact.estimator.noise import _NoiseComponents
from improvement.impact.estimator.options import EstimatorOptions, TrendRule

BOOTSTRAP_DRAWS = 1000
INTERVAL_LEVEL = 0.95
MINIMUM_DEGREES_OF_FREEDOM = 4.0
# Intercept and trend: the parameters that the slow, persistent noise competes with.
LOW_FREQUENCY_PARAMETERS = 2


def _simulate_null_ratio(
    *,
    design_pre: np.ndarray,
    design_post: np.ndarray,
    fitted_post: np.ndarray,
    true_fitted_pre: np.ndarray,
    true_fitted_post: np.ndarray,
    true_trend_coefficient: float,
    trend_standard_error: float,
    trend_prior_standard_deviation: float,
    observed_level: float,
    relative_scale: float,
    is_robust: bool,
    noise: _NoiseComponents,
    poisson_variance: float,
    generator: np.random.Generator,
    options: EstimatorOptions,
    draw_count: int = BOOTSTRAP_DRAWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the post level over the counterfactual as it would be with no effect.

    The noise beyond Poisson is taken from the (Huber-clipped) pre-period residuals as white
    noise plus an AR(1) process; whole pre + post series are simulated from it, the model is
    re-estimated on each simulated pre period (one Newton step, with and without the trend),
    its trend shrunk by the rule the real series went through and projected, and the post
    level is estimated as on the real series. The series are drawn around the true_* fit (the
    whole trend, under options.simulates_from_full_trend) while the real counterfactual is
    fitted_post, so the draws carry what shrinking a real trend costs. Returns the ratio draws
    and, per draw and post day, a predictive draw of the counterfactual.
    """
    pre_length = len(design_pre)
    latent = _latent_multipliers(
        noise=noise, length=pre_length + len(fitted_post), generator=generator, draw_count=draw_count
    )
    latent_post = latent[:, pre_length:]
    # Poisson sampling of the pre period by its normal approximation (only its sums matter here).
    mean_pre = true_fitted_pre[None, :] * latent[:, :pre_length]
    simulated_pre = mean_pre + np.sqrt(mean_pre) * generator.standard_normal(mean_pre.shape)
    fitted_post_draws = _refitted_counterfactuals(
        design_pre=design_pre,
        design_post=design_post,
        true_fitted_pre=true_fitted_pre,
        true_fitted_post=true_fitted_post,
        true_trend_coefficient=true_trend_coefficient,
        trend_standard_error=trend_standard_error,
        trend_prior_standard_deviation=trend_prior_standard_deviation,
        simulated_pre=simulated_pre,
        trend_rule=options.trend_rule,
        generator=generator,
    )
    null_level = _null_post_level(
        true_fitted_post=true_fitted_post,
        latent_post=latent_post,
        observed_level=observed_level,
        relative_scale=relative_scale,
        is_robust=is_robust,
        is_centred=options.simulates_from_full_trend,
        generator=generator,
    )
    null_ratio = null_level * true_fitted_post.sum() / fitted_post_draws.sum(axis=1)
    counterfactual_draws = generator.poisson(np.minimum(fitted_post_draws * latent_post, 1e9))

    widening = 1.0
    if options.widens_by_student_t:
        widening = _student_t_widening(noise=noise, poisson_variance=poisson_variance, pre_length=pre_length)
    log_ratio = np.log(np.maximum(null_ratio, 1e-12))
    centre = float(np.median(log_ratio))
    null_ratio = np.exp(centre + (log_ratio - centre) * widening)
    if not options.simulates_from_full_trend:
        # Robust fits are biased alike before and after the ship date; these null draws only
        # give the spread of actual over counterfactual, centred on one.
        null_ratio = null_ratio / float(np.median(null_ratio))
    return null_ratio, counterfactual_draws


def _latent_multipliers(
    *, noise: _NoiseComponents, length: int, generator: np.random.Generator, draw_count: int
) -> np.ndarray:
    """Draw draw_count series of `length` daily multipliers of the mean: white noise plus an AR(1) process."""
    innovations = generator.standard_normal((draw_count, length)) * np.sqrt(
        noise.persistent_variance * (1.0 - noise.persistence**2)
    )
    innovations[:, 0] = generator.standard_normal(draw_count) * np.sqrt(noise.persistent_variance)
    persistent = lfilter([1.0], [1.0, -noise.persistence], innovations, axis=1)
    white = generator.standard_normal((draw_count, length)) * np.sqrt(noise.white_variance)
    latent_variance = noise.white_variance + noise.persistent_variance
    log_variance = np.log1p(latent_variance)
    # Lognormal multipliers with mean one and the relative variance estimated above.
    scale_to_log = np.sqrt(log_variance / latent_variance) if latent_variance > 0 else 1.0
    return np.exp((persistent + white) * scale_to_log - log_variance / 2.0)


def _refitted_counterfactuals(
    *,
    design_pre: np.ndarray,
    design_post: np.ndarray,
    true_fitted_pre: np.ndarray,
    true_fitted_post: np.ndarray,
    true_trend_coefficient: float,
    trend_standard_error: float,
    trend_prior_standard_deviation: float,
    simulated_pre: np.ndarray,
    trend_rule: TrendRule,
    generator: np.random.Generator,
) -> np.ndarray:
    """Per simulated pre period (row), the counterfactual post fits of the model re-estimated on it.

    The model is re-estimated by one Newton step from the true fit, and its trend weighed by the
    trend rule, as the real series' was, before it is projected over the post days.
    """
    coefficient_shift, fitted_post_draws = _newton_step_projection(
        design_pre=design_pre,
        design_post=design_post,
        fitted_pre=true_fitted_pre,
        fitted_post=true_fitted_post,
        simulated_pre=simulated_pre,
    )
    if trend_rule == "always":
        return fitted_post_draws
    # Each draw weighs its trend by the rule the real series went through; the fit without
    # the trend is refitted (one Newton step) on the other columns.
    draw_weight = _trend_weight(
        trend=true_trend_coefficient + coefficient_shift[:, TREND_COLUMN],
        standard_error=trend_standard_error,
        rule=trend_rule,
        prior_standard_deviation=trend_prior_standard_deviation,
        pre_length=len(design_pre),
    )
    _, reduced_post_draws = _newton_step_projection(
        design_pre=np.delete(design_pre, TREND_COLUMN, axis=1),
        design_post=np.delete(design_post, TREND_COLUMN, axis=1),
        fitted_pre=true_fitted_pre * np.exp(-true_trend_coefficient * design_pre[:, TREND_COLUMN]),
        fitted_post=true_fitted_post * np.exp(-true_trend_coefficient * design_post[:, TREND_COLUMN]),
        simulated_pre=simulated_pre,
    )
    log_post_draws = draw_weight[:, None] * np.log(fitted_post_draws) + (1.0 - draw_weight[:, None]) * np.log(
        reduced_post_draws
    )
    if trend_rule in ("ridge", "ridge_soft"):
        # The posterior variance of the trend, w se^2, exceeds the spread w^2 se^2 of the shrunk refits by this.
        extra_standard_deviation = trend_standard_error * np.sqrt(draw_weight * (1.0 - draw_weight))
        extra_trend = generator.standard_normal(len(draw_weight)) * extra_standard_deviation
        log_post_draws = log_post_draws + extra_trend[:, None] * design_post[None, :, TREND_COLUMN]
    return np.exp(log_post_draws)


def _newton_step_projection(
    *,
    design_pre: np.ndarray,
    design_post: np.ndarray,
    fitted_pre: np.ndarray,
    fitted_post: np.ndarray,
    simulated_pre: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One Newton step of the Poisson fit from fitted_pre towards each simulated pre period (row).

    Returns the coefficient shifts and the post fits they project from fitted_post.
    """
    information = design_pre.T @ (design_pre * fitted_pre[:, None])
    shift = np.linalg.solve(information, ((simulated_pre - fitted_pre[None, :]) @ design_pre).T).T
    # The clip only guards degenerate fits (a handful of pre contacts) against overflow.
    post_draws = fitted_post[None, :] * np.exp(np.clip(shift @ design_post.T, -10.0, 10.0))
    return shift, post_draws


def _null_post_level(
    *,
    true_fitted_post: np.ndarray,
    latent_post: np.ndarray,
    observed_level: float,
    relative_scale: float,
    is_robust: bool,
    is_centred: bool,
    generator: np.random.Generator,
) -> np.ndarray:
    """Per draw, the post level over the true fit estimated as on the real series, with no effect."""
    # Poisson sampling at the observed post volume, which a fix may have lowered; the level is estimated on those
    # counts as on the real ones (the robust weights' Poisson scale is that of the observed volume), then divided.
    post_level = max(observed_level, 1e-3)
    simulated_actual = generator.poisson(np.minimum(true_fitted_post[None, :] * post_level * latent_post, 1e9))
    null_level = (
        _post_level(
            actual=simulated_actual,
            expected=np.broadcast_to(true_fitted_post, simulated_actual.shape),
            relative_scale=relative_scale,
            is_robust=is_robust,
        )
        / post_level
    )
    if is_centred:
        # The robust level is biased alike on the real post days and in the robust pre fit;
        # only the counterfactual's bias (a real trend shrunk) is kept in the draws.
        median_level = float(np.median(null_level))
        if median_level > 0:
            null_level = null_level / median_level
    return null_level


def _student_t_widening(*, noise: _NoiseComponents, poisson_variance: float, pre_length: int) -> float:
    """The factor by which Student's t on the effective number of independent pre days widens a normal interval."""
    # The noise variance is itself estimated from a pre period worth only a few independent
    # observations when the noise is persistent; widening by Student's t on that effective
    # count (as a t interval does for an estimated variance) keeps the coverage honest.
    daily_variance = noise.white_variance + noise.persistent_variance + poisson_variance
    long_run_variance = daily_variance + noise.persistent_variance * (
        (1.0 + noise.persistence) / (1.0 - noise.persistence) - 1.0
    )
    effective_count = pre_length * daily_variance / max(long_run_variance, 1e-12)
    degrees_of_freedom = max(effective_count - LOW_FREQUENCY_PARAMETERS, MINIMUM_DEGREES_OF_FREEDOM)
    upper = (1.0 + INTERVAL_LEVEL) / 2.0
    return float(student_t.ppf(upper, degrees_of_freedom) / normal.ppf(upper))
