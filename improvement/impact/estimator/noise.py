"""The noise beyond Poisson in a pre fit's residuals: white noise plus an AR(1) process.

It sets the trend's standard error (and so how far the trend is shrunk) and drives the null simulation in
improvement/impact/estimator/null_distribution.py; model.py's docstring describes the whole design.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from improvement.impact.estimator.fitting import (
    BIWEIGHT_THRESHOLD,
    HUBER_THRESHOLD,
    REDESCENDING_ITERATIONS,
    TREND_COLUMN,
)

# Persistence assumed for excess week-to-week variation when the day-to-day lags show none.
DEFAULT_PERSISTENCE = 0.5
# Spans (days) at which the residual means must vary no less than the noise model implies.
AGGREGATION_SPANS = (7, 14, 21)
# A span is matched only on at least this many blocks of residual means.
MINIMUM_BLOCKS = 4


@dataclass(frozen=True)
class _NoiseComponents:
    """Relative variances of the white and the AR(1) noise beyond Poisson, and the AR(1) persistence."""

    white_variance: float
    persistent_variance: float
    persistence: float


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


def _noise_components(*, residual: np.ndarray, poisson_variance: float, parameter_count: int) -> _NoiseComponents:
    """Split the relative residual variance beyond Poisson into white noise and an AR(1) process.

    The lag-one and lag-two autocovariances give a first split; where the one- and two-week
    means of the residuals vary more than that split implies (autocovariances of fitted
    residuals are biased low and noisy), the persistent part is raised to match them.
    """
    count = len(residual)
    residual_variance = float(np.mean(residual**2)) * count / max(count - parameter_count, 1)
    latent_variance = max(residual_variance - poisson_variance, 0.0)
    lag_one = float(np.mean(residual[1:] * residual[:-1]))
    lag_two = float(np.mean(residual[2:] * residual[:-2]))
    persistence = 0.0
    if lag_one > 0 and latent_variance > 0:
        persistence = lag_one / latent_variance
        if lag_two > 0:
            persistence = max(persistence, lag_two / lag_one)
    persistence = float(np.clip(persistence, 0.0, 0.95))
    persistent_variance = float(np.clip(lag_one / persistence, 0.0, latent_variance)) if persistence > 0 else 0.0

    if persistence == 0.0:
        persistence = DEFAULT_PERSISTENCE
    for span in AGGREGATION_SPANS:
        block_count = count // span
        if block_count < MINIMUM_BLOCKS:
            continue
        block_means = residual[count - span * block_count :].reshape(block_count, span).mean(axis=1)
        # Intercept and trend take two degrees of freedom from the block means.
        observed_block_variance = float(np.mean(block_means**2)) * block_count / (block_count - 2)
        latent_block_variance = span * observed_block_variance - poisson_variance
        aggregation = _ar1_aggregation_factor(persistence=persistence, length=span)
        implied = latent_variance + persistent_variance * (aggregation - 1.0)
        if latent_block_variance > implied:
            persistent_variance = (latent_block_variance - latent_variance) / (aggregation - 1.0)
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


def _trend_standard_error(*, fitted_pre: np.ndarray, design_pre: np.ndarray, noise: _NoiseComponents) -> float:
    """Standard error of the trend coefficient under the fitted noise model (sandwich form)."""
    weighted = design_pre * fitted_pre[:, None]
    daily_variance = noise.white_variance + 1.0 / np.maximum(fitted_pre, 1e-9)
    # The AR(1) covariance persistent_variance * persistence^|i - j| applied by a forward and a backward
    # recursion, which is the same product as with the whole matrix at a fraction of the cost.
    forward = lfilter([1.0], [1.0, -noise.persistence], weighted, axis=0)
    backward = lfilter([1.0], [1.0, -noise.persistence], weighted[::-1], axis=0)[::-1]
    covariance_times_weighted = noise.persistent_variance * (forward + backward - weighted)
    covariance_times_weighted += daily_variance[:, None] * weighted
    information = design_pre.T @ weighted
    inverse = np.linalg.inv(information)
    covariance = inverse @ (weighted.T @ covariance_times_weighted) @ inverse
    return float(np.sqrt(max(covariance[TREND_COLUMN, TREND_COLUMN], 0.0)))
