"""Simulated daily contact series with a known fix effect, for calibrating and testing impact.

The simulator deliberately departs from the model in improvement/impact/estimator/: gamma-Poisson
(overdispersed) counts, AR(1) latent noise, multi-day bursts, busy weeks, marketing pushes,
holidays, a slowly wandering total, theme-specific weekday deviations and, in the messy scenario,
a random-walk drift of the theme's own level.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCENARIOS = ("steady", "moving_total", "trend", "bursts", "messy")
SERIES_START = datetime.date(2025, 1, 6)
WEEKDAY_RHYTHM = np.log(np.array([1.25, 1.15, 1.1, 1.05, 1.0, 0.7, 0.65]))


@dataclass(frozen=True)
class SimulatedSeries:
    """One theme's simulated days with the fix effect that was put in."""

    days: tuple[datetime.date, ...]
    theme_counts: tuple[int, ...]
    total_counts: tuple[int, ...]
    ship_date: datetime.date
    effect: float
    daily_volume: float
    scenario: str
    # What was drawn for this series (noise variances, persistences, burst days): what an
    # oracle that knew the noise would use, for bench/impact_power_bound.py.
    truth: dict[str, Any] = field(default_factory=dict, compare=False)


def simulate_series(
    *,
    generator: np.random.Generator,
    daily_volume: float,
    effect: float,
    scenario: str = "messy",
    pre_days: int = 120,
    post_days: int = 28,
) -> SimulatedSeries:
    """Simulate one theme whose mean changes by `effect` (e.g. -0.3) from the ship date on."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}.")
    length = pre_days + post_days
    start = SERIES_START + datetime.timedelta(days=int(generator.integers(0, 7)))
    days = tuple(start + datetime.timedelta(days=int(offset)) for offset in range(length))
    weekday = np.array([day.weekday() for day in days])
    # The draws are made in a fixed order (common, theme, other) so a seed gives the same series.
    common = _common_log_mean(
        generator=generator, weekday=weekday, has_moving_total=scenario in ("moving_total", "messy")
    )
    theme, theme_truth, theme_burst_days = _simulated_theme(
        generator=generator,
        common=common,
        weekday=weekday,
        daily_volume=daily_volume,
        effect=effect,
        scenario=scenario,
        pre_days=pre_days,
    )
    other, other_truth, other_burst_days = _simulated_other(
        generator=generator,
        common=common,
        daily_volume=daily_volume,
        has_bursts=scenario in ("bursts", "messy"),
    )
    burst_days = theme_burst_days | other_burst_days
    return SimulatedSeries(
        days=days,
        theme_counts=tuple(int(value) for value in theme),
        total_counts=tuple(int(value) for value in theme + other),
        ship_date=days[pre_days],
        effect=effect,
        daily_volume=daily_volume,
        scenario=scenario,
        truth={
            **theme_truth,
            **other_truth,
            "burst_days": tuple(int(day) for day in np.flatnonzero(burst_days)),
        },
    )


def _common_log_mean(*, generator: np.random.Generator, weekday: np.ndarray, has_moving_total: bool) -> np.ndarray:
    """The centred log mean every theme shares: the weekday rhythm, a slow wander and, if asked, busy periods."""
    length = len(weekday)
    common = WEEKDAY_RHYTHM[weekday] + _random_walk(generator=generator, length=length, step=0.01)
    if has_moving_total:
        common += _moving_total(generator=generator, length=length)
    common -= common.mean()
    return common


def _simulated_theme(
    *,
    generator: np.random.Generator,
    common: np.ndarray,
    weekday: np.ndarray,
    daily_volume: float,
    effect: float,
    scenario: str,
    pre_days: int,
) -> tuple[np.ndarray, dict[str, Any], np.ndarray]:
    """The theme's daily counts, what was drawn for them, and the days of its bursts."""
    has_trend = scenario in ("trend", "messy")
    length = len(common)
    theme_log_mean = np.log(daily_volume) + common
    theme_log_mean += generator.normal(0.0, 0.05, size=7)[weekday]
    theme_noise, theme_persistence, theme_noise_scale = _ar1_drawn(generator=generator, length=length)
    theme_log_mean += theme_noise
    slope = 0.0
    if has_trend:
        slope = generator.uniform(-0.006, 0.006)
        theme_log_mean += slope * (np.arange(length) - pre_days)
    drift_step = 0.005 if scenario == "messy" else 0.0
    if drift_step:
        theme_log_mean += _random_walk(generator=generator, length=length, step=drift_step)
    burst_days = np.zeros(length, dtype=bool)
    if scenario in ("bursts", "messy"):
        theme_bursts = _bursts(generator=generator, length=length, rate=1 / 45, low=1.5, high=4.0)
        theme_log_mean += theme_bursts
        burst_days |= theme_bursts != 0
    theme_log_mean[pre_days:] += np.log1p(effect)
    gamma_shape = generator.uniform(10.0, 50.0)
    theme = _gamma_poisson(generator=generator, mean=np.exp(theme_log_mean), shape=gamma_shape)
    truth = {
        "has_trend": has_trend,
        "slope": float(slope),
        "drift_step": drift_step,
        "theme_persistence": theme_persistence,
        "theme_noise_scale": theme_noise_scale,
        "gamma_shape": float(gamma_shape),
    }
    return theme, truth, burst_days


def _simulated_other(
    *, generator: np.random.Generator, common: np.ndarray, daily_volume: float, has_bursts: bool
) -> tuple[np.ndarray, dict[str, Any], np.ndarray]:
    """The other contacts' daily counts (the total minus the theme), what was drawn for them, and their burst days."""
    length = len(common)
    other_volume = daily_volume * generator.uniform(5.0, 30.0) + 200.0
    other_noise, other_persistence, other_noise_scale = _ar1_drawn(generator=generator, length=length, scale=0.03)
    other_log_mean = np.log(other_volume) + common + other_noise
    burst_days = np.zeros(length, dtype=bool)
    if has_bursts:
        other_bursts = _bursts(generator=generator, length=length, rate=1 / 90, low=1.1, high=1.3)
        other_log_mean += other_bursts
        burst_days |= other_bursts != 0
    other_gamma_shape = 100.0
    other = _gamma_poisson(generator=generator, mean=np.exp(other_log_mean), shape=other_gamma_shape)
    truth = {
        "other_volume": float(other_volume),
        "other_persistence": other_persistence,
        "other_noise_scale": other_noise_scale,
        "other_gamma_shape": other_gamma_shape,
    }
    return other, truth, burst_days


def _random_walk(*, generator: np.random.Generator, length: int, step: float) -> np.ndarray:
    """A random walk of `length` normal steps with standard deviation `step`."""
    return np.cumsum(generator.normal(0.0, step, size=length))


def _ar1_drawn(
    *, generator: np.random.Generator, length: int, scale: float | None = None
) -> tuple[np.ndarray, float, float]:
    """An AR(1) series on the log scale, with its drawn correlation and marginal sd."""
    correlation = generator.uniform(0.3, 0.7)
    marginal = generator.uniform(0.05, 0.2) if scale is None else scale
    innovation = marginal * np.sqrt(1.0 - correlation**2)
    values = np.empty(length)
    values[0] = generator.normal(0.0, marginal)
    shocks = generator.normal(0.0, innovation, size=length)
    for position in range(1, length):
        values[position] = correlation * values[position - 1] + shocks[position]
    return values, float(correlation), float(marginal)


def _moving_total(*, generator: np.random.Generator, length: int) -> np.ndarray:
    """Busy weeks, marketing pushes and holidays that lift or drop every theme together."""
    values = np.zeros(length)
    for _ in range(generator.poisson(length / 60)):
        start = int(generator.integers(0, length))
        values[start : start + int(generator.integers(5, 10))] += np.log(generator.uniform(1.3, 2.0))
    for _ in range(generator.poisson(length / 120)):
        start = int(generator.integers(0, length))
        values[start : start + int(generator.integers(14, 31))] += np.log(generator.uniform(1.2, 1.5))
    for _ in range(generator.poisson(length / 90)):
        values[int(generator.integers(0, length))] += np.log(generator.uniform(0.4, 0.6))
    return values


def _bursts(*, generator: np.random.Generator, length: int, rate: float, low: float, high: float) -> np.ndarray:
    """Outages: 2 to 5 days on which the series is multiplied by a factor in [low, high]."""
    values = np.zeros(length)
    for _ in range(generator.poisson(length * rate)):
        start = int(generator.integers(0, length))
        duration = int(generator.integers(2, 6))
        values[start : start + duration] += np.log(generator.uniform(low, high))
    return values


def _gamma_poisson(*, generator: np.random.Generator, mean: np.ndarray, shape: float) -> np.ndarray:
    """Overdispersed counts: Poisson around gamma-distributed means with the given shape."""
    return generator.poisson(generator.gamma(shape, mean / shape))


# The four kinds of theme of issue 14's short-history bench (56 days of history before the ship date).
SHORT_HISTORY_KINDS = ("steady", "busy_week", "growing_share", "ar1_bursts")
# A growing theme's share grows by this factor over the whole span (pre and post days).
GROWING_SHARE_FACTOR = 1.45
# The total volume drifts by up to this share either way.
TOTAL_DRIFT = 0.3


def simulate_short_history_series(
    *,
    generator: np.random.Generator,
    daily_volume: float,
    effect: float,
    kind: str = "steady",
    pre_days: int = 56,
    post_days: int = 28,
) -> SimulatedSeries:
    """Simulate one theme of the short-history bench: gamma-Poisson counts, a weekday rhythm, a total drifting ±30%.

    Kinds: `steady` (the share holds), `busy_week` (a week within the first two post weeks lifts every theme,
    the total with them), `growing_share` (the theme's share grows 45% over the span), `ar1_bursts` (persistent
    AR(1) noise and 2-5 day outages on the theme). The mean changes by `effect` from the ship date on.
    """
    if kind not in SHORT_HISTORY_KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(SHORT_HISTORY_KINDS)}.")
    length = pre_days + post_days
    start = SERIES_START + datetime.timedelta(days=int(generator.integers(0, 7)))
    days = tuple(start + datetime.timedelta(days=int(offset)) for offset in range(length))
    weekday = np.array([day.weekday() for day in days])
    time_index = np.arange(length, dtype=float)
    period = generator.uniform(60.0, 200.0)
    phase = generator.uniform(0.0, 2.0 * np.pi)
    common = WEEKDAY_RHYTHM[weekday] + np.log1p(TOTAL_DRIFT * np.sin(2.0 * np.pi * time_index / period + phase))
    if kind == "busy_week":
        busy_start = pre_days + int(generator.integers(0, 8))
        common[busy_start : busy_start + 7] += np.log(generator.uniform(1.5, 2.0))
    theme_log_mean = np.log(daily_volume) + common + generator.normal(0.0, 0.03, size=7)[weekday]
    truth: dict[str, Any] = {"kind": kind}
    if kind == "growing_share":
        theme_log_mean += np.log(GROWING_SHARE_FACTOR) * (time_index - pre_days) / (length - 1)
    if kind == "ar1_bursts":
        noise, persistence, scale = _ar1_drawn(generator=generator, length=length)
        theme_log_mean += noise
        theme_log_mean += _bursts(generator=generator, length=length, rate=1 / 45, low=1.5, high=3.0)
        truth.update({"theme_persistence": persistence, "theme_noise_scale": scale})
    theme_log_mean[pre_days:] += np.log1p(effect)
    gamma_shape = generator.uniform(10.0, 50.0)
    theme = _gamma_poisson(generator=generator, mean=np.exp(theme_log_mean), shape=gamma_shape)
    other_volume = daily_volume * generator.uniform(5.0, 30.0) + 200.0
    other = _gamma_poisson(generator=generator, mean=other_volume * np.exp(common), shape=100.0)
    truth["gamma_shape"] = float(gamma_shape)
    return SimulatedSeries(
        days=days,
        theme_counts=tuple(int(value) for value in theme),
        total_counts=tuple(int(value) for value in theme + other),
        ship_date=days[pre_days],
        effect=effect,
        daily_volume=daily_volume,
        scenario=kind,
        truth=truth,
    )
