"""Impact of a shipped fix on one theme's daily contact counts: pure numbers in, numbers out.

The model (chosen by bench/impact_calibration.py, which compares it with alternatives):

* Pre period: a Poisson log-linear model of the theme's daily count with log(other contacts) as
  offset (other = total minus the theme, so a fix's drop does not depress its own control),
  weekday effects and a linear trend. It is fitted robustly (Huber weights on the Pearson
  residuals) so a multi-day burst (an outage) does not tilt the trend or lift the level.
* Post period: the fitted model projected with the observed other contacts is the counterfactual.
* Uncertainty: a circular block bootstrap (one-week blocks) of the pre-period multiplicative
  residuals. It carries overdispersion, autocorrelation and bursts as they were seen before the
  fix into both the parameter uncertainty (a one-step re-estimation on resampled pre periods) and
  the post-period noise (the latent part resampled, Poisson sampling redrawn at the post volume).
  The effect interval inverts the resulting null distribution of actual / counterfactual.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy.signal import lfilter

VERDICT_WORKING = "working"
VERDICT_WORSE = "worse"
VERDICT_NO_CLEAR_EFFECT = "no_clear_effect"
VERDICT_TOO_EARLY = "too_early"

MINIMUM_PRE_DAYS = 28
MINIMUM_POST_DAYS = 7
MINIMUM_POST_VOLUME = 30.0
MAXIMUM_PRE_DAYS = 364
BOOTSTRAP_DRAWS = 1000
BLOCK_LENGTH = 7
HUBER_THRESHOLD = 2.0
ROBUST_ITERATIONS = 4
INTERVAL_LEVEL = 0.95
RANDOM_SEED = 20_240_601


@dataclass(frozen=True)
class ImpactEstimate:
    """The estimated effect of a fix on its theme over the post window (up to post_days)."""

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
        time_index=time_index, weekday=weekday, trend_origin=float(ship_index), trend_scale=float(pre_days_used)
    )
    pre = slice(pre_start, ship_index)
    post = slice(ship_index, post_end)

    coefficients, robust_weights, fitted_pre, information = _robust_poisson_fit(
        counts=theme[pre], design=design[pre], offset=log_other[pre]
    )
    fitted_post = np.exp(design[post] @ coefficients + log_other[post])

    generator = np.random.default_rng(RANDOM_SEED)
    null_ratio, counterfactual_draws = _simulate_null_ratio(
        counts_pre=theme[pre],
        fitted_pre=fitted_pre,
        design_pre=design[pre],
        design_post=design[post],
        fitted_post=fitted_post,
        actual_post=theme[post],
        generator=generator,
    )

    actual_post = theme[post]
    actual_total = int(actual_post.sum())
    fitted_total = float(fitted_post.sum())
    observed_ratio = actual_total / fitted_total if fitted_total > 0 else float("nan")
    tail = (1.0 - INTERVAL_LEVEL) / 2.0
    ratio_low, ratio_median, ratio_high = np.quantile(null_ratio, [tail, 0.5, 1.0 - tail])

    relative_effect = observed_ratio / ratio_median - 1.0
    ci_low = observed_ratio / ratio_high - 1.0
    ci_high = observed_ratio / ratio_low - 1.0
    share_below = float(np.mean(null_ratio <= observed_ratio))
    share_above = float(np.mean(null_ratio >= observed_ratio))
    p_value = min(1.0, 2.0 * min(share_below, share_above) + 1.0 / len(null_ratio))

    counterfactual_scale = ratio_median
    counterfactual = fitted_post * counterfactual_scale
    counterfactual_total = fitted_total * counterfactual_scale
    avoided_draws = fitted_total * null_ratio - actual_total
    avoided_low, avoided_high = np.quantile(avoided_draws, [tail, 1.0 - tail])
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
        contacts_avoided=float(counterfactual_total - actual_total),
        contacts_avoided_low=float(avoided_low),
        contacts_avoided_high=float(avoided_high),
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
        raise ValueError(f"ship_date {ship_date} is outside days ({first_day} to {last_day}).")
    ship_index = (ship_date - days[0]).days
    if ship_index < MINIMUM_PRE_DAYS:
        raise ValueError(
            f"too few pre days: {ship_index} days before ship_date {ship_date}, "
            f"at least {MINIMUM_PRE_DAYS} are needed."
        )
    if theme[:ship_index].sum() == 0:
        raise ValueError("the theme has no contacts before ship_date, so there is no baseline to compare with.")
    return theme, total, ship_index


def _design_matrix(
    *, time_index: np.ndarray, weekday: np.ndarray, trend_origin: float, trend_scale: float
) -> np.ndarray:
    # The trend is centred on the ship date and scaled by the pre length so the coefficients stay
    # well conditioned whatever the series length.
    trend = (time_index - trend_origin) / trend_scale
    weekday_columns = [(weekday == day).astype(float) for day in range(1, 7)]
    return np.column_stack([np.ones_like(time_index), trend, *weekday_columns])


def _robust_poisson_fit(
    *, counts: np.ndarray, design: np.ndarray, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit a Huber-weighted Poisson GLM; return coefficients, weights, fitted values, information."""
    design = _without_empty_columns(design)
    weights = np.ones(len(counts))
    result = None
    for _ in range(ROBUST_ITERATIONS):
        result = sm.GLM(counts, design, family=sm.families.Poisson(), offset=offset, var_weights=weights).fit()
        fitted = result.fittedvalues
        pearson = (counts - fitted) / np.sqrt(np.maximum(fitted, 1e-9))
        # The median absolute deviation keeps the scale itself from being inflated by a burst.
        scale = max(1.4826 * float(np.median(np.abs(pearson - np.median(pearson)))), 1.0)
        standardised = np.abs(pearson) / scale
        weights = np.minimum(1.0, HUBER_THRESHOLD / np.maximum(standardised, 1e-12))
    assert result is not None
    fitted = result.fittedvalues
    coefficients = np.asarray(result.params)
    information = design.T @ (design * (weights * fitted)[:, None])
    return coefficients, weights, fitted, information


def _without_empty_columns(design: np.ndarray) -> np.ndarray:
    # A weekday that never occurs in a very short pre period has an all-zero column.
    if np.all(design.any(axis=0)):
        return design
    raise ValueError("every weekday must occur before ship_date.")


def _simulate_null_ratio(
    *,
    counts_pre: np.ndarray,
    fitted_pre: np.ndarray,
    design_pre: np.ndarray,
    design_post: np.ndarray,
    fitted_post: np.ndarray,
    actual_post: np.ndarray,
    generator: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw actual/counterfactual over the post window as it would be with no effect.

    The noise beyond Poisson is taken from the pre-period residuals as white noise plus an AR(1)
    process (their autocovariances at lags 1 and 2 separate the two); whole pre + post series
    are simulated from it, the model is re-estimated on each simulated pre period (one Newton
    step) and projected. Returns the ratio draws and per draw and post day a predictive draw of
    the counterfactual.
    """
    pre_length = len(counts_pre)
    post_length = len(fitted_post)
    parameter_count = design_pre.shape[1]
    relative = counts_pre / fitted_pre - 1.0
    # The robust fit leaves bursts out of the level; their average mass is put back so the
    # counterfactual expects bursts as often as the pre period had them.
    burst_share = float(relative.mean())
    residual = (counts_pre / (fitted_pre * (1.0 + burst_share)) - 1.0)
    residual_variance = float(np.mean(residual**2)) * pre_length / max(pre_length - parameter_count, 1)
    poisson_variance = float(np.mean(1.0 / (fitted_pre * (1.0 + burst_share))))
    latent_variance = max(residual_variance - poisson_variance, 0.0)
    lag_one = float(np.mean(residual[1:] * residual[:-1]))
    lag_two = float(np.mean(residual[2:] * residual[:-2]))
    # Autocovariances of fitted residuals are biased low; the larger of two estimates of the
    # persistence errs on the side of a wider interval.
    persistence = 0.0
    if lag_one > 0 and latent_variance > 0:
        persistence = lag_one / latent_variance
        if lag_two > 0:
            persistence = max(persistence, lag_two / lag_one)
    persistence = float(np.clip(persistence, 0.0, 0.95))
    persistent_variance = (
        float(np.clip(lag_one / persistence, 0.0, latent_variance)) if persistence > 0 else 0.0
    )
    white_variance = latent_variance - persistent_variance

    length = pre_length + post_length
    innovations = generator.standard_normal((BOOTSTRAP_DRAWS, length)) * np.sqrt(
        persistent_variance * (1.0 - persistence**2)
    )
    innovations[:, 0] = generator.standard_normal(BOOTSTRAP_DRAWS) * np.sqrt(persistent_variance)
    persistent = lfilter([1.0], [1.0, -persistence], innovations, axis=1)
    white = generator.standard_normal((BOOTSTRAP_DRAWS, length)) * np.sqrt(white_variance)
    log_variance = np.log1p(latent_variance)
    # Lognormal multipliers with mean one on the relative scale estimated above.
    scale_to_log = np.sqrt(log_variance / latent_variance) if latent_variance > 0 else 1.0
    latent = np.exp((persistent + white) * scale_to_log - log_variance / 2.0) * (1.0 + burst_share)

    simulated_pre = generator.poisson(fitted_pre[None, :] * latent[:, :pre_length])
    information = design_pre.T @ (design_pre * fitted_pre[:, None])
    coefficient_shift = np.linalg.solve(information, ((simulated_pre - fitted_pre[None, :]) @ design_pre).T).T
    fitted_post_draws = fitted_post[None, :] * np.exp(coefficient_shift @ design_post.T)

    post_level = max(float(actual_post.sum()) / max(float(fitted_post.sum()), 1e-9), 1e-3)
    simulated_actual = generator.poisson(fitted_post[None, :] * post_level * latent[:, pre_length:]) / post_level
    null_ratio = simulated_actual.sum(axis=1) / fitted_post_draws.sum(axis=1)
    counterfactual_draws = generator.poisson(fitted_post_draws * latent[:, pre_length:])
    return null_ratio, counterfactual_draws


def _verdict(*, ci_low: float, ci_high: float, post_days_observed: int, counterfactual_total: float) -> str:
    if post_days_observed < MINIMUM_POST_DAYS or not counterfactual_total >= MINIMUM_POST_VOLUME:
        return VERDICT_TOO_EARLY
    if ci_high < 0:
        return VERDICT_WORKING
    if ci_low > 0:
        return VERDICT_WORSE
    return VERDICT_NO_CLEAR_EFFECT
