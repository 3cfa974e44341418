"""The pre-period regression: design matrix, robust Poisson fit, robust post level and the trend-shrinkage rule.

How these fit together is described in improvement/impact/estimator/model.py's docstring.
"""

from __future__ import annotations

import numpy as np

from improvement.impact.estimator.options import TrendRule

HUBER_THRESHOLD = 2.5
BIWEIGHT_THRESHOLD = 4.685
REDESCENDING_ITERATIONS = 3
ROBUST_ITERATIONS = 4
ROBUST_MINIMUM_DAILY_COUNT = 3.0
POISSON_FIT_ITERATIONS = 100
POISSON_FIT_TOLERANCE = 1e-10
# The trend keeps the weight max(0, 1 - (threshold / z)^2), z its estimate over its standard error ("soft": empirical
# Bayes shrinkage at threshold 1); "hard" keeps it whole when |z| reaches the threshold and drops it otherwise.
TREND_SHRINKAGE_THRESHOLD = 1.0
# The design's columns: intercept, trend, then the weekdays Tuesday to Sunday.
TREND_COLUMN = 1


def _design_matrix(
    *,
    time_index: np.ndarray,
    weekday: np.ndarray,
    trend_origin: float,
    trend_scale: float,
) -> np.ndarray:
    """Columns of the log-linear model: intercept, linear trend and weekday indicators (Monday is the base)."""
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
    coefficients = None
    for iteration in range(iterations + 1):
        coefficients, fitted = _poisson_fit(
            counts=counts, design=design, offset=offset, weights=weights, start=coefficients
        )
        if iteration == iterations:
            break
        pearson = (counts - fitted) / np.sqrt(np.maximum(fitted, 1e-9))
        # The median absolute deviation keeps the scale itself from being inflated by a burst.
        scale = max(1.4826 * float(np.median(np.abs(pearson - np.median(pearson)))), 1.0)
        standardised = np.abs(pearson) / scale
        if iteration < ROBUST_ITERATIONS:
            weights = np.minimum(1.0, HUBER_THRESHOLD / np.maximum(standardised, 1e-12))
        else:
            weights = np.clip(1.0 - (standardised / BIWEIGHT_THRESHOLD) ** 2, 0.0, None) ** 2
    assert coefficients is not None  # the loop runs at least once
    return coefficients, fitted


def _poisson_fit(
    *,
    counts: np.ndarray,
    design: np.ndarray,
    offset: np.ndarray,
    weights: np.ndarray,
    start: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Poisson log-linear maximum likelihood by iteratively reweighted least squares.

    The same fit as statsmodels' GLM (Poisson family, var_weights) to its convergence tolerance, without its
    per-call overhead, which dominated the estimator's time once placebo fits were added.
    """
    if start is None:
        linear = np.log((counts + counts.mean()) / 2.0 + 1e-9)
    else:
        linear = design @ start + offset
    deviance = np.inf
    coefficients = np.zeros(design.shape[1]) if start is None else start
    for _ in range(POISSON_FIT_ITERATIONS):
        mean = np.exp(np.clip(linear, -30.0, 30.0))
        working_weight = weights * mean
        working_response = linear - offset + (counts - mean) / np.maximum(mean, 1e-300)
        root = np.sqrt(working_weight)
        coefficients = np.linalg.lstsq(design * root[:, None], working_response * root, rcond=None)[0]
        linear = design @ coefficients + offset
        mean = np.exp(np.clip(linear, -30.0, 30.0))
        terms = np.where(counts > 0, counts * np.log(np.maximum(counts, 1e-300) / mean), 0.0) - (counts - mean)
        new_deviance = 2.0 * float(np.sum(weights * terms))
        if abs(new_deviance - deviance) <= POISSON_FIT_TOLERANCE * (abs(new_deviance) + POISSON_FIT_TOLERANCE):
            break
        deviance = new_deviance
    return coefficients, np.exp(np.clip(design @ coefficients + offset, -30.0, 30.0))


def _relative_scale(*, counts: np.ndarray, fitted: np.ndarray) -> float:
    """Robust standard deviation of counts / fitted - 1 (Poisson sampling included)."""
    relative = counts / fitted - 1.0
    return max(1.4826 * float(np.median(np.abs(relative - np.median(relative)))), 1e-3)


def _post_level(*, actual: np.ndarray, expected: np.ndarray, relative_scale: float, is_robust: bool) -> np.ndarray:
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
        level = (weights * actual).sum(axis=1) / np.maximum((weights * expected).sum(axis=1), 1e-9)
    for _ in range(REDESCENDING_ITERATIONS):
        # Tukey's biweight, started from the Huber level, gives a clear burst no weight at all.
        mean = np.maximum(level[:, None] * expected, 1e-9)
        standardised = np.abs(actual / mean - 1.0) / scale
        weights = np.clip(1.0 - (standardised / BIWEIGHT_THRESHOLD) ** 2, 0.0, None) ** 2
        level = (weights * actual).sum(axis=1) / np.maximum((weights * expected).sum(axis=1), 1e-9)
    return level


def _trend_weight(
    *,
    trend: np.ndarray,
    standard_error: float,
    rule: TrendRule,
    prior_standard_deviation: float = 0.0,
    pre_length: int = 0,
) -> np.ndarray:
    """How much of the fitted trend to keep, by its estimate over its standard error and the trend rule.

    "ridge" is the posterior mean under a normal prior on the trend of prior_standard_deviation (the same
    weight whatever the estimate); "bic" weighs the fits with and without the trend by their BIC on pre_length days.
    """
    z_squared = trend**2 / max(standard_error, 1e-12) ** 2
    if rule == "always":
        return np.ones_like(trend)
    if rule in ("ridge", "ridge_soft"):
        prior_variance = prior_standard_deviation**2
        ridge = np.full_like(trend, prior_variance / (prior_variance + max(standard_error, 1e-12) ** 2))
        if rule == "ridge":
            return ridge
        return np.minimum(ridge, np.clip(1.0 - TREND_SHRINKAGE_THRESHOLD**2 / np.maximum(z_squared, 1e-12), 0.0, 1.0))
    if rule == "bic":
        return 1.0 / (1.0 + np.exp(-np.clip((z_squared - np.log(max(pre_length, 2))) / 2.0, -50.0, 50.0)))
    if rule == "hard":
        return (z_squared >= TREND_SHRINKAGE_THRESHOLD**2).astype(float)
    return np.clip(1.0 - TREND_SHRINKAGE_THRESHOLD**2 / np.maximum(z_squared, 1e-12), 0.0, 1.0)
