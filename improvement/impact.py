"""Impact of a shipped fix on one theme's daily contact counts: pure numbers in, numbers out.

The model (chosen by bench/impact_calibration.py, which compares it with alternatives):

* Pre period: a Poisson log-linear model of the theme's daily count with log(other contacts) as
  offset (other = total minus the theme, so a fix's drop does not depress its own control),
  weekday effects and a linear trend in time. It is fitted robustly (Huber, then Tukey's
  biweight on the Pearson residuals) so a multi-day burst (an outage) neither tilts the trend
  nor lifts the level.
* The trend is shrunk towards none by empirical Bayes: with z its estimate over its standard
  error (a sandwich under the noise model below, so autocorrelation counts), the projection is
  the mix, weight max(0, 1 - 1/z^2), of the fits with and without the trend (to first order, the
  shrunk slope with the other coefficients refitted). An extrapolated trend is the costliest part
  of the counterfactual's uncertainty, so a trend the pre period cannot support is mostly dropped.
* Post period: the fitted model projected with the observed other contacts is the
  counterfactual; the effect is the robust (biweight) level of actual over counterfactual, so an
  unrelated outage after the ship date does not count as the fix's doing.
* Uncertainty: the pre-period residuals beyond Poisson are summarised as white noise plus an
  AR(1) process (overdispersion and autocorrelation, matched at the daily and weekly scales).
  The residual means over 7, 14 and 21 days must vary no less than that model implies (a slow
  wander the trend no longer absorbs shows there). Whole series are simulated from it: the model
  is re-estimated on each simulated pre period (one Newton step, with and without the trend) and
  each draw's trend shrunk by the same rule before it is projected, so the interval includes the
  shrinkage; the post level is estimated as on the real series with the Poisson sampling redrawn
  at the post volume. The draws are generated from the fit with its whole trend, so when a real
  trend is shrunk, the bias that leaves in the counterfactual is in the interval too (simulating
  from the shrunk fit missed it: coverage fell to 0.92 on drifting, trending themes). The effect
  interval inverts that null distribution of actual over counterfactual.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy.signal import lfilter
from scipy.stats import norm as normal
from scipy.stats import t as student_t

VERDICT_WORKING = "working"
VERDICT_WORSE = "worse"
VERDICT_NO_CLEAR_EFFECT = "no_clear_effect"
VERDICT_TOO_EARLY = "too_early"

MINIMUM_PRE_DAYS = 28
MINIMUM_POST_DAYS = 7
MINIMUM_POST_VOLUME = 30.0
MAXIMUM_PRE_DAYS = 364
BOOTSTRAP_DRAWS = 1000
HUBER_THRESHOLD = 2.5
BIWEIGHT_THRESHOLD = 4.685
REDESCENDING_ITERATIONS = 3
ROBUST_ITERATIONS = 4
INTERVAL_LEVEL = 0.95
RANDOM_SEED = 20_240_601
# Persistence assumed for excess week-to-week variation when the day-to-day lags show none.
DEFAULT_PERSISTENCE = 0.5
# Spans (days) at which the residual means must vary no less than the noise model implies.
AGGREGATION_SPANS = (7, 14, 21)
MINIMUM_DEGREES_OF_FREEDOM = 4.0
# Intercept and trend: the parameters that the slow, persistent noise competes with.
LOW_FREQUENCY_PARAMETERS = 2
# Down-weight post days far off the level (outage bursts) as the pre fit does; False gives the
# plain ratio of sums (kept for the calibration bench's comparison).
DOWN_WEIGHTS_POST_OUTLIERS = True
ROBUST_MINIMUM_DAILY_COUNT = 3.0
# The trend keeps the weight max(0, 1 - (threshold / z)^2), z its estimate over its standard
# error ("soft": empirical Bayes shrinkage at threshold 1); "hard" keeps it whole when |z| reaches
# the threshold and drops it otherwise; "always" keeps it (the bench compares these).
TREND_SHRINKAGE_THRESHOLD = 1.0
TREND_RULE = "soft"
TREND_COLUMN = 1
# The null series are simulated from the fit with its whole trend, so the bias of shrinking a
# real trend is in the interval; False simulates from the shrunk fit (the bench compares them).
SIMULATES_FROM_FULL_TREND = True
# Widen the null by Student's t on the effective number of independent pre days (the earlier
# design; with the bias above simulated it only costs power, so it is off).
WIDENS_BY_STUDENT_T = False


@dataclass(frozen=True)
class ImpactEstimate:
    """The estimated effect of a fix on its theme over the post window (up to post_days).

    relative_effect is actual over counterfactual minus one (-0.3: 30% fewer contacts), with its
    95% interval [ci_low, ci_high]; counterfactual is the expected count per post day with a 95%
    predictive band; contacts_avoided is -relative_effect times the counterfactual total, with
    the interval that follows from the effect's. verdict is one of working, worse,
    no_clear_effect or too_early; is_provisional says fewer than post_days post days exist.
    """

    relative_effect: float
    ci_low: float
    ci_high: float
    p_value: float
    verdict: str
    is_provisional: bool
    post_days_observed: int
    pre_days_used: int
    post_dates: tuple[datetime.date, ...]
    actual: tuple[int, ...]
    counterfactual: tuple[float, ...]
    counterfactual_low: tuple[float, ...]
    counterfactual_high: tuple[float, ...]
    actual_total: int
    counterfactual_total: float
    contacts_avoided: float
    contacts_avoided_low: float
    contacts_avoided_high: float


def estimate_impact(
    *,
    days: Sequence[datetime.date],
    theme_counts: Sequence[int],
    total_counts: Sequence[int],
    ship_date: datetime.date,
    post_days: int = 28,
) -> ImpactEstimate:
    """Estimate how a fix live from ship_date changed a theme's daily contacts.

    `days` are consecutive dates; `theme_counts` and `total_counts` are that day's contacts on
    the theme and in all (the total includes the theme). Days before ship_date are the pre
    period; ship_date and up to post_days - 1 days after it are the post window.
    """
    theme, total, ship_index = _validated_series(
        days=days,
        theme_counts=theme_counts,
        total_counts=total_counts,
        ship_date=ship_date,
        post_days=post_days,
    )
    pre_start = max(0, ship_index - MAXIMUM_PRE_DAYS)
    post_end = min(len(theme), ship_index + post_days)
    pre_days_used = ship_index - pre_start
    post_days_observed = post_end - ship_index

    other = total - theme
    log_other = np.log(other + 1.0)
    weekday = np.array([day.weekday() for day in days])
    time_index = np.arange(len(theme), dtype=float)
    design = _design_matrix(
        time_index=time_index,
        weekday=weekday,
        trend_origin=float(ship_index),
        trend_scale=float(pre_days_used),
    )
    pre = slice(pre_start, ship_index)
    post = slice(ship_index, post_end)

    # Robust weighting needs counts large enough for an outlier to stand out; on a few
    # contacts a day it would mistake ordinary ones and twos for bursts.
    is_robust = float(theme[pre].mean()) >= ROBUST_MINIMUM_DAILY_COUNT
    coefficients, fitted_pre = _robust_poisson_fit(
        counts=theme[pre],
        design=design[pre],
        offset=log_other[pre],
        is_robust=is_robust,
    )

    def noise_of(fitted: np.ndarray, scale: float) -> tuple[_NoiseComponents, float]:
        return _noise_model(
            counts_pre=theme[pre],
            fitted_pre=fitted,
            relative_scale=scale,
            is_robust=is_robust,
            parameter_count=design.shape[1],
        )

    relative_scale = _relative_scale(counts=theme[pre], fitted=fitted_pre)
    noise, poisson_variance = noise_of(fitted_pre, relative_scale)
    trend_standard_error = _trend_standard_error(
        fitted_pre=fitted_pre, design_pre=design[pre], noise=noise
    )
    trend_weight = _trend_weight(
        trend=np.array([coefficients[TREND_COLUMN]]),
        standard_error=trend_standard_error,
    )[0]
    full_coefficients = coefficients
    full_fitted_pre = fitted_pre
    if trend_weight < 1.0:
        reduced_coefficients, _ = _robust_poisson_fit(
            counts=theme[pre],
            design=np.delete(design[pre], TREND_COLUMN, axis=1),
            offset=log_other[pre],
            is_robust=is_robust,
        )
        # Shrinking the trend towards zero with the other coefficients refitted is, to first
        # order, the weighted mix of the fits with and without the trend.
        coefficients = trend_weight * coefficients + (1.0 - trend_weight) * np.insert(
            reduced_coefficients, TREND_COLUMN, 0.0
        )
        fitted_pre = np.exp(design[pre] @ coefficients + log_other[pre])
        relative_scale = _relative_scale(counts=theme[pre], fitted=fitted_pre)
        noise, poisson_variance = noise_of(fitted_pre, relative_scale)
        trend_standard_error = _trend_standard_error(
            fitted_pre=fitted_pre, design_pre=design[pre], noise=noise
        )
    fitted_post = np.exp(design[post] @ coefficients + log_other[post])

    actual_post = theme[post]
    observed_level = float(
        _post_level(
            actual=actual_post[None, :],
            expected=fitted_post[None, :],
            relative_scale=relative_scale,
            is_robust=is_robust and DOWN_WEIGHTS_POST_OUTLIERS,
        )[0]
    )
    null_ratio, counterfactual_draws = _simulate_null_ratio(
        design_pre=design[pre],
        design_post=design[post],
        fitted_post=fitted_post,
        true_fitted_pre=full_fitted_pre if SIMULATES_FROM_FULL_TREND else fitted_pre,
        true_fitted_post=(
            np.exp(design[post] @ full_coefficients + log_other[post])
            if SIMULATES_FROM_FULL_TREND
            else fitted_post
        ),
        true_trend_coefficient=float(
            (full_coefficients if SIMULATES_FROM_FULL_TREND else coefficients)[
                TREND_COLUMN
            ]
        ),
        trend_standard_error=trend_standard_error,
        observed_level=observed_level,
        relative_scale=relative_scale,
        is_robust=is_robust and DOWN_WEIGHTS_POST_OUTLIERS,
        noise=noise,
        poisson_variance=poisson_variance,
        generator=np.random.default_rng(RANDOM_SEED),
    )
    if not SIMULATES_FROM_FULL_TREND:
        # Robust fits are biased alike before and after the ship date; these null draws only
        # give the spread of actual over counterfactual, centred on one.
        null_ratio = null_ratio / float(np.median(null_ratio))

    tail = (1.0 - INTERVAL_LEVEL) / 2.0
    ratio_low, ratio_high = np.quantile(null_ratio, [tail, 1.0 - tail])
    relative_effect = observed_level - 1.0
    ci_low = observed_level / ratio_high - 1.0
    ci_high = observed_level / ratio_low - 1.0
    share_below = float(np.mean(null_ratio <= observed_level))
    share_above = float(np.mean(null_ratio >= observed_level))
    p_value = min(1.0, 2.0 * min(share_below, share_above) + 1.0 / len(null_ratio))

    actual_total = int(actual_post.sum())
    counterfactual = fitted_post
    counterfactual_total = float(fitted_post.sum())
    band_low, band_high = np.quantile(counterfactual_draws, [tail, 1.0 - tail], axis=0)

    verdict = _verdict(
        ci_low=ci_low,
        ci_high=ci_high,
        post_days_observed=post_days_observed,
        counterfactual_total=counterfactual_total,
    )
    return ImpactEstimate(
        relative_effect=float(relative_effect),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        p_value=float(p_value),
        verdict=verdict,
        is_provisional=post_days_observed < post_days,
        post_days_observed=post_days_observed,
        pre_days_used=pre_days_used,
        post_dates=tuple(days[ship_index:post_end]),
        actual=tuple(int(value) for value in actual_post),
        counterfactual=tuple(float(value) for value in counterfactual),
        counterfactual_low=tuple(float(value) for value in band_low),
        counterfactual_high=tuple(float(value) for value in band_high),
        actual_total=actual_total,
        counterfactual_total=float(counterfactual_total),
        contacts_avoided=float(-relative_effect * counterfactual_total),
        contacts_avoided_low=float(-ci_high * counterfactual_total),
        contacts_avoided_high=float(-ci_low * counterfactual_total),
    )


def _validated_series(
    *,
    days: Sequence[datetime.date],
    theme_counts: Sequence[int],
    total_counts: Sequence[int],
    ship_date: datetime.date,
    post_days: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    if not (len(days) == len(theme_counts) == len(total_counts)):
        raise ValueError(
            f"days, theme_counts and total_counts must have the same length "
            f"(got {len(days)}, {len(theme_counts)}, {len(total_counts)})."
        )
    if post_days < 1:
        raise ValueError(f"post_days must be at least 1 (got {post_days}).")
    for position in range(1, len(days)):
        if days[position] - days[position - 1] != datetime.timedelta(days=1):
            raise ValueError(
                f"days must be consecutive dates: {days[position - 1]} is followed by {days[position]}."
            )
    theme = np.asarray(theme_counts, dtype=float)
    total = np.asarray(total_counts, dtype=float)
    if not (np.all(np.isfinite(theme)) and np.all(np.isfinite(total))):
        raise ValueError("theme_counts and total_counts must be finite numbers.")
    if np.any(theme < 0) or np.any(total < 0):
        raise ValueError("theme_counts and total_counts must not be negative.")
    if np.any(theme > total):
        first = int(np.argmax(theme > total))
        raise ValueError(
            f"theme_counts must not exceed total_counts (the total includes the theme): "
            f"{days[first]} has {theme[first]:g} > {total[first]:g}."
        )
    if not days or ship_date < days[0] or ship_date > days[-1]:
        first_day = days[0] if days else None
        last_day = days[-1] if days else None
        raise ValueError(
            f"ship_date {ship_date} is outside days ({first_day} to {last_day})."
        )
    ship_index = (ship_date - days[0]).days
    if ship_index < MINIMUM_PRE_DAYS:
        raise ValueError(
            f"too few pre days: {ship_index} days before ship_date {ship_date}, "
            f"at least {MINIMUM_PRE_DAYS} are needed."
        )
    if theme[:ship_index].sum() == 0:
        raise ValueError(
            "the theme has no contacts before ship_date, so there is no baseline to compare with."
        )
    return theme, total, ship_index


def _design_matrix(
    *,
    time_index: np.ndarray,
    weekday: np.ndarray,
    trend_origin: float,
    trend_scale: float,
) -> np.ndarray:
    # The trend is centred on the ship date and scaled by the pre length so the coefficients stay
    # well conditioned whatever the series length.
    trend = (time_index - trend_origin) / trend_scale
    weekday_columns = [(weekday == day).astype(float) for day in range(1, 7)]
    return np.column_stack([np.ones_like(time_index), trend, *weekday_columns])


def _robust_poisson_fit(
    *, counts: np.ndarray, design: np.ndarray, offset: np.ndarray, is_robust: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Fit a Poisson GLM robustly (Huber, then Tukey's biweight); return coefficients and fits."""
    weights = np.ones(len(counts))
    iterations = ROBUST_ITERATIONS + REDESCENDING_ITERATIONS if is_robust else 0
    for iteration in range(iterations + 1):
        result = sm.GLM(
            counts,
            design,
            family=sm.families.Poisson(),
            offset=offset,
            var_weights=weights,
        ).fit()
        if iteration == iterations:
            break
        fitted = result.fittedvalues
        pearson = (counts - fitted) / np.sqrt(np.maximum(fitted, 1e-9))
        # The median absolute deviation keeps the scale itself from being inflated by a burst.
        scale = max(
            1.4826 * float(np.median(np.abs(pearson - np.median(pearson)))), 1.0
        )
        standardised = np.abs(pearson) / scale
        if iteration < ROBUST_ITERATIONS:
            weights = np.minimum(1.0, HUBER_THRESHOLD / np.maximum(standardised, 1e-12))
        else:
            weights = (
                np.clip(1.0 - (standardised / BIWEIGHT_THRESHOLD) ** 2, 0.0, None) ** 2
            )
    return np.asarray(result.params), np.asarray(result.fittedvalues)


def _relative_scale(*, counts: np.ndarray, fitted: np.ndarray) -> float:
    """Robust standard deviation of counts / fitted - 1 (Poisson sampling included)."""
    relative = counts / fitted - 1.0
    return max(1.4826 * float(np.median(np.abs(relative - np.median(relative)))), 1e-3)


def _post_level(
    *, actual: np.ndarray, expected: np.ndarray, relative_scale: float, is_robust: bool
) -> np.ndarray:
    """Huber estimate, per row, of the level of actual over expected counts.

    Days far above or below the level (an outage burst) weigh less, as they did in the pre fit.
    """
    level = actual.sum(axis=1) / np.maximum(expected.sum(axis=1), 1e-9)
    if not is_robust:
        return level
    poisson_share = float(np.mean(1.0 / np.maximum(expected, 1e-9)))
    latent_variance = max(relative_scale**2 - poisson_share, 0.0)
    # The scale is fixed at the plain level so the weights cannot chase the level downwards.
    scale = np.sqrt(latent_variance + 1.0 / np.maximum(level[:, None] * expected, 1e-9))
    for _ in range(ROBUST_ITERATIONS):
        mean = np.maximum(level[:, None] * expected, 1e-9)
        standardised = np.abs(actual / mean - 1.0) / scale
        weights = np.minimum(1.0, HUBER_THRESHOLD / np.maximum(standardised, 1e-12))
        level = (weights * actual).sum(axis=1) / np.maximum(
            (weights * expected).sum(axis=1), 1e-9
        )
    for _ in range(REDESCENDING_ITERATIONS):
        # Tukey's biweight, started from the Huber level, gives a clear burst no weight at all.
        mean = np.maximum(level[:, None] * expected, 1e-9)
        standardised = np.abs(actual / mean - 1.0) / scale
        weights = (
            np.clip(1.0 - (standardised / BIWEIGHT_THRESHOLD) ** 2, 0.0, None) ** 2
        )
        level = (weights * actual).sum(axis=1) / np.maximum(
            (weights * expected).sum(axis=1), 1e-9
        )
    return level


def _trend_weight(*, trend: np.ndarray, standard_error: float) -> np.ndarray:
    """How much of the fitted trend to keep, by its estimate over its standard error."""
    z_squared = trend**2 / max(standard_error, 1e-12) ** 2
    if TREND_RULE == "always":
        return np.ones_like(trend)
    if TREND_RULE == "hard":
        return (z_squared >= TREND_SHRINKAGE_THRESHOLD**2).astype(float)
    return np.clip(
        1.0 - TREND_SHRINKAGE_THRESHOLD**2 / np.maximum(z_squared, 1e-12), 0.0, 1.0
    )


def _noise_model(
    *,
    counts_pre: np.ndarray,
    fitted_pre: np.ndarray,
    relative_scale: float,
    is_robust: bool,
    parameter_count: int,
) -> tuple[_NoiseComponents, float]:
    """The noise beyond Poisson of a pre fit, and the mean Poisson share of relative variance."""
    relative = counts_pre / fitted_pre - 1.0
    if is_robust:
        # What a robust estimate's spread depends on: the influence of each residual over the
        # mean slope of that influence (the sandwich form of its variance).
        standardised = relative / relative_scale
        if REDESCENDING_ITERATIONS:
            ratio = (standardised / BIWEIGHT_THRESHOLD) ** 2
            influence = np.where(ratio < 1.0, standardised * (1.0 - ratio) ** 2, 0.0)
            slope = np.where(ratio < 1.0, (1.0 - ratio) * (1.0 - 5.0 * ratio), 0.0)
        else:
            influence = np.clip(standardised, -HUBER_THRESHOLD, HUBER_THRESHOLD)
            slope = (np.abs(standardised) <= HUBER_THRESHOLD).astype(float)
        relative = influence * relative_scale / max(float(np.mean(slope)), 0.5)
    residual = relative - relative.mean()
    poisson_variance = float(np.mean(1.0 / fitted_pre))
    noise = _noise_components(
        residual=residual,
        poisson_variance=poisson_variance,
        parameter_count=parameter_count,
    )

    return noise, poisson_variance


def _trend_standard_error(
    *, fitted_pre: np.ndarray, design_pre: np.ndarray, noise: _NoiseComponents
) -> float:
    """Standard error of the trend coefficient under the fitted noise model (sandwich form)."""
    lags = np.abs(
        np.subtract.outer(np.arange(len(fitted_pre)), np.arange(len(fitted_pre)))
    )
    relative_covariance = noise.persistent_variance * noise.persistence**lags
    relative_covariance[np.diag_indices_from(relative_covariance)] += (
        noise.white_variance + 1.0 / np.maximum(fitted_pre, 1e-9)
    )
    weighted = design_pre * fitted_pre[:, None]
    information = design_pre.T @ weighted
    inverse = np.linalg.inv(information)
    covariance = inverse @ (weighted.T @ relative_covariance @ weighted) @ inverse
    return float(np.sqrt(max(covariance[TREND_COLUMN, TREND_COLUMN], 0.0)))


def _simulate_null_ratio(
    *,
    design_pre: np.ndarray,
    design_post: np.ndarray,
    fitted_post: np.ndarray,
    true_fitted_pre: np.ndarray,
    true_fitted_post: np.ndarray,
    true_trend_coefficient: float,
    trend_standard_error: float,
    observed_level: float,
    relative_scale: float,
    is_robust: bool,
    noise: _NoiseComponents,
    poisson_variance: float,
    generator: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the post level over the counterfactual as it would be with no effect.

    The noise beyond Poisson is taken from the (Huber-clipped) pre-period residuals as white
    noise plus an AR(1) process; whole pre + post series are simulated from it, the model is
    re-estimated on each simulated pre period (one Newton step, with and without the trend),
    its trend shrunk by the rule the real series went through and projected, and the post
    level is estimated as on the real series. The series are drawn around the true_* fit (the
    whole trend, under SIMULATES_FROM_FULL_TREND) while the real counterfactual is fitted_post,
    so the draws carry what shrinking a real trend costs. Returns the ratio draws and, per draw
    and post day, a predictive draw of the counterfactual.
    """
    pre_length = len(design_pre)
    post_length = len(fitted_post)
    length = pre_length + post_length
    innovations = generator.standard_normal((BOOTSTRAP_DRAWS, length)) * np.sqrt(
        noise.persistent_variance * (1.0 - noise.persistence**2)
    )
    innovations[:, 0] = generator.standard_normal(BOOTSTRAP_DRAWS) * np.sqrt(
        noise.persistent_variance
    )
    persistent = lfilter([1.0], [1.0, -noise.persistence], innovations, axis=1)
    white = generator.standard_normal((BOOTSTRAP_DRAWS, length)) * np.sqrt(
        noise.white_variance
    )
    latent_variance = noise.white_variance + noise.persistent_variance
    log_variance = np.log1p(latent_variance)
    # Lognormal multipliers with mean one and the relative variance estimated above.
    scale_to_log = (
        np.sqrt(log_variance / latent_variance) if latent_variance > 0 else 1.0
    )
    latent = np.exp((persistent + white) * scale_to_log - log_variance / 2.0)

    # Poisson sampling of the pre period by its normal approximation (only its sums matter here).
    mean_pre = true_fitted_pre[None, :] * latent[:, :pre_length]
    simulated_pre = mean_pre + np.sqrt(mean_pre) * generator.standard_normal(
        mean_pre.shape
    )
    information = design_pre.T @ (design_pre * true_fitted_pre[:, None])
    coefficient_shift = np.linalg.solve(
        information, ((simulated_pre - true_fitted_pre[None, :]) @ design_pre).T
    ).T
    # The clip only guards degenerate fits (a handful of pre contacts) against overflow.
    fitted_post_draws = true_fitted_post[None, :] * np.exp(
        np.clip(coefficient_shift @ design_post.T, -10.0, 10.0)
    )
    if TREND_RULE != "always":
        # Each draw weighs its trend by the rule the real series went through; the fit without
        # the trend is refitted (one Newton step) on the other columns.
        draw_weight = _trend_weight(
            trend=true_trend_coefficient + coefficient_shift[:, TREND_COLUMN],
            standard_error=trend_standard_error,
        )
        reduced_pre = np.delete(design_pre, TREND_COLUMN, axis=1)
        reduced_post = np.delete(design_post, TREND_COLUMN, axis=1)
        reduced_fitted_pre = true_fitted_pre * np.exp(
            -true_trend_coefficient * design_pre[:, TREND_COLUMN]
        )
        reduced_fitted_post = true_fitted_post * np.exp(
            -true_trend_coefficient * design_post[:, TREND_COLUMN]
        )
        reduced_information = reduced_pre.T @ (
            reduced_pre * reduced_fitted_pre[:, None]
        )
        reduced_shift = np.linalg.solve(
            reduced_information,
            ((simulated_pre - reduced_fitted_pre[None, :]) @ reduced_pre).T,
        ).T
        reduced_post_draws = reduced_fitted_post[None, :] * np.exp(
            np.clip(reduced_shift @ reduced_post.T, -10.0, 10.0)
        )
        fitted_post_draws = np.exp(
            draw_weight[:, None] * np.log(fitted_post_draws)
            + (1.0 - draw_weight[:, None]) * np.log(reduced_post_draws)
        )

    # Poisson sampling at the observed post volume, which a fix may have lowered.
    post_level = max(observed_level, 1e-3)
    simulated_actual = generator.poisson(
        np.minimum(true_fitted_post[None, :] * post_level * latent[:, pre_length:], 1e9)
    )
    simulated_actual = simulated_actual / post_level
    null_level = _post_level(
        actual=simulated_actual,
        expected=np.broadcast_to(true_fitted_post, simulated_actual.shape),
        relative_scale=relative_scale,
        is_robust=is_robust,
    )
    if SIMULATES_FROM_FULL_TREND:
        # The robust level is biased alike on the real post days and in the robust pre fit;
        # only the counterfactual's bias (a real trend shrunk) is kept in the draws.
        median_level = float(np.median(null_level))
        if median_level > 0:
            null_level = null_level / median_level
    null_ratio = null_level * true_fitted_post.sum() / fitted_post_draws.sum(axis=1)
    counterfactual_draws = generator.poisson(
        np.minimum(fitted_post_draws * latent[:, pre_length:], 1e9)
    )

    # The noise variance is itself estimated from a pre period worth only a few independent
    # observations when the noise is persistent; widening by Student's t on that effective
    # count (as a t interval does for an estimated variance) keeps the coverage honest.
    daily_variance = noise.white_variance + noise.persistent_variance + poisson_variance
    long_run_variance = daily_variance + noise.persistent_variance * (
        (1.0 + noise.persistence) / (1.0 - noise.persistence) - 1.0
    )
    effective_count = pre_length * daily_variance / max(long_run_variance, 1e-12)
    degrees_of_freedom = max(
        effective_count - LOW_FREQUENCY_PARAMETERS, MINIMUM_DEGREES_OF_FREEDOM
    )
    upper = (1.0 + INTERVAL_LEVEL) / 2.0
    widening = student_t.ppf(upper, degrees_of_freedom) / normal.ppf(upper)
    if not WIDENS_BY_STUDENT_T:
        widening = 1.0
    log_ratio = np.log(np.maximum(null_ratio, 1e-12))
    centre = float(np.median(log_ratio))
    null_ratio = np.exp(centre + (log_ratio - centre) * widening)
    return null_ratio, counterfactual_draws


@dataclass(frozen=True)
class _NoiseComponents:
    white_variance: float
    persistent_variance: float
    persistence: float


def _noise_components(
    *, residual: np.ndarray, poisson_variance: float, parameter_count: int
) -> _NoiseComponents:
    """Split the relative residual variance beyond Poisson into white noise and an AR(1) process.

    The lag-one and lag-two autocovariances give a first split; where the one- and two-week
    means of the residuals vary more than that split implies (autocovariances of fitted
    residuals are biased low and noisy), the persistent part is raised to match them.
    """
    count = len(residual)
    residual_variance = (
        float(np.mean(residual**2)) * count / max(count - parameter_count, 1)
    )
    latent_variance = max(residual_variance - poisson_variance, 0.0)
    lag_one = float(np.mean(residual[1:] * residual[:-1]))
    lag_two = float(np.mean(residual[2:] * residual[:-2]))
    persistence = 0.0
    if lag_one > 0 and latent_variance > 0:
        persistence = lag_one / latent_variance
        if lag_two > 0:
            persistence = max(persistence, lag_two / lag_one)
    persistence = float(np.clip(persistence, 0.0, 0.95))
    persistent_variance = (
        float(np.clip(lag_one / persistence, 0.0, latent_variance))
        if persistence > 0
        else 0.0
    )

    if persistence == 0.0:
        persistence = DEFAULT_PERSISTENCE
    for span in AGGREGATION_SPANS:
        block_count = count // span
        if block_count < 4:
            continue
        block_means = (
            residual[count - span * block_count :]
            .reshape(block_count, span)
            .mean(axis=1)
        )
        # Intercept and trend take two degrees of freedom from the block means.
        observed_block_variance = (
            float(np.mean(block_means**2)) * block_count / (block_count - 2)
        )
        latent_block_variance = span * observed_block_variance - poisson_variance
        aggregation = _ar1_aggregation_factor(persistence=persistence, length=span)
        implied = latent_variance + persistent_variance * (aggregation - 1.0)
        if latent_block_variance > implied:
            persistent_variance = (latent_block_variance - latent_variance) / (
                aggregation - 1.0
            )
            if persistent_variance > latent_variance:
                persistent_variance = latent_block_variance / aggregation
                latent_variance = persistent_variance
    return _NoiseComponents(
        white_variance=latent_variance - persistent_variance,
        persistent_variance=persistent_variance,
        persistence=persistence,
    )


def _ar1_aggregation_factor(*, persistence: float, length: int) -> float:
    """Variance of the sum of `length` AR(1) values over `length` times their variance."""
    lags = np.arange(1, length)
    return 1.0 + 2.0 * float(np.sum((length - lags) * persistence**lags)) / length


def _verdict(
    *,
    ci_low: float,
    ci_high: float,
    post_days_observed: int,
    counterfactual_total: float,
) -> str:
    if (
        post_days_observed < MINIMUM_POST_DAYS
        or not counterfactual_total >= MINIMUM_POST_VOLUME
    ):
        return VERDICT_TOO_EARLY
    if ci_high < 0:
        return VERDICT_WORKING
    if ci_low > 0:
        return VERDICT_WORSE
    return VERDICT_NO_CLEAR_EFFECT
